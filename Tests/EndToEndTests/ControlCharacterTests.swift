import Foundation
import Testing

/// Control characters from a batch or an inventory are shown escaped wherever mdmbatch
/// writes them (issue 14, items 11–14; issue 23, item 11).
@Suite("Control characters are shown escaped (the built binary)")
struct ControlCharacterTests {
    @Test("control characters in ids and targets are shown escaped in plan, report, status and logs")
    func controlCharacters() throws {
        let cli = try Fleets.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target\nr\u{1B}[31m,lock,evil\u{1B}]0;pwned\u{07}\n")
        let plan = try cli.run(["plan", batch])
        #expect(!plan.stdout.contains("\u{1B}") && plan.stdout.contains("\\x1b"), "\(plan.stdout)")
        let run = try cli.run(["run", batch])
        #expect(run.status == 1)
        #expect(!run.stdout.contains("\u{1B}") && !run.stderr.contains("\u{1B}"))
        let id = try cli.sql("SELECT id FROM runs")
        let report = try cli.run(["report", id])
        #expect(!report.stdout.contains("\u{1B}") && report.stdout.contains("\\x1b"), "\(report.stdout)")
        #expect(!report.stdout.contains("\u{07}") && report.stdout.contains("\\x07"))
        #expect(!(try cli.run(["status"])).stdout.contains("\u{1B}"))
        let bad = try cli.write("evil\u{1B}[2J.csv", "device_id,platform\nd-9,iOS,extra\n")
        let logged = try cli.run(["import", "devices", bad])
        #expect(logged.status == 65 && !logged.stderr.contains("\u{1B}") && logged.stderr.contains("\\x1b"), "\(logged)")
    }

    @Test("item 11: the CSV audit export writes a raw ESC from requested_by escaped")
    func auditExportEscapesControls() throws {
        let cli = try Fleets.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target,requested_by\nr-1,lock,d-0001,\u{1B}[31mmallory\n")
        #expect(try cli.run(["run", batch, "--quiet"]).status == 0)
        let out = cli.path("audit.csv")
        let result = try cli.run(["audit", "export", "--format", "csv", "--output", out])
        #expect(result.status == 0, "\(result)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: out))
        #expect(!bytes.contains(0x1B), "a raw ESC reached the file")
        #expect(String(decoding: bytes, as: UTF8.self).contains("\\x1b[31mmallory"))
    }
}
