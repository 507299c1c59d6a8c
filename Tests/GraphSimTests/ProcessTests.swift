import Foundation
import Testing

@Suite("The graph-sim process: start-up refusals, stopping")
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
    }

    @Test("--help explains every flag")
    func help() throws {
        let result = try SimProcess.runToEnd(["--help"])
        #expect(result.status == 0)
        for flag in ["--fleet", "--users", "--fleet-size", "--port", "--host", "--tenant", "--app", "--deny-permission",
                     "--token-ttl", "--action-delay-ms", "--secret-ttl", "--unlock-pin-ttl", "--fail-device", "--fail-rate",
                     "--no-throttle", "--write-limit", "--request-limit", "--tenant-write-limit", "--tenant-request-limit",
                     "--retry-after-form", "--throttle-slack-ms", "--seed", "--latency-ms", "--fault-rate", "--faults", "--slow-ms",
                     "--read-fault-rate", "--malformed-page", "--journal", "--reject-reused-jti", "--log-level"] {
            #expect(result.stdout.contains(flag + " ") || result.stdout.contains(flag + "\n"), "\(flag)")
        }
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
