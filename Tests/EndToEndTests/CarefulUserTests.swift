import Foundation
import Testing

/// What a careful user and an attacker found in the first build (issue 14), each as a
/// test of the built binary.
@Suite("A careful user's and an attacker's findings (the built binary)")
struct CarefulUserTests {
    static func loaded() throws -> CLIHarness {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet"]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        return cli
    }

    static func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    // MARK: 1. wrong outcomes

    @Test("a request_id twice in one batch is a malformed batch naming both lines, and nothing is sent")
    func repeatedRequestID() throws {
        let cli = try Self.loaded()
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
        let cli = try Self.loaded()
        let locks = try cli.write("l.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        #expect(try cli.run(["run", locks, "--quiet"]).status == 0)
        let resets = try cli.write("r.csv", "request_id,action,target\nr-1,reset_passcode,d-0001\nr-2,lock,d-0001\n")
        let planned = try Self.json(try cli.run(["plan", resets, "--json"]).stdout)
        let verdicts = (planned["requests"] as! [[String: Any]]).map { "\($0["verdict"]!)/\($0["reason"] as? String ?? "-")" }
        #expect(verdicts == ["accepted/-", "accepted/-"], "the reset is another action; r-2 another request")
        let again = try cli.write("again.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        let plannedAgain = try Self.json(try cli.run(["plan", again, "--json"]).stdout)
        let element = (plannedAgain["requests"] as! [[String: Any]])[0]
        #expect(element["verdict"] as? String == "skipped" && element["reason"] as? String == "already_done",
                "plan shows what run will skip")
        #expect(try cli.run(["plan", again]).stdout.contains("already_done"))
        #expect(try cli.run(["run", resets, "--quiet", "--passcodes-out", cli.path("p.csv")]).status == 0)
        let effects = try String(contentsOfFile: cli.database + ".mock-journal.jsonl", encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("\"type\":\"effect\"") }
        #expect(effects.count == 3, "lock, reset and the second lock each took effect: \(effects)")
    }

    @Test("a passcode the service still holds after a crash is delivered, and the reset is recorded succeeded, not redone")
    func passcodeAfterCrash() throws {
        let cli = try Self.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target\nr-1,reset_passcode,d-0006\n")
        let crashed = try cli.run(["run", batch, "--passcodes-out", cli.path("p1.csv")], environment: ["MDMBATCH_CRASH_AT": "after-call"])
        #expect(crashed.stderr.contains("crash point after-call reached"))
        let resumed = try cli.run(["run", batch, "--passcodes-out", cli.path("p2.csv")])
        #expect(resumed.status == 0, "\(resumed)")
        #expect(try cli.sql("SELECT state || ',' || (secret_delivered_at IS NOT NULL) FROM dispatches") == "succeeded,1")
        let lines = try String(contentsOfFile: cli.path("p2.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "device_id,request_id,line,action,kind,secret")
        #expect(lines.count == 2 && lines[1].hasPrefix("d-0006,r-1,2,reset_passcode,temporary_passcode,"), "\(lines)")
        let effects = try String(contentsOfFile: cli.database + ".mock-journal.jsonl", encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("\"type\":\"effect\"") }
        #expect(effects.count == 1, "the reset took effect once")
        // the passcode is the one the service made, not a new one
        let memory = try String(contentsOfFile: cli.database + ".mock-service.jsonl", encoding: .utf8)
        #expect(memory.contains(String(lines[1].split(separator: ",").last!)))
    }

    @Test("the mock's secrets do not come from --mock-seed: two runs with one seed make different passcodes")
    func secretsNotFromSeed() throws {
        var passcodes: [String] = []
        for round in 1...2 {
            let cli = try Self.loaded()
            let batch = try cli.write("b\(round).csv", "request_id,action,target\nr-\(round),reset_passcode,d-0006\n")
            #expect(try cli.run(["run", batch, "--mock-seed", "7", "--passcodes-out", cli.path("p.csv")]).status == 0)
            passcodes.append(String(try String(contentsOfFile: cli.path("p.csv"), encoding: .utf8).split(separator: "\n")[1]
                .split(separator: ",").last!))
        }
        #expect(passcodes[0] != passcodes[1])
    }

    // MARK: 4–6. nothing created, nothing half-done

    @Test("only import and run create a database: the other commands exit 66 on a missing one and create nothing",
          arguments: [["status"], ["report", "run-x"], ["plan", "b.csv"], ["confirm", "run-x"], ["audit", "verify"], ["audit", "export"]])
    func readersCreateNothing(arguments: [String]) throws {
        let cli = try CLIHarness()
        try cli.write("b.csv", "action,target\nlock,d-1\n")
        let typo = cli.path("typo.sqlite")
        let result = try cli.run(arguments + ["--db", typo], db: false)
        #expect(result.status == 66, "\(result)")
        #expect(result.stderr.contains("typo.sqlite: no such database"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: typo))
        #expect(try cli.run(["rules"], db: false).status == 0, "rules needs no database")
    }

    @Test("a SQLite file that is not mdmbatch's, or one from a newer mdmbatch, is refused (65) and left byte for byte")
    func foreignDatabases() throws {
        let cli = try CLIHarness()
        let other = cli.path("other.db")
        _ = try CLIHarness.execute(URL(fileURLWithPath: "/usr/bin/env"), ["sqlite3", other, "CREATE TABLE notes (x); INSERT INTO notes VALUES (1)"],
                                   in: cli.directory)
        let before = try Data(contentsOf: URL(fileURLWithPath: other))
        for command in [["status"], ["import", "devices", cli.sample("devices.csv")], ["audit", "verify"]] {
            let result = try cli.run(command + ["--db", other], db: false)
            #expect(result.status == 65 && result.stderr.contains("other.db: not an mdmbatch database"), "\(command): \(result)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: other)) == before)
        let text = try cli.write("text.db", "not a database at all\n")
        #expect(try cli.run(["status", "--db", text], db: false).status == 65)

        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        _ = try cli.sql("INSERT INTO grdb_migrations VALUES ('v9999_future')")
        let newer = try cli.run(["status"])
        #expect(newer.status == 65 && newer.stderr.contains("written by a newer mdmbatch"), "\(newer)")
    }

    @Test("an mdmbatch database of an older schema is migrated when opened")
    func olderSchemaMigrated() throws {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        // back to the first round's schema: v0005 undone (its columns dropped), v0004 forgotten
        _ = try cli.sql("""
            DELETE FROM grdb_migrations WHERE identifier = 'v0005_secrets_device_state';
            DROP INDEX dispatches_mac_locks; DROP INDEX dispatches_request; DROP INDEX audit_log_checkpoints;
            ALTER TABLE dispatches DROP COLUMN secret; ALTER TABLE dispatches DROP COLUMN secret_delivered_at;
            ALTER TABLE dispatches DROP COLUMN device_state; ALTER TABLE dispatches DROP COLUMN device_state_at;
            ALTER TABLE runs DROP COLUMN rule_set;
            CREATE INDEX dispatches_request ON dispatches(request_id, state) WHERE request_id IS NOT NULL;
            """)
        #expect(try cli.run(["status"]).status == 0)
        #expect(try cli.sql("SELECT count(*) FROM grdb_migrations WHERE identifier = 'v0005_secrets_device_state'") == "1")
        #expect(try cli.sql("SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'rule_set'") == "1")
    }

    @Test("every output path is checked before anything is sent: a report in a missing folder exits 73 with nothing sent")
    func outputsCheckedFirst() throws {
        let cli = try Self.loaded()
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
        let cli = try Self.loaded()
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

    // MARK: 7. why

    @Test("the request's reason, ticket and requested_by reach the audit rows, both exports and the reports")
    func auditAnswersWhy() throws {
        let cli = try Self.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target,reason,requested_by,ticket\nr-1,lock,d-0001,Lost on the train,ann@contoso.com,INC-10\nr-2,lock,nobody,Typo,ann@contoso.com,INC-11\n")
        let run = try cli.run(["run", batch, "--report", cli.path("r.json")])
        #expect(run.status == 1)
        for format in ["csv", "jsonl"] {
            let export = try cli.run(["audit", "export", "--format", format])
            #expect(export.status == 0)
            #expect(export.stdout.contains("INC-10") && export.stdout.contains("Lost on the train"), "\(format)")
            #expect(export.stdout.contains("INC-11"), "the rejected request's ticket too (\(format))")
            #expect(export.stdout.contains("ann@contoso.com"))
        }
        let report = try Self.json(try String(contentsOfFile: cli.path("r.json"), encoding: .utf8))
        let element = (report["requests"] as! [[String: Any]])[0]
        #expect(element["ticket"] as? String == "INC-10" && element["request_reason"] as? String == "Lost on the train"
                && element["requested_by"] as? String == "ann@contoso.com", "\(element)")
        let id = report["run_id"] as! String
        // the rejected request's row, in the text and in the HTML report: ticket, requester and reason
        let text = try cli.run(["report", id, "--format", "text"]).stdout
        #expect(text.contains("[ticket INC-11; by ann@contoso.com; why: Typo]"), "\(text)")
        let html = try cli.run(["report", id, "--format", "html"]).stdout
        #expect(html.contains("<th>requested by</th><th>ticket</th><th>why requested</th>"))
        #expect(html.contains("<td>ann@contoso.com</td><td>INC-11</td><td>Typo</td></tr>"), "the rejected row carries them")
    }

    // MARK: 10. outages and signals

    @Test("in a full outage the breaker says it opened, and --max-run-time ends the run as interrupted (75), resumable")
    func outageAndMaxRunTime() throws {
        let cli = try Self.loaded()
        let batch = try cli.write("b.csv", "action,target\n" + (1...3).map { "lock,d-000\($0)" }.joined(separator: "\n") + "\n")
        var result = CLIHarness.Result(status: 0, stdout: "", stderr: "")
        let took = try Stopwatch.seconds {
            result = try cli.run(["run", batch, "--mock-transient-rate", "1", "--max-attempts", "100", "--max-run-time", "3s",
                                  "--stop-grace", "1"])
        }
        #expect(result.status == 75, "\(result)")
        #expect(result.stderr.contains("circuit open"), "\(result.stderr)")
        #expect(result.stderr.contains("max-run-time"), "\(result.stderr)")
        #expect(took < 3 + 1 + 10, "ended within the limit, the grace and start-up (\(took) s)")
        #expect(try cli.sql("SELECT state FROM runs") == "interrupted")
        let resumed = try cli.run(["run", batch, "--quiet"])
        #expect(resumed.status == 0, "the next run resumes and finishes: \(resumed)")
    }

    @Test("SIGINT while nothing is in flight returns at once; a second SIGINT does not wait for the grace period")
    func signals() throws {
        let cli = try Self.loaded()
        // a transient failure with a long Retry-After: the run waits with nothing in flight
        let idle = try BackgroundRun.start(cli, ["run", cli.sample("batch-lost.csv"), "--rate", "off", "--mock-throttle", "1/600",
                                                   "--stop-grace", "60", "--passcodes-out", cli.path("p1.csv")])
        try BackgroundRun.waitForLockHolder(cli, process: idle)
        Thread.sleep(forTimeInterval: 1)
        var took = Stopwatch.seconds {
            kill(idle.processIdentifier, SIGINT)
            idle.waitUntilExitPolling()
        }
        #expect(idle.terminationStatus == 75)
        #expect(took < 30, "nothing in flight: no wait for the 60 s grace (\(took) s)")

        // calls of 20 s in flight, grace 60 s: the second SIGINT stops now
        let busy = try BackgroundRun.start(cli, ["run", cli.sample("batch-lost.csv"), "--rate", "off", "--mock-latency-ms", "20000",
                                                   "--stop-grace", "60", "--passcodes-out", cli.path("p2.csv")])
        try BackgroundRun.waitForLockHolder(cli, process: busy)
        took = Stopwatch.seconds {
            kill(busy.processIdentifier, SIGINT)
            Thread.sleep(forTimeInterval: 0.5)
            kill(busy.processIdentifier, SIGINT)
            busy.waitUntilExitPolling()
        }
        #expect(busy.terminationStatus == 75)
        #expect(took < 30, "the second signal did not wait for the calls (\(took) s)")
        #expect(try cli.run(["run", cli.sample("batch-lost.csv"), "--rate", "off", "--passcodes-out", cli.path("p3.csv")]).status == 1)
        try RunInvariants.checkNothingLostNothingDoubled(cli)
    }

    // MARK: 11–14. input and output hygiene

    @Test("control characters in ids and targets are shown escaped in plan, report, status and logs")
    func controlCharacters() throws {
        let cli = try Self.loaded()
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

    @Test("a NUL byte, a repeated header column or a field over --max-field-bytes is a malformed file (65)", arguments: [
        ("import", "device_id,platform\nd-1,iO\u{0}S\n", "2:2: a NUL byte in the field"),
        ("import", "device_id,platform,Device ID\nd-1,iOS,d-1\n", "1:3: column \"Device ID\" repeats column 1"),
        ("plan", "action,target,Target\nlock,d-0001,d-0002\n", "1:3: column \"Target\" repeats column 2"),
        ("plan", "action,target\nlock,d-00\u{0}01\n", "2:2: a NUL byte in the field"),
        ("plan", "{\"action\": \"lock\", \"target\": \"d-\\u0000\"}\n", "1:1: \"target\": a NUL character"),
    ])
    func malformedFields(command: String, text: String, fragment: String) throws {
        let cli = try Self.loaded()
        let file = try cli.write(text.hasPrefix("{") ? "in.jsonl" : "in.csv", text)
        let before = try cli.sql(".dump")
        let result = try cli.run(command == "import" ? ["import", "devices", file] : ["plan", file])
        #expect(result.status == 65, "\(result)")
        #expect(result.stderr.contains(fragment), "\(result.stderr)")
        #expect(try cli.sql(".dump") == before)
    }

    @Test("a field over --max-field-bytes is refused without loading it")
    func fieldSizeLimit() throws {
        let cli = try CLIHarness()
        let big = String(repeating: "x", count: 70_000)
        let file = try cli.write("big.csv", "device_id,platform,device_name\nd-1,iOS,\(big)\n")
        let refused = try cli.run(["import", "devices", file])
        #expect(refused.status == 65 && refused.stderr.contains("big.csv:2:3: a field longer than 65536 bytes"), "\(refused.stderr)")
        #expect(try cli.run(["import", "devices", file, "--max-field-bytes", "100000", "--quiet"]).status == 0)
        let batch = try cli.write("b.csv", "action,target,reason\nlock,d-1,\(big)\n")
        #expect(try cli.run(["plan", batch]).status == 65)
    }

    @Test("quietly accepted mistakes: a header-only batch warns and makes no run; export of an unknown run is 66; --from after --to is 64")
    func quietMistakes() throws {
        let cli = try Self.loaded()
        let empty = try cli.write("empty.csv", "request_id,action,target\n")
        let run = try cli.run(["run", empty])
        #expect(run.status == 0 && run.stderr.contains("no request"), "\(run)")
        #expect(try cli.sql("SELECT count(*) FROM runs") == "0")
        let plan = try cli.run(["plan", empty])
        #expect(plan.status == 0 && plan.stderr.contains("no request"))
        let export = try cli.run(["audit", "export", "--run", "nosuch"])
        #expect(export.status == 66 && export.stderr.contains("no run nosuch"), "\(export)")
        let window = try cli.run(["audit", "export", "--from", "2026-11-30", "--to", "2026-11-01"])
        #expect(window.status == 64 && window.stderr.contains("later than --to"), "\(window)")
    }

    @Test("messages: import users --help lists only its formats; --log-format json also carries errors; errors name the database")
    func messages() throws {
        let cli = try CLIHarness()
        let help = try cli.run(["import", "users", "--help"], db: false)
        #expect(help.stdout.contains("auto") && !help.stdout.contains("intune-csv") && !help.stdout.contains("graph-json"))
        let missing = try cli.run(["import", "devices", cli.path("nope.csv"), "--log-format", "json"])
        #expect(missing.status == 66)
        let object = try Self.json(String(missing.stderr.split(separator: "\n").last ?? ""))
        #expect(object["level"] as? String == "error" && (object["message"] as? String)?.contains("nope.csv") == true)
        let locked = cli.path("ro")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        let dir = try cli.run(["status", "--db", locked], db: false)
        #expect(dir.stderr.contains(locked), "the message names the database: \(dir)")
    }

    // MARK: 17–18.

    @Test("--version, and every command's help ends with examples")
    func versionAndExamples() throws {
        let cli = try CLIHarness()
        let version = try cli.run(["--version"], db: false)
        #expect(version.status == 0 && version.stdout.range(of: #"^\d+\.\d+\.\d+"#, options: .regularExpression) != nil)
        for command in [[], ["import"], ["import", "devices"], ["import", "users"], ["plan"], ["run"], ["confirm"], ["run-spool"],
                        ["status"], ["report"], ["audit"], ["audit", "verify"], ["audit", "export"], ["audit", "keygen"], ["rules"]] {
            let help = try cli.run(command + ["--help"], db: false)
            #expect(help.status == 0 && help.stdout.contains("EXAMPLES"), "\(command) --help has no EXAMPLES")
            #expect(!help.stdout.contains("RULES.md") && !help.stdout.contains("DESIGN.md"), "\(command) cites a file not in the repository")
        }
        for shell in ["bash", "zsh", "fish"] {
            let script = try cli.run(["--generate-completion-script", shell], db: false)
            #expect(script.status == 0 && script.stdout.contains("mdmbatch"))
        }
    }

    @Test("plan and report elements carry secret; a resumed run takes its recorded rule set and refuses another (64)")
    func secretFieldAndResume() throws {
        let cli = try Self.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target\nr-1,reset_passcode,d-0006\nr-2,lock,d-0001\nr-3,lock,nobody\n")
        let plan = try Self.json(try cli.run(["plan", batch, "--json"]).stdout)
        let secrets = (plan["requests"] as! [[String: Any]]).map { $0["secret"] as? String ?? "null" }
        #expect(secrets == ["temporary_passcode", "null", "null"])
        let first = try cli.run(["run", batch, "--rules", "intune-2017", "--mock-latency-ms", "3000", "--max-run-time", "1s",
                                 "--stop-grace", "0", "--passcodes-out", cli.path("p1.csv")])
        #expect(first.status == 75, "\(first)")
        let other = try cli.run(["run", batch, "--rules", "intune-2025", "--passcodes-out", cli.path("p2.csv")])
        #expect(other.status == 64 && other.stderr.contains("started under --rules intune-2017"), "\(other)")
        let resumed = try cli.run(["run", batch, "--passcodes-out", cli.path("p3.csv"), "--report", cli.path("r.json")])
        #expect(resumed.status == 1, "\(resumed)")
        let report = try Self.json(try String(contentsOfFile: cli.path("r.json"), encoding: .utf8))
        #expect(report["rule_set"] as? String == "intune-2017")
        #expect((report["requests"] as! [[String: Any]]).map { $0["secret"] as? String ?? "null" } == ["temporary_passcode", "null", "null"])
    }
}
