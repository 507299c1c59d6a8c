import Foundation
import Testing

/// A request seen before: repeated in one batch, already done by an earlier run, or taken
/// up again by a resumed run (issue 14, items 1 and 17–18).
@Suite("A request seen before: repeated, already done, resumed (the built binary)")
struct RepeatedRequestTests {
    @Test("a request_id twice in one batch is a malformed batch naming both lines, and nothing is sent")
    func repeatedRequestID() throws {
        let cli = try Fleets.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target\nr-1,lock,d-0001\nr-1,reset_passcode,d-0001\n")
        let result = try cli.run(["run", batch, "--passcodes-out", cli.path("p.csv")])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains("b.csv:3:1: request_id \"r-1\" repeats the one of line 2"), "\(result.stderr)")
        #expect(try cli.sql("SELECT count(*) FROM runs") == "0")
        let journal = (try? String(contentsOfFile: cli.database + ".mock-journal.jsonl", encoding: .utf8)) ?? ""
        #expect(journal.isEmpty, "nothing was sent")
        let plan = try cli.run(["plan", batch])
        #expect(plan.status == 65 && plan.stderr.contains("repeats the one of line 2"))
    }

    @Test("already_done matches the same request_id, action and device only: a reset after a lock of the same id is sent")
    func alreadyDoneMatchesAction() throws {
        let cli = try Fleets.loaded()
        let locks = try cli.write("l.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        #expect(try cli.run(["run", locks, "--quiet"]).status == 0)
        let resets = try cli.write("r.csv", "request_id,action,target\nr-1,reset_passcode,d-0001\nr-2,lock,d-0001\n")
        let planned = try JSON.object(try cli.run(["plan", resets, "--json"]).stdout)
        let verdicts = (planned["requests"] as! [[String: Any]]).map { "\($0["verdict"]!)/\($0["reason"] as? String ?? "-")" }
        #expect(verdicts == ["accepted/-", "accepted/-"], "the reset is another action; r-2 another request")
        let again = try cli.write("again.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        let plannedAgain = try JSON.object(try cli.run(["plan", again, "--json"]).stdout)
        let element = (plannedAgain["requests"] as! [[String: Any]])[0]
        #expect(element["verdict"] as? String == "skipped" && element["reason"] as? String == "already_done",
                "plan shows what run will skip")
        #expect(try cli.run(["plan", again]).stdout.contains("already_done"))
        #expect(try cli.run(["run", resets, "--quiet", "--passcodes-out", cli.path("p.csv")]).status == 0)
        let effects = try String(contentsOfFile: cli.database + ".mock-journal.jsonl", encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("\"type\":\"effect\"") }
        #expect(effects.count == 3, "lock, reset and the second lock each took effect: \(effects)")
    }

    @Test("plan and report elements carry secret; a resumed run takes its recorded rule set and refuses another (64)")
    func secretFieldAndResume() throws {
        let cli = try Fleets.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target\nr-1,reset_passcode,d-0006\nr-2,lock,d-0001\nr-3,lock,nobody\n")
        let plan = try JSON.object(try cli.run(["plan", batch, "--json"]).stdout)
        let secrets = (plan["requests"] as! [[String: Any]]).map { $0["secret"] as? String ?? "null" }
        #expect(secrets == ["temporary_passcode", "null", "null"])
        let first = try cli.run(["run", batch, "--rules", "intune-2017", "--mock-latency-ms", "3000", "--max-run-time", "1s",
                                 "--stop-grace", "0", "--passcodes-out", cli.path("p1.csv")])
        #expect(first.status == 75, "\(first)")
        let other = try cli.run(["run", batch, "--rules", "intune-2025", "--passcodes-out", cli.path("p2.csv")])
        #expect(other.status == 64 && other.stderr.contains("started under --rules intune-2017"), "\(other)")
        let resumed = try cli.run(["run", batch, "--passcodes-out", cli.path("p3.csv"), "--report", cli.path("r.json")])
        #expect(resumed.status == 1, "\(resumed)")
        let report = try JSON.object(try String(contentsOfFile: cli.path("r.json"), encoding: .utf8))
        #expect(report["rule_set"] as? String == "intune-2017")
        #expect((report["requests"] as! [[String: Any]]).map { $0["secret"] as? String ?? "null" } == ["temporary_passcode", "null", "null"])
    }
}
