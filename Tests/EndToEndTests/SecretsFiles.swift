import Foundation

/// The secrets files a test's runs and confirms wrote.
enum SecretsFiles {
    /// The secrets of `files` by device, each as often as it was written (a test expects
    /// one per element: none written twice).
    static func byDevice(_ cli: CLIHarness, _ files: [String]) throws -> [String: [String]] {
        var byDevice: [String: [String]] = [:]
        for file in files {
            for row in try cli.secrets(file) { byDevice[row[0], default: []].append(row[5]) }
        }
        return byDevice
    }
}
