import Foundation
import Testing

@Suite("mdmbatch run, status and report (the built binary)")
struct RunCommandTests {
    func loadedFleet() throws -> CLIHarness {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet"]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        return cli
    }

    func jsonObject(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    @Test("runs the sample batch with faults: report counts, audit rows, and one journal effect per succeeded dispatch")
    func sampleRunWithFaults() throws {
        let cli = try loadedFleet()
        let result = try cli.run(["run", cli.sample("batch-lost.csv"), "--rate", "off", "--max-attempts", "6",
                                  "--mock-transient-rate", "0.3", "--mock-permanent-rate", "0.05", "--mock-seed", "3",
                                  "--passcodes-out", cli.path("passcodes.csv"), "--report", cli.path("report.json")])
        #expect(result.status == 1, "rejections make the exit status 1: \(result.stderr)")
        #expect(result.stdout.contains("36 requests, 39 targets: 18 accepted, 21 rejected"))
        let report = try jsonObject(String(contentsOfFile: cli.path("report.json"), encoding: .utf8))
        let summary = report["summary"] as! [String: Any]
        let byState = summary["by_state"] as! [String: Int]
        let elements = report["requests"] as! [[String: Any]]
        #expect(elements.count == 39 && byState.values.reduce(0, +) == 39)
        #expect(byState["rejected"] == 21)
        #expect((byState["succeeded"] ?? 0) + (byState["failed"] ?? 0) + (byState["unknown_outcome"] ?? 0) == 18)
        #expect(Set(elements.compactMap { $0["state"] as? String }).isSubset(of: ["rejected", "succeeded", "failed", "unknown_outcome"]))
        for element in elements where element["state"] as? String == "failed" {
            #expect((element["last_error"] as? String)?.isEmpty == false)
        }

        // the journal: at most one effect per key, exactly one for every succeeded dispatch
        let journal = try String(contentsOfFile: cli.database + ".mock-journal.jsonl", encoding: .utf8)
        var effects: [String: Int] = [:]
        for line in journal.split(separator: "\n") {
            let record = try jsonObject(String(line))
            if record["type"] as? String == "effect" { effects[record["key"] as! String, default: 0] += 1 }
        }
        #expect(effects.values.allSatisfy { $0 == 1 })
        let succeededKeys = try cli.sql("SELECT idempotency_key FROM dispatches WHERE state = 'succeeded'").split(separator: "\n")
        #expect(succeededKeys.count == byState["succeeded"] ?? 0)
        for key in succeededKeys { #expect(effects[String(key)] == 1, "\(key)") }

        // audit: one row per rejection, and a sending row plus an outcome row per attempt
        let runID = report["run_id"] as! String
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE run_id = '\(runID)' AND event = 'rejected'") == "21")
        let attempts = try cli.sql("SELECT sum(attempts) FROM dispatches WHERE run_id = '\(runID)'")
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE run_id = '\(runID)' AND event = 'dispatch_sending'") == attempts)
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE run_id = '\(runID)' AND event = 'dispatch_attempt'") == attempts)
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE run_id = '\(runID)' AND event = 'run_finished'") == "1")
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE run_id = '\(runID)' AND actor = 'helpdesk@contoso.com'") != "0")

        // report and status agree with the run's own report
        let again = try cli.run(["report", runID, "--format", "json"])
        #expect(again.status == 0)
        let againSummary = try jsonObject(again.stdout)["summary"] as! [String: Any]
        #expect(NSDictionary(dictionary: againSummary).isEqual(to: summary))
        let status = try cli.run(["status", runID, "--json"])
        let statusObject = try jsonObject(status.stdout)
        #expect(status.status == 0 && statusObject["state"] as? String == "finished")
        let text = try cli.run(["report", runID])
        #expect(text.status == 0 && text.stdout.contains("Not succeeded:") && text.stdout.contains("ambiguous_target"))
    }

    @Test("a temporary passcode is shown once, in the 0600 file, and nowhere else: not the database, WAL, journal, logs, reports")
    func passcodesStaySecret() throws {
        let cli = try loadedFleet()
        let result = try cli.run(["run", cli.sample("batch-lost.csv"), "--rate", "off", "--log-format", "json",
                                  "--passcodes-out", cli.path("passcodes.csv"), "--report", cli.path("report.json")])
        #expect(result.status == 1)
        let file = try String(contentsOfFile: cli.path("passcodes.csv"), encoding: .utf8)
        let passcodes = file.split(separator: "\n").dropFirst().map { String($0.split(separator: ",").last!) }
        #expect(passcodes.count == 4 && passcodes.allSatisfy { $0.count == 8 })
        #expect(try FileManager.default.attributesOfItem(atPath: cli.path("passcodes.csv"))[.posixPermissions] as? Int == 0o600)

        let runID = try cli.sql("SELECT id FROM runs")
        let reportText = try cli.run(["report", runID]).stdout
        let reportJSON = try cli.run(["report", runID, "--format", "json"]).stdout
        let statusJSON = try cli.run(["status", "--json"]).stdout
        var haystacks: [(String, Data)] = [
            ("stdout", Data(result.stdout.utf8)), ("stderr", Data(result.stderr.utf8)), ("report text", Data(reportText.utf8)),
            ("report json", Data(reportJSON.utf8)), ("status", Data(statusJSON.utf8)),
        ]
        for suffix in ["", "-wal", "-shm", ".mock-journal.jsonl"] {
            if let data = FileManager.default.contents(atPath: cli.database + suffix) { haystacks.append((suffix, data)) }
        }
        haystacks.append(("report file", try Data(contentsOf: URL(fileURLWithPath: cli.path("report.json")))))
        haystacks.append(("sql dump", Data(try cli.sql(".dump").utf8)))
        for passcode in passcodes {
            for (name, data) in haystacks {
                #expect(data.range(of: Data(passcode.utf8)) == nil, "passcode found in \(name)")
            }
        }
        #expect(haystacks.count >= 9)
    }

    @Test("without --passcodes-out and no terminal, a batch creating passcodes is refused (64) before anything is sent")
    func passcodesNeedAFile() throws {
        let cli = try loadedFleet()
        let result = try cli.run(["run", cli.sample("batch-lost.csv")])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--passcodes-out"))
        #expect(try cli.sql("SELECT count(*) FROM runs") == "0")
        let existing = try cli.write("taken.csv", "x")
        let taken = try cli.run(["run", cli.sample("batch-lost.csv"), "--passcodes-out", existing])
        #expect(taken.status == 73 && taken.stderr.contains("already exists"))
    }

    @Test("exit 0 and nothing on stdout with --quiet when every request succeeds; re-running skips what was done")
    func quietSuccess() throws {
        let cli = try loadedFleet()
        let batch = try cli.write("ok.csv", "request_id,action,target\nq1,lock,d-0001\nq2,lock,F2LXK0CCHG7F\n")
        let result = try cli.run(["run", batch, "--quiet"])
        #expect(result.status == 0 && result.stdout.isEmpty && result.stderr.isEmpty, "\(result.stdout)\(result.stderr)")
        let again = try cli.run(["run", batch, "--json"])
        #expect(again.status == 0)
        let states = try (jsonObject(again.stdout)["requests"] as! [[String: Any]]).map { $0["state"] as! String }
        #expect(states == ["skipped", "skipped"])
    }

    @Test("usage errors exit 64, saying what is wrong", arguments: [
        (["run", "x.csv", "--rate", "fast"], "--rate"), (["run", "x.csv", "--concurrency", "0"], "--concurrency must be 1 to 1024, not 0"),
        (["run", "x.csv", "--concurrency", "-1"], "--concurrency must be 1 to 1024, not -1"),
        (["run", "x.csv", "--mock-transient-rate", "2"], "--mock-transient-rate"), (["run", "x.csv", "--max-attempts", "0"], "--max-attempts"),
        (["run", "x.csv", "--max-run-time", "soon"], "--max-run-time"),
    ])
    func usageErrors(arguments: [String], fragment: String) throws {
        let cli = try CLIHarness()
        let result = try cli.run(arguments)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains(fragment), "\(result.stderr)")
    }

    @Test("an unknown run id exits 66 and says so; so does a database that does not exist", arguments: ["report", "status"])
    func unknownRun(command: String) throws {
        let cli = try CLIHarness()
        let missing = try cli.run([command, "run-nope"])
        #expect(missing.status == 66 && missing.stderr.contains("no such database"), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: cli.database), "a reading command creates no database")
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        let unknown = try cli.run([command, "run-nope"])
        #expect(unknown.status == 66 && unknown.stderr.contains("no run run-nope"), "\(unknown)")
    }

    @Test("a missing batch exits 66, a broken one 65")
    func badBatch() throws {
        let cli = try loadedFleet()
        #expect(try cli.run(["run", cli.path("missing.csv")]).status == 66)
        let broken = try cli.write("broken.csv", "action\nlock\n")
        #expect(try cli.run(["run", broken]).status == 65)
        #expect(try cli.sql("SELECT count(*) FROM runs") == "0")
    }
}
