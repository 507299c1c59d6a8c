import Foundation
import Testing

/// What mdmbatch says: warnings for quietly accepted mistakes, errors that name what they
/// are about, help with examples and exit statuses (issue 14, items 11–18; issue 23, item 11).
@Suite("Messages, help and quiet mistakes (the built binary)")
struct MessagesAndHelpTests {
    @Test("quietly accepted mistakes: a header-only batch warns and makes no run; export of an unknown run is 66; --from after --to is 64")
    func quietMistakes() throws {
        let cli = try Fleets.loaded()
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
        let object = try JSON.object(String(missing.stderr.split(separator: "\n").last ?? ""))
        #expect(object["level"] as? String == "error" && (object["message"] as? String)?.contains("nope.csv") == true)
        let locked = cli.path("ro")
        try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: true)
        let dir = try cli.run(["status", "--db", locked], db: false)
        #expect(dir.stderr.contains(locked), "the message names the database: \(dir)")
    }

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

    @Test("item 11: run --help lists exit statuses 73, 77 and 78")
    func runHelpExitStatuses() throws {
        let cli = try CLIHarness()
        let help = try cli.run(["run", "--help"], db: false).stdout.replacingOccurrences(of: "\n", with: " ")
        for code in ["73", "77", "78"] { #expect(help.contains(" \(code) "), "\(code) missing") }
    }
}
