import Foundation
import Testing

@Suite("mdmbatch plan and rules (the built binary)")
struct PlanCommandTests {
    func loadedFleet() throws -> CLIHarness {
        let cli = try CLIHarness()
        #expect(try cli.run(["import", "users", cli.sample("users.csv"), "--quiet"]).status == 0)
        #expect(try cli.run(["import", "devices", cli.sample("devices.csv"), "--quiet"]).status == 0)
        return cli
    }

    @Test("plans the sample batch: every reason code, a table and a summary; only one audit row is written")
    func samplePlan() throws {
        let cli = try loadedFleet()
        let before = try cli.sql("SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM users), (SELECT count(*) FROM imports)")
        let result = try cli.run(["plan", cli.sample("batch-lost.csv")])
        #expect(result.status == 0, "\(result.stderr)")
        for reason in ["invalid_request", "unknown_target", "ambiguous_target", "no_devices_for_user", "duplicate_request",
                       "software_client_unsupported", "unlisted_platform", "os_version_unknown", "unsupported_platform",
                       "enrolling_user_unknown", "user_mismatch", "os_version_unsupported", "no_passcode"] {
            #expect(result.stdout.contains(reason), "\(reason) missing from the plan")
        }
        #expect(result.stdout.contains("36 requests, 39 targets: 18 accepted, 21 rejected"))
        #expect(try cli.sql("SELECT count(*) FROM audit_log WHERE event = 'plan'") == "1")
        #expect(try cli.sql("SELECT (SELECT count(*) FROM devices), (SELECT count(*) FROM users), (SELECT count(*) FROM imports)") == before)
        #expect(try cli.sql("SELECT actor != '' AND detail LIKE '%batch_sha256%' FROM audit_log WHERE event = 'plan'") == "1")
    }

