import Foundation
import MDMBatchKit
import Testing

@Suite("mdmbatch audit: verify, signed checkpoints, exports (the built binary)")
struct AuditCommandTests {
    /// Samples imported and the sample batch run, every checkpoint signed with `key`.
    static func signedLog() throws -> (CLIHarness, key: String) {
        let cli = try CLIHarness()
        #expect(try cli.run(["audit", "keygen", "--out", cli.path("key")], db: false).status == 0)
        let key = cli.path("key")
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet", "--signing-key", key]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"],
                            environment: ["MDMBATCH_SIGNING_KEY": key]).status == 0)
        let run = try cli.run(["run", cli.sample("batch-lost.csv"), "--rate", "off", "--signing-key", key,
                               "--passcodes-out", cli.path("passcodes.csv")])
        #expect(run.status == 1)
        _ = try cli.sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return (cli, key)
    }

    func verify(_ cli: CLIHarness, key: String) throws -> CLIHarness.Result {
        try cli.run(["audit", "verify", "--public-key", key + ".pub"])
    }

    @Test("keygen writes a 0600 key and its .pub, and refuses to overwrite; an intact signed chain verifies")
    func intact() throws {
        let (cli, key) = try Self.signedLog()
        #expect(try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int == 0o600)
        #expect(try cli.run(["audit", "keygen", "--out", key], db: false).status == 73)
        let result = try verify(cli, key: key)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("audit chain intact: ") && result.stdout.contains("3 checkpoints (3 signed)"), "\(result.stdout)")
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE event = 'checkpoint'") == "3")
        // a signing key that does not exist or is not a key stops the command before it writes
        let rows = try cli.sql("SELECT count(*) FROM audit_log")
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--signing-key", cli.path("nope")]).status == 66)
        try cli.write("bad.key", "not a key\n")
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--signing-key", cli.path("bad.key")]).status == 64)
        #expect(try cli.sql("SELECT count(*) FROM audit_log") == rows)
    }

    @Test("the triggers refuse a plain UPDATE and DELETE")
    func triggers() throws {
        let (cli, _) = try Self.signedLog()
        for statement in ["UPDATE audit_log SET actor = 'x' WHERE seq = 3", "DELETE FROM audit_log WHERE seq = 3"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["sqlite3", cli.database, statement]
            let err = Pipe()
            process.standardError = err
            try process.run()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExitPolling()
            #expect(message.contains("append-only"), "\(statement): \(message)")
        }
        #expect(try verify(cli, key: cli.path("key")).status == 0)
    }

    /// A middle row that is not a checkpoint.
    static func middleRow(_ cli: CLIHarness) throws -> Int {
        Int(try cli.sql("SELECT seq FROM audit_log WHERE event = 'rejected' ORDER BY seq LIMIT 1 OFFSET 3"))!
    }

    static let unlocked = "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete; "

    @Test("editing any column of a row is caught at that row", arguments: [
        "at = '2020-01-01T00:00:00.000Z'", "run_id = 'run-other'", "actor = 'mallory'", "event = 'nothing'",
        "device_id = 'd-9999'", "action = 'wipe'", "outcome = 'succeeded'", "reason = NULL", "detail = '{}'",
        "hash = '" + String(repeating: "a", count: 64) + "'",
    ])
    func editedColumn(assignment: String) throws {
        let (cli, key) = try Self.signedLog()
        let seq = try Self.middleRow(cli)
        _ = try cli.sql(Self.unlocked + "UPDATE audit_log SET \(assignment) WHERE seq = \(seq)")
        let result = try verify(cli, key: key)
        #expect(result.status == 1)
        #expect(result.stderr.contains("audit row \(seq): changed row"), "\(result.stderr)")
    }

    @Test("a changed prev_hash, a deleted row, two swapped rows, a moved row: each caught at the first bad row")
    func structure() throws {
        do {
            let (cli, key) = try Self.signedLog()
            let seq = try Self.middleRow(cli)
            _ = try cli.sql(Self.unlocked + "UPDATE audit_log SET prev_hash = '\(String(repeating: "0", count: 64))' WHERE seq = \(seq)")
            #expect(try verify(cli, key: key).stderr.contains("audit row \(seq): broken link"))
        }
        do {
            let (cli, key) = try Self.signedLog()
            let seq = try Self.middleRow(cli)
            _ = try cli.sql(Self.unlocked + "DELETE FROM audit_log WHERE seq = \(seq)")
            #expect(try verify(cli, key: key).stderr.contains("audit row \(seq): missing rows"))
        }
        do {
            let (cli, key) = try Self.signedLog()
            let seq = try Self.middleRow(cli)
            // swap the contents of seq and seq + 1, each row keeping its own hashes: the order is wrong
            _ = try cli.sql(Self.unlocked + """
                CREATE TABLE t AS SELECT * FROM audit_log WHERE seq IN (\(seq), \(seq + 1));
                UPDATE audit_log SET (at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash) =
                    (SELECT at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash FROM t
                     WHERE t.seq = CASE audit_log.seq WHEN \(seq) THEN \(seq + 1) ELSE \(seq) END)
                WHERE seq IN (\(seq), \(seq + 1));
                DROP TABLE t;
                """)
            let result = try verify(cli, key: key)
            #expect(result.status == 1 && result.stderr.contains("audit row \(seq): "), "\(result.stderr)")
        }
        do {
            let (cli, key) = try Self.signedLog()
            let seq = try Self.middleRow(cli)
            _ = try cli.sql(Self.unlocked + "UPDATE audit_log SET seq = 1000000 WHERE seq = \(seq)")
            #expect(try verify(cli, key: key).stderr.contains("audit row \(seq): missing rows"))
        }
    }

    @Test("dropping the tail (the run's last rows and its checkpoint) is caught")
    func droppedTail() throws {
        let (cli, key) = try Self.signedLog()
        let finished = try cli.sql("SELECT seq FROM audit_log WHERE event = 'run_finished'")
        _ = try cli.sql(Self.unlocked + "DELETE FROM audit_log WHERE seq >= \(finished)")
        let result = try verify(cli, key: key)
        #expect(result.status == 1 && result.stderr.contains("truncated tail"), "\(result.stderr)")
    }

    @Test("a forged hash (the edited row's hash recomputed) is caught at the next row")
    func forgedHash() throws {
        let (cli, key) = try Self.signedLog()
        let seq = try Self.middleRow(cli)
        let dump = try cli.sql("SELECT seq, at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash FROM audit_log WHERE seq = \(seq)", json: true)
        let row = (try JSONSerialization.jsonObject(with: Data(dump.utf8)) as! [[String: Any]])[0]
        let fields: [String?] = [String(seq), row["at"] as? String, row["run_id"] as? String, "mallory", row["event"] as? String,
                                 row["device_id"] as? String, row["action"] as? String, row["outcome"] as? String,
                                 row["reason"] as? String, row["detail"] as? String]
        let forged = AuditLog.chainHash(prevHash: row["prev_hash"] as! String, fields: fields)
        _ = try cli.sql(Self.unlocked + "UPDATE audit_log SET actor = 'mallory', hash = '\(forged)' WHERE seq = \(seq)")
        let result = try verify(cli, key: key)
        #expect(result.stderr.contains("audit row \(seq + 1): broken link"), "\(result.stderr)")
    }

    /// The fingerprint `audit verify` prints for the key at `key` (its `.pub`).
    static func fingerprint(_ key: String) throws -> String { try AuditPublicKey(file: key + ".pub").fingerprint }

    @Test("verify names each signing key with how many checkpoints it signed; another key's checkpoint fails with --public-key")
    func otherKey() throws {
        let (cli, key) = try Self.signedLog()
        let ours = try Self.fingerprint(key)
        let intact = try verify(cli, key: key)
        #expect(intact.status == 0 && intact.stdout.contains("signed by key \(ours) (3 checkpoints)"), "\(intact)")

        #expect(try cli.run(["audit", "keygen", "--out", cli.path("other")], db: false).status == 0)
        let theirs = try Self.fingerprint(cli.path("other"))
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet", "--signing-key", cli.path("other")]).status == 0)
        let checkpoint = try cli.sql("SELECT max(seq) FROM audit_log")
        let result = try verify(cli, key: key)
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("audit row \(checkpoint): bad signature: signed by key \(theirs), not by the given key \(ours)"),
                "\(result.stderr)")
        // without the trusted key the chain itself is intact: each checkpoint verifies with the key it names, and both are named
        let named = try cli.run(["audit", "verify"])
        #expect(named.status == 0)
        #expect(named.stdout.contains("4 checkpoints (4 signed)")
                && named.stdout.contains("signed by key \(ours) (3 checkpoints), key \(theirs) (1 checkpoint)"), "\(named.stdout)")
    }

    @Test("an unsigned checkpoint after signed ones (its signature stripped and the row re-hashed) fails, with or without --public-key")
    func strippedSignature() throws {
        let (cli, key) = try Self.signedLog()
        let seq = Int(try cli.sql("SELECT max(seq) FROM audit_log"))!
        let dump = try cli.sql("SELECT at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash FROM audit_log WHERE seq = \(seq)",
                               json: true)
        let row = (try JSONSerialization.jsonObject(with: Data(dump.utf8)) as! [[String: Any]])[0]
        #expect(row["event"] as? String == "checkpoint")
        let sealed = try JSONSerialization.jsonObject(with: Data((row["detail"] as! String).utf8)) as! [String: Any]
        let detail = "{\"head\":\"\(sealed["head"] as! String)\",\"head_seq\":\(seq - 1)}"
        let fields: [String?] = [String(seq), row["at"] as? String, row["run_id"] as? String, row["actor"] as? String, "checkpoint",
                                 nil, nil, row["outcome"] as? String, nil, detail]
        let hash = AuditLog.chainHash(prevHash: row["prev_hash"] as! String, fields: fields)
        _ = try cli.sql(Self.unlocked + "UPDATE audit_log SET detail = '\(detail)', hash = '\(hash)' WHERE seq = \(seq)")
        for arguments in [["--public-key", key + ".pub"], []] {
            let result = try cli.run(["audit", "verify"] + arguments)
            #expect(result.status == 1 && result.stderr.contains("audit row \(seq): unsigned checkpoint"), "\(result)")
        }
    }

    @Test("with a signed checkpoint, import and run without the key refuse (78) and change nothing, nor send anything")
    func keyRequired() throws {
        let (cli, _) = try Self.signedLog()
        let batch = "request_id,action,target,requested_by\nn-01,lock,d-0001,helpdesk\n"
        try cli.write("again.csv", batch)
        try FileManager.default.createDirectory(atPath: cli.path("spool/incoming"), withIntermediateDirectories: true)
        try cli.write("spool/incoming/again.csv", batch)
        let journal = cli.database + ".mock-journal.jsonl"
        let dump = try cli.sql(".dump")
        let sent = try String(contentsOfFile: journal, encoding: .utf8)
        for command in [["import", "users", cli.sample("users.csv")], ["import", "devices", cli.sample("devices.csv")],
                        ["run", cli.path("again.csv"), "--rate", "off"], ["run-spool", cli.path("spool")]] {
            let result = try cli.run(command)
            #expect(result.status == 78, "\(command): \(result)")
            #expect(result.stderr.contains("this database's checkpoints are signed: pass --signing-key FILE or set MDMBATCH_SIGNING_KEY"),
                    "\(result.stderr)")
            #expect(try cli.sql(".dump") == dump, "\(command) changed the database")
        }
        #expect(try String(contentsOfFile: journal, encoding: .utf8) == sent, "nothing was sent")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.path("spool")) == ["incoming"])
        // an empty $MDMBATCH_SIGNING_KEY is no key either
        #expect(try cli.run(["import", "users", cli.sample("users.csv")], environment: ["MDMBATCH_SIGNING_KEY": ""]).status == 78)
    }

    @Test("without the key, plan and export write their rows and no checkpoint; the next signed command seals them")
    func planAndExportUnsealed() throws {
        let (cli, key) = try Self.signedLog()
        let checkpoints = try cli.sql("SELECT count(*) FROM audit_log WHERE event = 'checkpoint'")
        #expect(try cli.run(["plan", cli.sample("batch-lost.csv"), "--quiet"]).status == 0)
        #expect(try cli.run(["audit", "export", "--format", "jsonl", "--output", cli.path("audit.jsonl")]).status == 0)
        #expect(try cli.sql("SELECT group_concat(event) FROM (SELECT event FROM audit_log ORDER BY seq DESC LIMIT 3)")
                == "export,plan,checkpoint")
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE event = 'checkpoint'") == checkpoints)
        let unsealed = try verify(cli, key: key)
        #expect(unsealed.status == 0 && unsealed.stdout.contains("2 rows after the last checkpoint"), "\(unsealed)")

        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet", "--signing-key", key]).status == 0)
        let sealed = try verify(cli, key: key)
        #expect(sealed.status == 0 && sealed.stdout.contains("4 checkpoints (4 signed)")
                && !sealed.stdout.contains("after the last checkpoint"), "\(sealed)")
    }

    /// The head `audit verify` printed, as SEQ:HASH.
    static func head(_ result: CLIHarness.Result) throws -> String {
        let match = try #require(result.stdout.firstMatch(of: /head (\d+:[0-9a-f]{64})/), "\(result)")
        return String(match.1)
    }

    @Test("--expect-head: the printed head passes; a cut tail and plan and export rows removed with their checkpoints fail")
    func expectHead() throws {
        let (cli, key) = try Self.signedLog()
        let first = try Self.head(verify(cli, key: key))
        #expect(try cli.run(["plan", cli.sample("batch-lost.csv"), "--quiet", "--signing-key", key]).status == 0)
        #expect(try cli.run(["audit", "export", "--output", cli.path("audit.csv"), "--signing-key", key]).status == 0)
        let printed = try verify(cli, key: key)
        let second = try Self.head(printed)
        let end = Int(second.prefix { $0 != ":" })!
        #expect(first.hasPrefix("\(end - 4):"), "plan and export: a row and a checkpoint each")
        for head in [first, second] {
            let result = try cli.run(["audit", "verify", "--public-key", key + ".pub", "--expect-head", head])
            #expect(result.status == 0 && result.stdout.contains("row \(head.prefix { $0 != ":" }) matches the expected head"), "\(result)")
        }

        // the plan and export rows and their checkpoints removed: a consistent, shorter chain
        _ = try cli.sql(Self.unlocked + "DELETE FROM audit_log WHERE seq > \(end - 4)")
        #expect(try verify(cli, key: key).status == 0, "undetectable without a head kept elsewhere")
        let cut = try cli.run(["audit", "verify", "--expect-head", second])
        #expect(cut.status == 1, "\(cut)")
        #expect(cut.stderr.contains("truncated tail: the log ends at row \(end - 4), the expected head is row \(end)"), "\(cut.stderr)")

        // …and new rows appended in their place: row SEQ is there, with another hash
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet", "--signing-key", key]).status == 0)
        #expect(try cli.run(["plan", cli.sample("batch-lost.csv"), "--quiet", "--signing-key", key]).status == 0)
        let replaced = try cli.run(["audit", "verify", "--public-key", key + ".pub", "--expect-head", second])
        #expect(replaced.status == 1 && replaced.stderr.contains("audit row \(end): replaced history"), "\(replaced)")
        #expect(try cli.run(["audit", "verify", "--expect-head", first]).status == 0)

        for bad in ["12", "x:" + String(repeating: "a", count: 64), "0:" + String(repeating: "a", count: 64), "5:abc", "5:" + String(repeating: "g", count: 64)] {
            let result = try cli.run(["audit", "verify", "--expect-head", bad])
            #expect(result.status == 64 && result.stderr.contains("expected SEQ:HASH"), "\(bad): \(result)")
        }
    }

    @Test("a dropped audit_log: verify fails (1) and export refuses (65), each saying audit_log missing, with no SQL dump")
    func droppedTable() throws {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet"]).status == 0)
        _ = try cli.sql("DROP TABLE audit_log")
        let verified = try cli.run(["audit", "verify"])
        #expect(verified.status == 1 && verified.stderr.contains("audit_log missing"), "\(verified)")
        for command in [["audit", "export", "--output", cli.path("audit.csv")], ["audit", "export"], ["import", "users", cli.sample("users.csv")]] {
            let result = try cli.run(command)
            #expect(result.status == 65 && result.stderr.contains("audit_log missing"), "\(command): \(result)")
            #expect(!result.stderr.contains("internal") && !result.stderr.contains("SQLite"), "\(result.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: cli.path("audit.csv")))
    }

    @Test("audit verify --help says what is checked")
    func verifyHelp() throws {
        // paragraphs are wrapped to the terminal's width: compare words, not lines
        let help = try CLIHarness().run(["audit", "verify", "--help"], db: false).stdout.split(whereSeparator: \.isWhitespace)
            .joined(separator: " ")
        for phrase in ["prev_hash", "head_seq", "once one checkpoint is signed, every later one must be", "--public-key",
                       "Rows after the last checkpoint are unsealed", "--expect-head", "lost its tail", "changed or replaced"] {
            #expect(help.contains(phrase), "\(phrase)")
        }
    }

    @Test("CSV export neutralises formulas; JSONL keeps every value and round-trips; both are audited; no passcode in either")
    func exports() throws {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        // (a leading tab cannot reach an audit row: batch values are trimmed; neutralisedCell is checked for it below)
        let hostile = ["=HYPERLINK(\"http://x\")", "+SUM(1)", "-2+3", "@cmd", "\rcr", "\nlf"]
        #expect(CSVText.neutralisedCell("\tlead") == "'\tlead" && CSVText.neutralisedCell("=1,2") == "\"'=1,2\"")
        var batch = "request_id,action,target,requested_by\n"
        for (index, actor) in hostile.enumerated() {
            batch += "h-\(index),lock,d-0004,\"\(actor.replacingOccurrences(of: "\"", with: "\"\""))\"\n"  // macOS: rejected
        }
        batch += "h-p,reset_passcode,d-0010,helpdesk\n"
        try cli.write("hostile.csv", batch)
        let run = try cli.run(["run", cli.path("hostile.csv"), "--rate", "off", "--passcodes-out", cli.path("pc.csv")])
        #expect(run.status == 1, "\(run.stderr)")
        let passcodes = try String(contentsOfFile: cli.path("pc.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { String($0.split(separator: ",").last!) }

        #expect(try cli.run(["audit", "export", "--format", "csv", "--output", cli.path("audit.csv")]).status == 0)
        #expect(try cli.run(["audit", "export", "--format", "jsonl", "--output", cli.path("audit.jsonl")]).status == 0)
        let csv = try String(contentsOfFile: cli.path("audit.csv"), encoding: .utf8)
        let jsonl = try String(contentsOfFile: cli.path("audit.jsonl"), encoding: .utf8)
        #expect(try FileManager.default.attributesOfItem(atPath: cli.path("audit.csv"))[.posixPermissions] as? Int == 0o600)
        for actor in hostile {
            let cell = CSVText.neutralisedCell(actor)
            #expect(cell.hasPrefix("'") || cell.hasPrefix("\"'"), "\(cell)")
            #expect(csv.contains("," + cell + ","), "\(actor) not neutralised")
        }
        #expect(!csv.contains(",=HYPERLINK") && !csv.contains(",+SUM") && !csv.contains(",@cmd"))
        for secret in passcodes {
            #expect(!csv.contains(secret) && !jsonl.contains(secret))
        }

        // JSONL: the rows exactly as stored (exported before the two export rows were appended)
        let lines = jsonl.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let stored = try JSONSerialization.jsonObject(with: Data(try cli.sql(
            "SELECT seq, at, run_id, actor, event, device_id, action, outcome, reason, detail, prev_hash, hash FROM audit_log WHERE seq <= \(lines.count) ORDER BY seq",
            json: true).utf8)) as! [[String: Any]]
        #expect(lines.count == stored.count)
        for (line, row) in zip(lines, stored) { #expect(NSDictionary(dictionary: line).isEqual(to: row), "\(line)") }
        #expect(lines.contains { hostile.contains($0["actor"] as? String ?? "") })
        var previous = AuditLog.genesisHash
        for line in lines {
            let fields: [String?] = [String(line["seq"] as! Int)] + ["at", "run_id", "actor", "event", "device_id", "action", "outcome",
                                                                      "reason", "detail"].map { line[$0] as? String }
            previous = AuditLog.chainHash(prevHash: previous, fields: fields)
            #expect(line["hash"] as? String == previous, "the chain recomputes from the export alone")
        }

        // each export is audited with its row count and the sha256 of its bytes, then sealed
        let exportRows = try cli.sql("SELECT detail FROM audit_log WHERE event = 'export' ORDER BY seq").split(separator: "\n")
        #expect(exportRows.count == 2)
        #expect(exportRows[1].contains("\"rows\":\(lines.count)") && exportRows[1].contains("\"format\":\"jsonl\""))
        #expect(try cli.sql("SELECT event FROM audit_log ORDER BY seq DESC LIMIT 1") == "checkpoint")
        #expect(try cli.run(["audit", "verify"]).status == 0)

        // filters: one run, a time window; bad values are usage errors
        let runID = try cli.sql("SELECT id FROM runs")
        let onlyRun = try cli.run(["audit", "export", "--run", runID, "--format", "jsonl"])
        #expect(onlyRun.status == 0 && onlyRun.stdout.split(separator: "\n").allSatisfy { $0.contains(runID) })
        #expect(try cli.run(["audit", "export", "--from", "2000-01-01", "--to", "2000-01-02"]).stdout.split(separator: "\n").count == 1)
        #expect(try cli.run(["audit", "export", "--from", "yesterday"]).status == 64)
        #expect(try cli.run(["audit", "export", "--format", "xml"]).status == 64)
    }
}
