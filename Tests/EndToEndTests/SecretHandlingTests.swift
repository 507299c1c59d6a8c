import Foundation
import Testing

/// The secrets a reset makes: the service's own, delivered after a crash, never derived from
/// --mock-seed; a secrets file only when a secret came; a client secret never echoed
/// (issue 14, item 1; issue 23, items 7 and 9, against a scripted server on loopback).
@Suite("Secrets: kept across a crash, never from the seed, a file only when one came, never echoed (the built binary)", .serialized)
struct SecretHandlingTests {
    @Test("a passcode the service still holds after a crash is delivered, and the reset is recorded succeeded, not redone")
    func passcodeAfterCrash() throws {
        let cli = try Fleets.loaded()
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
            let cli = try Fleets.loaded()
            let batch = try cli.write("b\(round).csv", "request_id,action,target\nr-\(round),reset_passcode,d-0006\n")
            #expect(try cli.run(["run", batch, "--mock-seed", "7", "--passcodes-out", cli.path("p.csv")]).status == 0)
            passcodes.append(String(try String(contentsOfFile: cli.path("p.csv"), encoding: .utf8).split(separator: "\n")[1]
                .split(separator: ",").last!))
        }
        #expect(passcodes[0] != passcodes[1])
    }

    @Test("item 9: a mock run whose batch makes no secret leaves no secrets file; one that does writes it 0600")
    func secretsFileOnlyWithASecret() throws {
        let cli = try Fleets.loaded()
        let locks = try cli.write("l.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        #expect(try cli.run(["run", locks, "--passcodes-out", cli.path("p.csv"), "--quiet"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: cli.path("p.csv")))
        let resets = try cli.write("r.csv", "request_id,action,target\nr-2,reset_passcode,d-0006\n")
        #expect(try cli.run(["run", resets, "--passcodes-out", cli.path("p.csv"), "--quiet"]).status == 0)
        let attributes = try FileManager.default.attributesOfItem(atPath: cli.path("p.csv"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try cli.secrets("p.csv").count == 1)
    }

    @Test("item 9: a refused sign-in leaves no secrets file, so the same command can be run again (77 both times, not 73)")
    func noEmptySecretsFile() async throws {
        let cli = try Fleets.loaded()
        let server = try ScriptedHTTPServer { _, _ in .json(401, #"{"error":"invalid_client","error_description":"bad secret"}"#) }
        defer { server.stop() }
        let batch = try cli.write("b.csv", "request_id,action,target\nr-1,reset_passcode,d-0006\n")
        let arguments = ["run", batch, "--passcodes-out", cli.path("p.csv"), "--confirm"] + server.flags
        let first = try await cli.mdm(arguments, environment: ScriptedHTTPServer.environment)
        #expect(first.status == 77, "\(first)")
        #expect(!FileManager.default.fileExists(atPath: cli.path("p.csv")), "no secret came: no file")
        let second = try await cli.mdm(arguments, environment: ScriptedHTTPServer.environment)
        #expect(second.status == 77, "\(second)")
    }

    @Test("item 7: an error_description echoing the client secret near character 990 shows no part of it")
    func secretEchoedNearTheCut() async throws {
        let cli = try Fleets.loaded()
        let description = String(repeating: "x", count: 988) + " " + ScriptedHTTPServer.secret + " was not accepted"
        let answer = try JSONSerialization.data(withJSONObject: ["error": "invalid_client", "error_description": description])
        let server = try ScriptedHTTPServer { _, _ in .answer(status: 401, headers: ["Content-Type: application/json"], body: Array(answer)) }
        defer { server.stop() }
        let batch = try cli.write("b.csv", "request_id,action,target\nr-1,lock,d-0001\n")
        let result = try await cli.mdm(["run", batch] + server.flags, environment: ScriptedHTTPServer.environment)
        #expect(result.status == 77, "\(result)")
        for text in [result.stdout, result.stderr, try await cli.query("SELECT group_concat(detail) FROM audit_log")] {
            #expect(!text.contains("S3cr3t") && !text.contains("XYZ-fake"), "\(text.suffix(200))")
        }
    }
}
