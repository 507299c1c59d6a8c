import Foundation
import Testing

/// `confirm` and `run --confirm` over the mock, which answers from its memory file as the
/// service would: devices move pending → active → done after a seeded delay, some fail, and
/// the service holds a secret for a while.
@Suite("Confirmation over the mock (the built binary)")
struct ConfirmMockTests {
    static func run(_ cli: CLIHarness, _ batch: String, _ extra: [String]) throws -> (CLIHarness.Result, String) {
        let result = try cli.run(["run", batch, "--rate", "off"] + extra)
        return (result, try cli.sql("SELECT id FROM runs ORDER BY started_at DESC LIMIT 1"))
    }

    @Test("device states move over time; confirming twice records nothing twice; --wait gives up (exit 1); reports show them")
    func statesOverTime() throws {
        let cli = try Fleets.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target\nc-1,lock,d-0001\nc-2,lock,d-0002\nc-3,lock,d-0003\n")
        let (sent, runID) = try Self.run(cli, batch, ["--mock-device-delay-ms", "3000"])
        #expect(sent.status == 0, "\(sent)")
        let early = try cli.run(["confirm", runID])
        #expect(early.status == 1, "not done yet: \(early)")
        #expect(early.stdout.contains("pending") || early.stdout.contains("active"), "\(early.stdout)")
        let rows = try cli.sql("SELECT count(*) FROM audit_log WHERE event = 'confirmation'")
        #expect(rows == "3")
        let again = try cli.run(["confirm", runID])
        #expect(again.status == 1)
        let recorded = Int(try cli.sql("SELECT count(*) FROM audit_log WHERE event = 'confirmation'")) ?? -1
        #expect((3...6).contains(recorded), "only changes are recorded: \(recorded)")
        let timedOut = try cli.run(["confirm", runID, "--wait", "0.5"])
        #expect(timedOut.status == 1, "the wait ran out before the devices were done")
        let done = try cli.run(["confirm", runID, "--wait", "20"])
        #expect(done.status == 0 && done.stdout.contains("done 3"), "\(done)")
        #expect(try cli.sql("SELECT group_concat(DISTINCT device_state) FROM dispatches") == "done")
        let rowsAfter = try cli.sql("SELECT count(*) FROM audit_log WHERE event = 'confirmation'")
        #expect(try cli.run(["confirm", runID]).status == 0)
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE event = 'confirmation'") == rowsAfter, "a final state is asked no more")

        let report = try JSON.object(try cli.run(["report", runID, "--format", "json"]).stdout)
        #expect((report["summary"] as! [String: Any])["by_device_state"] as? [String: Int] == ["done": 3])
        #expect((report["requests"] as! [[String: Any]]).allSatisfy { $0["device_state"] as? String == "done" })
        let text = try cli.run(["report", runID]).stdout
        #expect(text.contains("on the devices: done 3") && !text.contains("Sent, not done on the device"), "all done: nothing listed")
        let html = try cli.run(["report", runID, "--format", "html"]).stdout
        #expect(html.contains("Device states") && html.contains("id=\"tile-device_done\""))
        let export = try cli.run(["audit", "export", "--run", runID, "--format", "jsonl"]).stdout
        #expect(export.contains("\"event\":\"confirmation\"") && export.contains("done"), "the export shows what the devices did")
        // each confirmation row says who asked, which device, and when the service saw it done
        let confirmations = export.split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["event"] as? String == "confirmation" }
        let doneRows = confirmations.filter { $0["outcome"] as? String == "done" }
        #expect(doneRows.count == 3 && Set(doneRows.compactMap { $0["device_id"] as? String }) == ["d-0001", "d-0002", "d-0003"])
        let askers = Set(confirmations.compactMap { $0["actor"] as? String })
        #expect(askers.count == 1 && askers.first?.isEmpty == false, "\(askers)")
        for row in doneRows {
            let detail = try JSON.object(row["detail"] as? String ?? "{}")
            #expect((detail["service_updated_at"] as? String)?.hasPrefix("20") == true, "\(detail)")
        }
        let csv = try cli.run(["audit", "export", "--run", runID, "--format", "csv"]).stdout
        #expect(csv.components(separatedBy: ",confirmation,").count - 1 == confirmations.count, "the CSV export has them too")
    }

    @Test("run --confirm waits for the devices; a device that fails the action is reported; exit 1 when not all are done")
    func runConfirmAndFailures() throws {
        let cli = try Fleets.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target\nf-1,lock,d-0001\nf-2,lock,d-0002\nf-3,lock,d-0003\nf-4,lock,d-0030\n")
        let (result, runID) = try Self.run(cli, batch, ["--confirm", "--confirm-wait", "20", "--mock-device-delay-ms", "200",
                                                       "--mock-device-failure-rate", "0.5", "--mock-seed", "4"])
        #expect(result.stdout.components(separatedBy: "on the devices:").count == 2, "the device states, once: \(result)")
        let failed = try cli.sql("SELECT count(*) FROM dispatches WHERE device_state = 'failed'")
        #expect(failed != "0", "the seed makes some devices fail")
        let confirm = try cli.run(["confirm", runID])
        #expect(confirm.status == 1 && confirm.stdout.contains("failed"))
        // the reports name each device the action failed on, not only how many
        let failedDevices = try cli.sql("SELECT group_concat(device_id, ' ') FROM dispatches WHERE device_state = 'failed' ORDER BY seq")
            .split(separator: " ").map(String.init)
        let text = try cli.run(["report", runID]).stdout
        let listed = text.components(separatedBy: "Sent, not done on the device").last ?? ""
        #expect(text.contains("Sent, not done on the device (\(failedDevices.count)):") && listed.contains("failed: \(failedDevices.count)"),
                "\(text)")
        for device in failedDevices { #expect(listed.contains(device), "\(device) in \(listed)") }
        let html = try cli.run(["report", runID, "--format", "html"]).stdout
        let table = html.components(separatedBy: "<table id=\"not-done-on-device\">").last ?? ""
        #expect(html.contains("<table id=\"not-done-on-device\">"))
        for device in failedDevices { #expect(table.contains("<td>\(device)</td>"), "\(device)") }
        #expect(table.components(separatedBy: "<td>failed</td>").count - 1 == failedDevices.count)
    }

    @Test("a secret the service no longer holds is reported as such, with what to do; one it holds is collected once")
    func secretsFromConfirm() throws {
        let cli = try Fleets.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target\ns-1,reset_passcode,d-0006\n")
        // the first run's secret went to its file: a crash took it before the delivery was recorded
        let (_, runID) = try Self.run(cli, batch, ["--passcodes-out", cli.path("p1.csv"), "--mock-secret-lifetime", "2s"])
        _ = try cli.sql("UPDATE dispatches SET secret_delivered_at = NULL")
        let collected = try cli.run(["confirm", runID, "--passcodes-out", cli.path("p2.csv"), "--wait", "5"])
        #expect(collected.stdout.contains("1 secret(s) collected"), "\(collected)")
        let twice = try cli.run(["confirm", runID, "--passcodes-out", cli.path("p3.csv")])
        #expect(!twice.stdout.contains("collected"), "each secret once")
        // a secrets file is made with its first secret: none came, so there is none
        #expect(!FileManager.default.fileExists(atPath: cli.path("p3.csv")))

        _ = try cli.sql("UPDATE dispatches SET secret_delivered_at = NULL, device_state = NULL")
        Thread.sleep(forTimeInterval: 2.2)
        let gone = try cli.run(["confirm", runID, "--passcodes-out", cli.path("p4.csv")])
        #expect(gone.stdout.contains("no longer held by the service") && gone.stdout.contains("new request_id"), "\(gone)")
        #expect(try cli.sql("SELECT last_error FROM dispatches").contains("no longer holds its temporary passcode"))
    }

    @Test("kill -9 during confirm, then confirm again: every element confirmed, no secret written twice")
    func killDuringConfirm() throws {
        let cli = try Fleets.loaded()
        let lines = (1...3).map { "k-\($0),lock,d-000\($0)" } + ["k-4,reset_passcode,d-0006"]
        let batch = try cli.write("b.csv", "request_id,action,target\n" + lines.joined(separator: "\n") + "\n")
        let (_, runID) = try Self.run(cli, batch, ["--passcodes-out", cli.path("p0.csv"), "--mock-device-delay-ms", "4000"])
        _ = try cli.sql("UPDATE dispatches SET secret_delivered_at = NULL")
        let process = try BackgroundRun.start(cli, ["confirm", runID, "--wait", "60", "--passcodes-out", cli.path("p1.csv")])
        Thread.sleep(forTimeInterval: 1.5)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExitPolling()
        let again = try cli.run(["confirm", runID, "--wait", "30", "--passcodes-out", cli.path("p2.csv")])
        #expect(again.status == 0, "\(again)")
        let first = (try? String(contentsOfFile: cli.path("p1.csv"), encoding: .utf8)) ?? ""
        // a secrets file is made with its first secret: the one that got none does not exist
        let second = (try? String(contentsOfFile: cli.path("p2.csv"), encoding: .utf8)) ?? ""
        let delivered = (first + second).split(separator: "\n").filter { $0.hasPrefix("d-0006,") }
        #expect(delivered.count == 1, "the passcode was written once across both files: \(delivered)")
        #expect(try cli.sql("SELECT count(*) FROM dispatches WHERE device_state = 'done'") == "4")
        try RunInvariants.checkAuditChain(cli)
    }
}
