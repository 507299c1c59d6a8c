import Foundation
import Testing

/// The HTML report as a reader sees it: its summary tiles, checked against the JSON report,
/// and the page as headless Chromium renders it (tests that need Chromium carry
/// `OptionalProgram.needs(OptionalProgram.chromium, ...)`).
enum HTMLReportPage {
    /// The summary tiles of a page: tile id → the number shown.
    static func tiles(_ html: String) -> [String: String] {
        var tiles: [String: String] = [:]
        let pattern = try! NSRegularExpression(pattern: "id=\"tile-([a-z_]+)\"><span class=\"n\">([^<]*)</span>")
        for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            tiles[String(html[Range(match.range(at: 1), in: html)!])] = String(html[Range(match.range(at: 2), in: html)!])
        }
        return tiles
    }

    /// Each tile shows what the JSON report's summary says.
    static func expectTilesMatch(_ tiles: [String: String], json: [String: Any], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let summary = json["summary"] as! [String: Any]
        let byState = summary["by_state"] as! [String: Int]
        #expect(tiles["requested"] == String(summary["requests"] as! Int), sourceLocation: sourceLocation)
        #expect(tiles["targets"] == String(summary["targets"] as! Int), sourceLocation: sourceLocation)
        #expect(tiles["accepted"] == String(summary["accepted"] as! Int), sourceLocation: sourceLocation)
        #expect(tiles["rejected"] == String(summary["rejected"] as! Int), sourceLocation: sourceLocation)
        #expect(tiles["succeeded"] == String(byState["succeeded"] ?? 0), sourceLocation: sourceLocation)
        #expect(tiles["failed"] == String(byState["failed"] ?? 0), sourceLocation: sourceLocation)
        #expect(tiles["unknown_outcome"] == String(byState["unknown_outcome"] ?? 0), sourceLocation: sourceLocation)
        // the tile shows elapsed to 0.01 s, the JSON to 0.001 s: rounding twice may differ by one in the last digit
        let elapsed = tiles["elapsed"].flatMap { Double($0.replacingOccurrences(of: " s", with: "")) }
        #expect(elapsed.map { abs($0 - (summary["elapsed_s"] as! Double)) <= 0.0051 } == true, "\(tiles["elapsed"] ?? "-")",
                sourceLocation: sourceLocation)
    }

    /// Where Chromium is, if it is installed.
    static let chromium = OptionalProgram.chromium

    /// Runs headless Chromium with `arguments` and waits: its exit status and standard output.
    static func browser(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--user-data-dir=\(FileManager.default.temporaryDirectory.appendingPathComponent("mdmbatch-chromium-\(UUID().uuidString)").path)"]
            + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExitPolling()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
