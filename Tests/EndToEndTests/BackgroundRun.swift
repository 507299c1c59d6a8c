import Foundation
import Testing

/// The built binary started without waiting, for a test that signals, kills or races it.
enum BackgroundRun {
    /// Starts `mdmbatch ARGS --db DB` without waiting.
    static func start(_ cli: CLIHarness, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = CLIHarness.binary
        process.arguments = arguments + ["--db", cli.database]
        process.currentDirectoryURL = cli.directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits until `process` (or any run) holds the lock and has a row `sending`.
    static func waitForLockHolder(_ cli: CLIHarness, process: Process? = nil) throws {
        let deadline = Date().addingTimeInterval(10)
        let holder = process.map { "pid \($0.processIdentifier)," } ?? "pid"
        while Date() < deadline {
            if let text = try? String(contentsOfFile: cli.database + ".lock", encoding: .utf8), text.contains(holder),
               (try? cli.sql("SELECT count(*) FROM dispatches WHERE state = 'sending'")) ?? "0" != "0" { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        Issue.record("the first run never started sending")
    }
}
