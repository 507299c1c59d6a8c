import Foundation
import Testing

/// Issue 14 item 19: the text and HTML reports list, of each (state, reason), the first 100
/// rows and the count of the rest; `--all` lists every one; JSON stays complete. (The plan
/// text's tests are in PlanCommandTests, on the same batch.)
@Suite("Reports of long runs stay readable (the built binary)")
struct LongReportTests {
    static func longRun() throws -> (CLIHarness, runID: String, json: [String: Any]) {
        let cli = try CLIHarness()
        let batch = try LongBatch.prepare(cli)
        let run = try cli.run(["run", batch, "--rate", "off", "--mock-transient-rate", "0.3", "--max-attempts", "1", "--mock-seed", "4",
                               "--passcodes-out", cli.path("pc.csv"), "--report", cli.path("run.json"),
                               "--report-html", cli.path("run.html")])
        #expect(run.status == 1, "\(run.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cli.path("run.json")))) as! [String: Any]
        return (cli, json["run_id"] as! String, json)
    }

    /// (state, reason) → count, of the elements of a JSON report that did not succeed.
    static func groups(_ json: [String: Any]) -> [String: Int] {
        var groups: [String: Int] = [:]
        for element in json["requests"] as! [[String: Any]] where element["state"] as? String != "succeeded" {
            let state = element["state"] as! String
            let reason = element["reason"] as? String
            groups[state + (reason.map { " · \($0)" } ?? ""), default: 0] += 1
        }
        return groups
    }

    @Test("text report: of a group over 100 the first 100 rows in plan order, the count of the rest and the command that lists them all")
    func textFirstRows() throws {
        let (cli, runID, json) = try Self.longRun()
        let result = try cli.run(["report", runID])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        let groups = Self.groups(json)
        let notSucceeded = groups.values.reduce(0, +)
        #expect(groups["rejected · unknown_target"] == LongBatch.unknownGroup)
        #expect(text.contains("\nNot succeeded: \(notSucceeded); of each state and reason the first 100 (mdmbatch report \(runID) --all lists every one)\n"))
        #expect(text.contains("LINE   REQUEST      ACTION          TARGET"), "the header line is kept")
        for (group, count) in groups {
            #expect(text.contains("\n\(group): \(count)\n"), "\(group) has its heading and count")
        }
        let unknown = LongBatch.lines(text, containing: "rejected         unknown_target")
        #expect(unknown.count == LongBatch.limit)
        let shownLines = unknown.map { Int($0.prefix(6).trimmingCharacters(in: .whitespaces))! }
        #expect(shownLines == shownLines.sorted(), "in plan order")
        #expect(text.contains("\n  … \(LongBatch.rest) more not shown; all of them: mdmbatch report \(runID) --all (or --format json)\n"))
        #expect(LongBatch.lines(text, containing: "more not shown").count == 1, "only the group over 100 is cut")
        #expect(LongBatch.lines(text, containing: "rejected         ambiguous_target").count == groups["rejected · ambiguous_target"]!, "small groups whole")
        #expect(!text.contains("no-such-device-150"), "rows past the first 100 are not listed")
    }

