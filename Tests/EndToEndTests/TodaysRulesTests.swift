import Foundation
import Testing

/// Today's Intune (`--rules intune-2025`) end to end over the mock: the Mac's unlock PIN,
/// a second lock while it may be unused, Android told apart by enrollment, agents Intune
/// does not act through.
@Suite("Today's rules end to end (the built binary, the mock)")
struct TodaysRulesTests {
    static func loaded() throws -> CLIHarness {
        try Fleets.loaded()
    }

    static func elements(_ cli: CLIHarness, _ arguments: [String]) throws -> [[String: Any]] {
        let result = try cli.run(arguments + ["--json"])
        return try JSON.object(result.stdout)["requests"] as! [[String: Any]]
    }

    @Test("a Mac's lock makes an unlock PIN that reaches the secrets file only; a second lock within 30 days is refused")
    func macUnlockPIN() throws {
        let cli = try Self.loaded()
        let first = try cli.write("mac1.csv", "request_id,action,target\nm-1,lock,d-0004\n")
        let run = try cli.run(["run", first, "--rules", "intune-2025", "--passcodes-out", cli.path("pins.csv"),
                               "--report", cli.path("r.json"), "--log-format", "json"])
        #expect(run.status == 0, "\(run)")
        let lines = try String(contentsOfFile: cli.path("pins.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines[1].hasPrefix("d-0004,m-1,2,lock,unlock_pin,"), "\(lines)")
        let pin = String(lines[1].split(separator: ",").last!)
        #expect(pin.count == 6 && pin.allSatisfy(\.isNumber))
        #expect(try cli.sql("SELECT secret || ',' || (secret_delivered_at IS NOT NULL) FROM dispatches") == "unlock_pin,1")
        let report = try String(contentsOfFile: cli.path("r.json"), encoding: .utf8)
        #expect(report.contains("\"secret\": \"unlock_pin\"") && !report.contains(pin))
        let dump = try cli.sql(".dump")
        #expect(!run.stderr.contains(pin) && !dump.contains(pin))

        // another run's lock of the same Mac: its unlock PIN may still be unused
        let second = try cli.write("mac2.csv", "request_id,action,target\nm-2,lock,d-0004\n")
        let today = try Self.elements(cli, ["plan", second, "--rules", "intune-2025"])
        #expect(today[0]["reason"] as? String == "unlock_pin_outstanding", "\(today)")
        let then = try Self.elements(cli, ["plan", second, "--rules", "intune-2017"])
        #expect(then[0]["reason"] as? String == "unsupported_platform", "2017 refuses every Mac action")
        // a Mac lock ended unknown counts too, and one sent more than 30 days ago does not
        _ = try cli.sql("UPDATE dispatches SET first_sent_at = '2026-01-01T00:00:00.000Z'")
        let old = try Self.elements(cli, ["plan", second, "--rules", "intune-2025"])
        #expect(old[0]["verdict"] as? String == "accepted", "a lock 30 days old leaves no outstanding PIN")
    }

    @Test("Android by enrollment: a personal work profile resets (temporary passcode) but does not lock; unknown enrollment is refused")
    func androidByEnrollment() throws {
        let cli = try Self.loaded()
        let batch = try cli.write("a.csv", """
            request_id,action,target
            a-1,reset_passcode,d-0010
            a-2,lock,d-0010
            a-3,reset_passcode,d-0034
            a-4,lock,d-0039
            a-5,reset_passcode,d-0040
            a-6,reset_passcode,d-0006
            a-7,lock,d-0043
            a-8,lock,d-0044

            """)
        let elements = try Self.elements(cli, ["plan", batch, "--rules", "intune-2025"])
        let verdicts = elements.map { "\($0["platform"] as? String ?? "-") \($0["verdict"]!) \($0["reason"] as? String ?? $0["secret"] as? String ?? "-")" }
        #expect(verdicts == [
            "android_personal_work_profile accepted temporary_passcode",
            "android_personal_work_profile rejected unsupported_platform",
            "enrollment_unknown rejected enrollment_unknown",
            "android_dedicated accepted -",
            "android_aosp accepted temporary_passcode",
            "android_device_admin rejected unsupported_platform",
            "macos rejected management_unsupported",
            "windows rejected management_unsupported",
        ], "\(verdicts)")
        let run = try cli.run(["run", batch, "--rules", "intune-2025", "--passcodes-out", cli.path("s.csv")])
        #expect(run.status == 1, "\(run)")
        let secrets = try String(contentsOfFile: cli.path("s.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(secrets.map { $0.split(separator: ",").prefix(5).joined(separator: ",") }.sorted()
                == ["d-0010,a-1,2,reset_passcode,temporary_passcode", "d-0040,a-5,6,reset_passcode,temporary_passcode"])
        #expect(try cli.sql("SELECT rule_set FROM runs") == "intune-2025")
    }

    @Test("the rule set of a run is recorded, shown by report and status, and kept on resume")
    func recordedRuleSet() throws {
        let cli = try Self.loaded()
        let batch = try cli.write("b.csv", "request_id,action,target\nb-1,lock,d-0041\n")
        #expect(try cli.run(["run", batch, "--rules", "intune-2025"]).status == 0)
        let id = try cli.sql("SELECT id FROM runs")
        #expect(try cli.run(["report", id]).stdout.contains("rules intune-2025"))
        #expect(try cli.run(["status", id]).stdout.contains("rules intune-2025"))
    }

    @Test("an iPhone's reset under today's rules removes the passcode: sent, succeeded, and no secret anywhere")
    func iPhoneResetMakesNoSecret() throws {
        let cli = try Self.loaded()
        let batch = try cli.write("i.csv", "request_id,action,target\ni-1,reset_passcode,d-0001\n")
        let plan = try Self.elements(cli, ["plan", batch, "--rules", "intune-2025"])
        let secret = plan[0]["secret"]
        #expect(plan[0]["verdict"] as? String == "accepted" && (secret == nil || secret is NSNull), "\(plan)")
        let run = try cli.run(["run", batch, "--rules", "intune-2025", "--passcodes-out", cli.path("s.csv")])
        #expect(run.status == 0, "\(run)")
        #expect(try cli.sql("SELECT state || ',' || coalesce(secret, '-') || ',' || (secret_delivered_at IS NULL) FROM dispatches") == "succeeded,-,1")
        let file = (try? String(contentsOfFile: cli.path("s.csv"), encoding: .utf8)) ?? ""
        #expect(file.split(separator: "\n").count <= 1, "no secret row: \(file)")
    }
}
