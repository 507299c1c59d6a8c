import Foundation
import Testing

@Suite("The graph-sim process: start-up refusals, flags, stopping")
struct ProcessTests {
    @Test("a malformed fleet file exits 65 with the importer's message")
    func malformedFleet() throws {
        let path = try temporaryFile("devices.csv", "device_id,platform,management\nd-1,iOS,PCagentX\n")
        let result = try SimProcess.runToEnd(["--fleet", path])
        #expect(result.status == 65)
        #expect(result.stderr.contains("devices.csv:2:3:"))
        #expect(result.stdout.isEmpty)
    }

    @Test("a missing fleet file exits 66; usage errors exit 64")
    func refusals() throws {
        #expect(try SimProcess.runToEnd(["--fleet", "/nonexistent/devices.csv"]).status == 66)
        #expect(try SimProcess.runToEnd([]).status == 64)
        #expect(try SimProcess.runToEnd(["--fleet-size", "3", "--host", "0.0.0.0"]).status == 64)
        #expect(try SimProcess.runToEnd(["--fleet-size", "3", "--app", "no-credential"]).status == 64)
        #expect(try SimProcess.runToEnd(["--fleet-size", "3", "--deny-permission", "Mail.Send"]).status == 64)
        for (flag, value) in [("--results-lag", "soon"), ("--results-lag", "-5s"), ("--foreign-load", "many"),
                              ("--foreign-load", "10/"), ("--second-mac-lock", "maybe"), ("--faults", "501"),
                              ("--fault-rate", "2")] {
            let result = try SimProcess.runToEnd(["--fleet-size", "3", "--realistic", "\(flag)=\(value)"])
            #expect(result.status == 64, "\(flag) \(value)")
            #expect(result.stderr.contains(flag), "\(flag) \(value): \(result.stderr)")
        }
    }

    @Test("--realistic reaches the service (a second Mac lock fails on the device, refusals give no reason); explicit flags win")
    func realistic() async throws {
        try await withSim(["--realistic", "--fault-rate", "0", "--results-lag", "0", "--action-delay-ms", "0"]) { sim in
            let token = try await sim.token()
            for _ in 0..<2 {
                #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/mac-1/remoteLock", token: token).status == 204)
            }
            #expect(try await sim.actionResults("mac-1", token: token).first?["actionState"] as? String == "failed")
            let refused = try await sim.post("/v1.0/deviceManagement/managedDevices/win-1/remoteLock", token: token)
            #expect(refused.status == 400)
            let nested = try #require(refused.errorMessage.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) }
                as? [String: Any])
            #expect((nested["Message"] as? String)?.hasSuffix("/v1.0/deviceManagement/managedDevices/win-1/remoteLock") == true)
            let effects = try sim.journalEntries().filter { $0["type"] as? String == "effect" }
            #expect(effects.map { $0["fails_on_device"] as? Bool } == [nil, true])
        }
        try await withSim(["--realistic", "--second-mac-lock", "refused", "--no-reasonless-400", "--fault-rate", "0",
                           "--results-lag", "0", "--action-delay-ms", "0"]) { sim in
            let token = try await sim.token()
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/mac-1/remoteLock", token: token).status == 204)
            let second = try await sim.post("/v1.0/deviceManagement/managedDevices/mac-1/remoteLock", token: token)
            #expect(second.status == 400)
            #expect(second.errorMessage?.contains("already pending") == true)
        }
    }

    @Test("--realistic alone: an action shows within 5 s of its answer")
    func realisticLag() async throws {
        try await withSim(["--realistic", "--fault-rate", "0", "--action-delay-ms", "0"]) { sim in
            let token = try await sim.token()
            #expect(try await sim.post("/v1.0/deviceManagement/managedDevices/ios-1/remoteLock", token: token).status == 204)
            let answered = ContinuousClock.now
            // shown by 5 s after the effect, whatever this machine's load (the effect came before the answer)
            try await ContinuousClock().sleep(until: answered + .milliseconds(5050))
            #expect(try await sim.actionResults("ios-1", token: token).first?["actionName"] as? String == "remoteLock")
        }
    }

    @Test("--help explains every flag")
    func help() throws {
        let result = try SimProcess.runToEnd(["--help"])
        #expect(result.status == 0)
        for flag in ["--fleet", "--users", "--fleet-size", "--port", "--host", "--tenant", "--app", "--deny-permission",
                     "--token-ttl", "--action-delay-ms", "--secret-ttl", "--unlock-pin-ttl", "--fail-device", "--fail-rate",
                     "--no-throttle", "--write-limit", "--request-limit", "--tenant-write-limit", "--tenant-request-limit",
                     "--retry-after-form", "--throttle-slack-ms", "--seed", "--latency-ms", "--fault-rate", "--faults", "--slow-ms",
                     "--read-fault-rate", "--malformed-page", "--journal", "--reject-reused-jti", "--log-level",
                     "--realistic", "--results-lag", "--foreign-load", "--second-mac-lock"] {
            #expect(result.stdout.contains(flag + " ") || result.stdout.contains(flag + "\n"), "\(flag)")
        }
        #expect(result.stdout.contains("--reasonless-400/--no-reasonless-400\n"))
        // Intune's limits are the defaults
        let help = result.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
        for limit in ["200/20", "400/20", "2000/20", "4000/20"] {
            #expect(help.contains("(default: \(limit))"), "\(limit)")
        }
    }

    @Test("SIGTERM stops it promptly and cleanly, even with a slow answer pending")
    func stops() async throws {
        let sim = try await SimProcess.start(["--fault-rate", "1", "--faults", "slow", "--slow-ms", "60000"])
        let token = try await sim.token()
        let pending = Task {
            try? await sim.send(.POST, "/v1.0/deviceManagement/managedDevices/ios-1/remoteLock", token: token,
                                timeout: .seconds(30))
        }
        try await Task.sleep(for: .milliseconds(200))
        let clock = ContinuousClock()
        var status: Int32 = -1
        let elapsed = await clock.measure { status = await sim.stop() }
        #expect(status == 0, "\(sim.stderr)")
        // the slow answer would take 60 s: stopping well before half of it did not wait for it
        #expect(elapsed < .seconds(30), "\(elapsed)")
        _ = await pending.value
    }
}