    @Test("text report --all lists every (request, device) that did not succeed, in plan order, as before")
    func textAll() throws {
        let (cli, runID, json) = try Self.longRun()
        let result = try cli.run(["report", runID, "--all"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.components(separatedBy: "\nNot succeeded:\n")[1].split(separator: "\n").dropFirst()
        #expect(rows.count == Self.groups(json).values.reduce(0, +))
        let lines = rows.map { Int($0.prefix(6).trimmingCharacters(in: .whitespaces))! }
        #expect(lines == lines.sorted())
        #expect(result.stdout.contains("no-such-device-150") && !result.stdout.contains("more not shown"))
    }

    @Test("HTML report: one row group per state and reason with its count, the first 100 rows and the command for the rest; numbers agree with JSON")
    func htmlFirstRows() throws {
        let (cli, runID, json) = try Self.longRun()
        let html = try String(contentsOfFile: cli.path("run.html"), encoding: .utf8)
        HTMLReportPage.expectTilesMatch(HTMLReportPage.tiles(html), json: json)
        let groups = Self.groups(json)
        for (group, count) in groups {
            #expect(html.contains(">\(group): <span class=\"count\">\(count)</span></th></tr>"), "\(group)")
        }
        let tbody = html.components(separatedBy: "<tbody class=\"group\" id=\"group-rejected-unknown_target\">")[1]
            .components(separatedBy: "</tbody>")[0]
        #expect(tbody.components(separatedBy: "<tr><td>").count - 1 == LongBatch.limit)
        #expect(tbody.contains("<span class=\"rest\">\(LongBatch.rest)</span> more not shown; all of them: "
                               + "<code>mdmbatch report \(runID) --format json</code> (or <code>mdmbatch report \(runID) --all</code> as text)"))
        #expect(html.components(separatedBy: "<tr class=\"more\">").count - 1 == 1, "only the group over 100 is cut")
        let listed = html.components(separatedBy: "<table id=\"not-succeeded\">")[1].components(separatedBy: "<tr><td>").count - 1
        #expect(listed == groups.values.reduce(0, +) - (LongBatch.rest))
        #expect(html.contains("id=\"not-succeeded-note\">\(groups.values.reduce(0, +)) (request, device) pairs did not succeed."))

        let again = try cli.run(["report", runID, "--format", "html"])
        #expect(again.status == 0 && again.stdout == html, "report writes the page run wrote")
        let all = try cli.run(["report", runID, "--format", "html", "--all"])
        #expect(all.status == 0)
        let rows = all.stdout.components(separatedBy: "<table id=\"not-succeeded\">")[1].components(separatedBy: "<tr><td>").count - 1
        #expect(rows == groups.values.reduce(0, +) && !all.stdout.contains("more not shown"))
        HTMLReportPage.expectTilesMatch(HTMLReportPage.tiles(all.stdout), json: json)
    }

    @Test("JSON reports list every element, whatever the text shows")
    func jsonComplete() throws {
        let (cli, runID, json) = try Self.longRun()
        let elements = json["requests"] as! [[String: Any]]
        let summary = json["summary"] as! [String: Any]
        #expect(elements.count == summary["targets"] as! Int)
        #expect(elements.filter { ($0["target"] as! String).hasPrefix("no-such-device-") }.count == LongBatch.unknownTargets)
        let again = try cli.run(["report", runID, "--format", "json", "--all"])
        #expect(try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as! NSDictionary == json as NSDictionary)
        let report = try cli.run(["report", runID, "--format", "json"])
        #expect(report.stdout == again.stdout, "--all changes nothing in JSON")
    }

    @Test("rendered by headless Chromium: the page of a long run holds 100 rows of its large group and the note for the rest",
          OptionalProgram.needs(OptionalProgram.chromium, "chromium", install: "apt-get install -y chromium; .ci/run does"))
    func longRunInChromium() throws {
        try #require(OptionalProgram.chromium != nil, "chromium is not installed: apt-get install -y chromium (.ci/run does)")
        let (cli, runID, json) = try Self.longRun()
        let dom = try HTMLReportPage.browser(["--dump-dom", URL(fileURLWithPath: cli.path("run.html")).absoluteString])
        #expect(dom.status == 0)
        HTMLReportPage.expectTilesMatch(HTMLReportPage.tiles(dom.output), json: json)
        let tbody = dom.output.components(separatedBy: "id=\"group-rejected-unknown_target\">")[1].components(separatedBy: "</tbody>")[0]
        #expect(tbody.components(separatedBy: "<tr><td>").count - 1 == LongBatch.limit)
        #expect(tbody.contains("<code>mdmbatch report \(runID) --format json</code>"))
    }
}
