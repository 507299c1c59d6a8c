import Foundation
import Testing

@Suite("The HTML run report (the built binary, and headless Chromium)")
struct HTMLReportTests {
    static let hostileTarget = "<img src=x onerror=alert(1)>"
    static let hostileReason = "</svg><script>alert(2)</script>"

    /// The sample fleet and batch, plus a request with hostile strings, run with faults.
    static func sampleRun() throws -> (CLIHarness, runID: String) {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet"]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        var batch = try String(contentsOfFile: cli.sample("batch-lost.csv"), encoding: .utf8)
        batch += "x-1,lock,\(hostileTarget),,\"\(hostileReason)\",\"<b>helpdesk</b>\",INC-9\n"
        try cli.write("batch.csv", batch)
        let run = try cli.run(["run", cli.path("batch.csv"), "--rate", "off", "--mock-latency-ms", "20", "--mock-transient-rate", "0.2",
                               "--mock-seed", "5", "--passcodes-out", cli.path("pc.csv"), "--report-html", cli.path("run.html"),
                               "--report", cli.path("run.json")])
        #expect(run.status == 1, "\(run.stderr)")
        let runID = try cli.sql("SELECT id FROM runs")
        return (cli, runID)
    }

    @Test("text, JSON and HTML come from one model: their numbers agree; every value is escaped; the page is self-contained")
    func formatsAgree() throws {
        let (cli, runID) = try Self.sampleRun()
        let html = try String(contentsOfFile: cli.path("run.html"), encoding: .utf8)
        #expect(try FileManager.default.attributesOfItem(atPath: cli.path("run.html"))[.posixPermissions] as? Int == 0o600)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cli.path("run.json")))) as! [String: Any]
        HTMLReportPage.expectTilesMatch(HTMLReportPage.tiles(html), json: json)
        let again = try cli.run(["report", runID, "--format", "html"])
        #expect(again.status == 0 && HTMLReportPage.tiles(again.stdout) == HTMLReportPage.tiles(html))
        let text = try cli.run(["report", runID]).stdout
        let summary = json["summary"] as! [String: Any]
        #expect(text.contains("\(summary["requests"]!) requests, \(summary["targets"]!) targets: \(summary["accepted"]!) accepted, \(summary["rejected"]!) rejected"))

        #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        #expect(!html.contains("<img") && !html.contains("<script") && !html.contains("</svg><script"))
        #expect(!html.contains("http://") && !html.contains("https://"), "nothing fetched")
        #expect(html.components(separatedBy: "<svg").count - 1 == 4, "platform, reasons, timeline, histogram")
        #expect(html.contains("<title>") && html.contains("role=\"img\"") && html.contains("<desc>"))
        #expect(html.contains("the matrix says the platform does not support the action"), "reasons carry their rule")
        for secret in try String(contentsOfFile: cli.path("pc.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map({ String($0.split(separator: ",").last!) }) {
            #expect(!html.contains(secret))
        }
    }

    @Test("rendered by headless Chromium: the DOM's tiles match the JSON report, no injected element exists, the screenshot is a PNG",
          OptionalProgram.needs(OptionalProgram.chromium, "chromium", install: "apt-get install -y chromium; .ci/run does"))
    func inChromium() throws {
        try #require(HTMLReportPage.chromium != nil, "chromium is not installed: apt-get install -y chromium (.ci/run does)")
        let (cli, _) = try Self.sampleRun()
        let url = URL(fileURLWithPath: cli.path("run.html")).absoluteString
        let dom = try HTMLReportPage.browser(["--dump-dom", url])
        #expect(dom.status == 0)
        #expect(dom.output.contains("id=\"tile-succeeded\""), "the browser read the page")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cli.path("run.json")))) as! [String: Any]
        HTMLReportPage.expectTilesMatch(HTMLReportPage.tiles(dom.output), json: json)
        #expect(!dom.output.contains("<img") && !dom.output.contains("<script"), "no element was injected")
        #expect(dom.output.contains("&lt;img src=x onerror=alert(1)&gt;"), "the hostile target shows as text")

        let png = cli.path("report.png")
        _ = try HTMLReportPage.browser(["--screenshot=\(png)", "--window-size=1280,2200", "--hide-scrollbars", url])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(bytes.count > 10_000)
        #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        if let keep = ProcessInfo.processInfo.environment["MDMBATCH_KEEP_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(atPath: png, toPath: keep)
        }
    }
}