    @Test("--json prints the shape of DESIGN.md")
    func planJSON() throws {
        let cli = try loadedFleet()
        let result = try cli.run(["plan", cli.sample("batch-lost.csv"), "--json"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let requests = object["requests"] as! [[String: Any]]
        let summary = object["summary"] as! [String: Any]
        #expect(requests.count == 39)
        #expect(summary["accepted"] as? Int == 18 && summary["rejected"] as? Int == 21 && summary["requests"] as? Int == 36)
        #expect((object["batch_sha256"] as? String)?.count == 64)
        let user = requests.filter { $0["request_id"] as? String == "r-06" }
        #expect(user.count == 4 && Set(user.compactMap { $0["line"] as? Int }) == [7])
        let unknown = requests.first { $0["request_id"] as? String == "r-15" }!
        #expect(unknown["device_id"] is NSNull && unknown["reason"] as? String == "unknown_target")
    }

    @Test("a broken batch exits 65 naming the place, and writes nothing; a missing one exits 66")
    func brokenBatch() throws {
        let cli = try loadedFleet()
        let audits = try cli.sql("SELECT count(*) FROM audit_log")
        let bad = try cli.write("bad.csv", "action,target\nlock,d-0001\n\"lock,d-0002\n")
        let result = try cli.run(["plan", bad])
        #expect(result.status == 65)
        #expect(result.stderr.contains("bad.csv:3:1: unterminated quoted field"), "\(result.stderr)")
        #expect(try cli.sql("SELECT count(*) FROM audit_log") == audits)
        #expect(try cli.run(["plan", cli.path("missing.csv")]).status == 66)
    }

    @Test("reads the batch from standard input")
    func stdinBatch() throws {
        let cli = try loadedFleet()
        let result = try cli.run(["plan", "-", "--json"], stdin: "{\"action\": \"lock\", \"target\": \"d-0001\"}\n")
        #expect(result.status == 0)
        #expect(result.stdout.contains("\"batch\": \"<stdin>\"") && result.stdout.contains("\"verdict\": \"accepted\""))
    }

    @Test("rules prints the matrix as a table and as JSON")
    func rules() throws {
        let cli = try CLIHarness()
        let table = try cli.run(["rules"], db: false)
        #expect(table.status == 0 && table.stdout.contains("android") && table.stdout.contains("if OS version < 7.0"))
        let json = try cli.run(["rules", "--json"], db: false)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        let platforms = object["platforms"] as! [String: [String: [String: Any]]]
        #expect(platforms.count == 9)
        #expect(platforms["windowsrt"]?["reset_passcode"]?["support"] as? String == "unlisted")
        #expect(platforms["windows81"]?["lock"]?["support"] as? String == "same_user_as_enrolled")
        #expect(platforms["android"]?["reset_passcode"]?["temporary_passcode"] as? Bool == true)
        // today's set, through the binary: its own platforms, the Mac's unlock PIN, and the set's name
        let today = try cli.run(["rules", "--rules", "intune-2025", "--json"], db: false)
        let set = try JSONSerialization.jsonObject(with: Data(today.stdout.utf8)) as! [String: Any]
        let todays = set["platforms"] as! [String: [String: [String: Any]]]
        #expect(today.status == 0 && todays["android_personal_work_profile"] != nil && todays["macos"] != nil, "\(today.stdout)")
        #expect(todays["macos"]?["lock"]?["secret"] as? String == "unlock_pin", "\(todays["macos"] ?? [:])")
        #expect(try cli.run(["rules", "--rules", "intune-2025"], db: false).stdout.contains("android_personal_work_profile"))
    }

    @Test("plan text: the header, of each verdict and reason the first 100 rows and the count of the rest, then the counts; --all every element; --json complete")
    func planFirstRows() throws {
        let cli = try CLIHarness()
        let batch = try LongBatch.prepare(cli)
        let result = try cli.run(["plan", batch])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        #expect(text.hasPrefix("LINE   REQUEST      ACTION          TARGET                     DEVICE         PLATFORM          VERDICT   REASON / NOTES\n"))
        #expect(text.contains("\nrejected · unknown_target: \(LongBatch.unknownGroup)\n"))
        #expect(text.contains("\naccepted: 18\n"))
        let unknown = LongBatch.lines(text, containing: " rejected  unknown_target")
        #expect(unknown.count == LongBatch.limit)
        #expect(text.contains("\n  … \(LongBatch.rest) more not shown; all of them: mdmbatch plan '\(batch)' --all (or --json)\n"))
        #expect(text.contains("\nNot every element is listed: mdmbatch plan '\(batch)' --all lists them all, --json with every field.\n"))
        #expect(text.contains("\(36 + LongBatch.unknownTargets) requests, \(39 + LongBatch.unknownTargets) targets: 18 accepted, \(21 + LongBatch.unknownTargets) rejected"))
        #expect(text.contains("\n  unknown_target ") && text.contains(" \(LongBatch.unknownGroup)   rule 2. the target must match a device or a user\n"),
                "counts by reason")
        for reason in ["ambiguous_target", "no_devices_for_user", "unsupported_platform", "no_passcode"] {
            #expect(text.contains("\nrejected · \(reason): "), "\(reason) has its group")
        }

        let all = try cli.run(["plan", batch, "--all"])
        #expect(all.status == 0)
        let rows = all.stdout.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().prefix { !$0.isEmpty }
        #expect(rows.count == 39 + LongBatch.unknownTargets, "one line per element")
        let lines = rows.map { Int($0.prefix(6).trimmingCharacters(in: .whitespaces))! }
        #expect(lines == lines.sorted(), "in plan order")
        #expect(!all.stdout.contains("more not shown") && !all.stdout.contains("Not every element is listed"))

        let json = try cli.run(["plan", batch, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        #expect((object["requests"] as! [[String: Any]]).count == 39 + LongBatch.unknownTargets)
        #expect(try cli.run(["plan", batch, "--json", "--all"]).stdout == json.stdout, "--all changes nothing in JSON")
        #expect(try cli.run(["plan", batch, "--quiet"]).stdout.isEmpty)
    }

    @Test("the note's command is the one that was run: another rule set is named, standard input is -")
    func planCommandInNote() throws {
        let cli = try CLIHarness()
        let batch = try LongBatch.prepare(cli)
        let rules = try cli.run(["plan", batch, "--rules", "intune-2025"])
        #expect(rules.stdout.contains("all of them: mdmbatch plan '\(batch)' --rules intune-2025 --all (or --json)"))
        let stdin = try cli.run(["plan", "-"], stdin: try String(contentsOfFile: batch, encoding: .utf8))
        #expect(stdin.stdout.contains("all of them: mdmbatch plan - --all (or --json)"))
    }
}
