import Foundation
import Testing

/// Every output path is checked before anything is sent, read or recorded; nothing is left
/// half-made (issue 14, items 4–6).
@Suite("Outputs checked first, nothing half-made (the built binary)")
struct OutputsFirstTests {
    @Test("every output path is checked before anything is sent: a report in a missing folder exits 73 with nothing sent")
    func outputsCheckedFirst() throws {
        let cli = try Fleets.loaded()
        for flag in ["--report", "--report-html", "--passcodes-out"] {
            let result = try cli.run(["run", cli.sample("batch-lost.csv"), flag, cli.path("nowhere/r.out")])
            #expect(result.status == 73 && result.stderr.contains("nowhere"), "\(flag): \(result)")
        }
        #expect(try cli.sql("SELECT count(*) FROM runs") == "0")
        #expect(!FileManager.default.fileExists(atPath: cli.database + ".mock-journal.jsonl"), "nothing was sent")
        // report --output too: checked before the run is read
        let locks = try cli.write("locks.csv", "request_id,action,target\nl-1,lock,d-0001\n")
        let run = try cli.run(["run", locks, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let id = try cli.sql("SELECT id FROM runs")
        let report = try cli.run(["report", id, "--output", cli.path("nowhere/r.json")])
        #expect(report.status == 73 && report.stderr.contains("nowhere") && report.stdout.isEmpty, "\(report)")
    }

    @Test("audit export and confirm check their output before they read or record anything: 73, no export row, no lookup")
    func otherOutputsCheckedFirst() throws {
        let cli = try Fleets.loaded()
        let sent = try cli.run(["run", cli.sample("batch-lost.csv"), "--passcodes-out", cli.path("p.csv"), "--quiet"])
        #expect([0, 1].contains(sent.status), "\(sent)")
        let runID = try cli.sql("SELECT id FROM runs")
        let before = try cli.sql("SELECT count(*) || ':' || max(seq) FROM audit_log")
        for format in ["csv", "jsonl"] {
            let export = try cli.run(["audit", "export", "--format", format, "--output", cli.path("nowhere/a.\(format)")])
            #expect(export.status == 73 && export.stderr.contains("nowhere"), "\(export)")
        }
        let memory = cli.database + ".mock-service.jsonl"
        let remembered = try String(contentsOfFile: memory, encoding: .utf8)
        let confirm = try cli.run(["confirm", runID, "--passcodes-out", cli.path("nowhere/c.csv")])
        #expect(confirm.status == 73 && confirm.stderr.contains("nowhere"), "\(confirm)")
        #expect(try cli.sql("SELECT count(*) || ':' || max(seq) FROM audit_log") == before, "nothing recorded")
        #expect(try cli.sql("SELECT count(*) FROM dispatches WHERE device_state IS NOT NULL") == "0", "nothing asked")
        #expect(try String(contentsOfFile: memory, encoding: .utf8) == remembered)
        // the mock's memory holds what a service holds (its secrets among them): 0600
        let mode = try FileManager.default.attributesOfItem(atPath: memory)[.posixPermissions] as? Int
        #expect(mode == 0o600, "\(String(mode ?? 0, radix: 8))")
    }

    @Test("audit keygen makes both files or neither")
    func keygenBothOrNeither() throws {
        let cli = try CLIHarness()
        try cli.write("k.pub", "already here\n")
        let result = try cli.run(["audit", "keygen", "--out", cli.path("k")], db: false)
        #expect(result.status == 73 && result.stderr.contains("k.pub: already exists"), "\(result)")
        #expect(!FileManager.default.fileExists(atPath: cli.path("k")), "no orphan private key")
        #expect(try cli.run(["audit", "keygen", "--out", cli.path("k2")], db: false).status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: cli.path("k2"))[.posixPermissions] as? Int
        #expect(mode == 0o600 && FileManager.default.fileExists(atPath: cli.path("k2.pub")))
    }
}
