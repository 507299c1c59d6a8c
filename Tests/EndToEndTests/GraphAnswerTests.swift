import Foundation
import Testing

/// Every class of answer Graph gives to a send, over real HTTP: 204, 429 (each form of
/// Retry-After), 503, a refused connection, Intune's 400 refusals and 404.
@Suite("Graph end to end: each answer to a send", .serialized)
struct GraphAnswerTests {
    @Test("a 429 storm, with Retry-After whole, fractional, an HTTP date or absent, ends with every element succeeded and each lock done once",
          arguments: ["whole", "fractional", "date", "absent"])
    func throttled(form: String) async throws {
        let cli = try CLIHarness()
        let devices = (0..<16).map { GraphFleet.Device.iPhone("l-\($0)") }
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        // 8 writes a second against a run that does not pace itself: most first attempts are refused
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--write-limit", "8/1", "--tenant-write-limit", "8/1",
                                                               "--retry-after-form", form, "--action-delay-ms", "0"])
        let result = try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off", "--concurrency", "16", "--max-attempts", "40"],
                                       environment: sim.secretEnvironment())
        await sim.stop()
        #expect(result.status == 0, "\(result)")
        #expect(try await cli.dispatchStates() == ["succeeded": 16])
        let statuses = try sim.actionStatuses()
        #expect((statuses[429] ?? 0) >= 4, "a storm of 429s: \(statuses)")
        #expect(statuses[204] == 16, "\(statuses)")
        #expect(try sim.effects().values.map { $0["remoteLock"] ?? 0 }.sorted() == Array(repeating: 1, count: 16))
        // the retries waited as the service said: the audit rows record each wait
        let waits = try await cli.query("SELECT count(*) FROM audit_log WHERE event = 'dispatch_attempt' AND outcome = 'retry_wait'")
        #expect(Int(waits) == statuses[429], "one recorded wait per 429")
        if form == "whole" || form == "fractional" {
            // never sooner than Retry-After: no wait shorter than the shortest the service can ask (1 ms)
            let shortest = try await cli.query("""
                SELECT min(json_extract(detail, '$.retry_in_s')) FROM audit_log WHERE event = 'dispatch_attempt' AND outcome = 'retry_wait'
                """)
            #expect((Double(shortest) ?? 0) > 0, "shortest wait \(shortest)")
        }
    }

    @Test("503 answers prove nothing: a lock is sent again, a reset asked about and sent again once --settle shows it never arrived; every element succeeds, each action done once")
    func unavailable() async throws {
        let cli = try CLIHarness()
        let devices = GraphFleet.mixed(12, prefix: "u")
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--fault-rate", "0.4", "--faults", "503", "--seed", "3",
                                                               "--action-delay-ms", "0"])
        let result = try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off", "--concurrency", "4", "--max-attempts", "30",
                                                                     "--settle", "10s"],
                                       environment: sim.secretEnvironment())
        await sim.stop()
        #expect(result.status == 0, "\(result)")
        #expect(try await cli.dispatchStates() == ["succeeded": 12])
        // a reset answered 503 waited in settle_wait and was asked about before it went out again
        let settled = try await cli.query("SELECT count(*) FROM audit_log WHERE event = 'dispatch_attempt' AND outcome = 'settle_wait'")
        #expect(Int(settled) ?? 0 >= 1, "\(settled)")
        let statuses = try sim.actionStatuses()
        #expect((statuses[503] ?? 0) >= 1 && statuses[204] == 12, "\(statuses)")
        // a 503 comes before the action: exactly one effect per device, resets included
        let effects = try sim.effects()
        #expect(effects.count == 12 && effects.values.allSatisfy { $0.values.reduce(0, +) == 1 }, "\(effects)")
    }

    @Test("no service at the address (connection refused) before the sign-in: the run waits, interrupted (75), nothing lost")
    func nothingListening() async throws {
        let cli = try CLIHarness()
        let (_, batch) = try await GraphFleet.prepare(cli, GraphFleet.mixed(4, prefix: "n"))
        let closed = "http://127.0.0.1:\(try Self.closedPort())"
        let environment = ["MDMBATCH_TENANT_ID": GraphSim.tenant, "MDMBATCH_CLIENT_ID": GraphSim.secretApp,
                           "MDMBATCH_CLIENT_SECRET": GraphSim.defaultSecret, "MDMBATCH_CLIENT_CERTIFICATE": ""]
        let result = try await cli.mdm(["run", batch, "--transport", "graph", "--graph-url", closed + "/v1.0", "--authority-url", closed,
                                        "--rate", "off"], environment: environment)
        #expect(result.status == 75, "\(result)")
        #expect(result.stderr.contains("sign-in at \(closed)"), "the message names where it could not connect: \(result.stderr)")
        #expect(try await cli.query("SELECT state FROM runs") == "interrupted")
        let states = try await cli.dispatchStates()
        #expect(states == ["queued": 4], "\(states)")
    }

    @Test("the service goes away mid-run (connection refused): transient, then failed as the engine decides; never unknown, nothing sent")
    func connectionRefusedMidRun() async throws {
        let cli = try CLIHarness()
        let devices = [GraphFleet.Device.iPhone("c-0"), .android6("c-1")]
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0"])
        // one send every 6 s: the simulator is gone after the first. A refused connection costs
        // the connect timeout (10 s: async-http-client tries to connect until then); while the
        // service is down the circuit breaker's probes never end an element, so the run is
        // bounded by --max-run-time
        let process = try BackgroundRun.start(cli, ["run", batch] + sim.flags + ["--rate", "1/6", "--concurrency", "1",
                                                                                   "--max-attempts", "1", "--max-run-time", "60s"],
                                                environment: sim.secretEnvironment())
        // gone once the run has recorded the lock's answer: killed as soon as it answered, the
        // answer could still be on its way, and the lock (which may be sent twice) was sent again
        #expect(await sim.crash {
            sim.accepted >= 1 && (try? cli.sql("SELECT count(*) FROM dispatches WHERE state = 'succeeded'")) == "1"
        })
        await waitForExit(process)
        #expect(process.terminationStatus == 1, "exit \(process.terminationStatus)")
        let states = try await cli.dispatchStates()
        if try sim.actionRequests().count == 1 {
            // the reset was never written: it failed for good, it is not unknown (a later run may send it)
            #expect(states == ["succeeded": 1, "failed": 1], "\(states)")
            let error = try await cli.query("SELECT last_error FROM dispatches WHERE state = 'failed'")
            #expect(error.contains("gave up after 1 attempt") && error.contains("Connection refused"), "\(error)")
        } else {
            // a busy machine killed the simulator with the reset on its way: it may have been done
            #expect(states == ["succeeded": 1, "unknown_outcome": 1], "\(states)")
        }
        #expect(try sim.actionStatuses() == [204: 1])
    }

    @Test("Intune's 400 refusals fail the element at once with the nested message unwrapped; an unknown device is a 404; the rest succeeds")
    func refusals() async throws {
        let cli = try CLIHarness()
        // accepted by the 2017 rules, refused by today's Intune (the simulator): a lock on
        // Windows 10 Mobile, a reset on Windows Phone 8.1; and a device the service does not know
        let windowsMobile = GraphFleet.Device(id: "w10m", platform: "Windows 10 Mobile", version: "10.0.15254", action: "lock")
        let windowsPhone = GraphFleet.Device(id: "wp81", platform: "Windows Phone", version: "8.1", action: "reset_passcode")
        let ghost = GraphFleet.Device.iPhone("ghost")
        let good = GraphFleet.Device.iPhone("fine")
        let (fleet, batch) = try await GraphFleet.prepare(cli, [windowsMobile, windowsPhone, good], mdmbatchOnly: [ghost])
        let sim = try await GraphSim.start(cli, fleet: fleet)
        let result = try await cli.mdm(["run", batch, "--passcodes-out", cli.path("p.csv")] + sim.flags + ["--rate", "off"],
                                       environment: sim.secretEnvironment())
        await sim.stop()
        #expect(result.status == 1, "\(result)")
        func row(_ id: String) async throws -> [String: Any] {
            let json = try await cli.query("SELECT state, attempts, last_error FROM dispatches WHERE device_id = '\(id)'", json: true)
            return (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])?.first ?? [:]
        }
        let lock = try await row("w10m"), reset = try await row("wp81"), missing = try await row("ghost")
        #expect(try await row("fine")["state"] as? String == "succeeded")
        for (element, reason) in [(lock, "Remote lock is not supported on Windows devices"),
                                  (reset, "Reset passcode is not supported on Windows devices")] {
            #expect(element["state"] as? String == "failed")
            #expect(element["attempts"] as? Int == 1, "permanent: never retried")
            let error = element["last_error"] as? String ?? ""
            #expect(error.contains(reason), "\(error)")
            #expect(error.contains("(Operation ID "), "Intune's Operation ID is kept, its boilerplate left out: \(error)")
            #expect(!error.contains("An error has occurred"), "\(error)")
            #expect(!error.contains("_version") && !error.contains("\"Message\"") && !error.contains("\\r\\n"),
                    "the nested JSON is unwrapped: \(error)")
        }
        #expect(missing["state"] as? String == "failed" && missing["attempts"] as? Int == 1)
        #expect((missing["last_error"] as? String ?? "").contains("ResourceNotFound"), "\(missing)")
        #expect((missing["last_error"] as? String ?? "").contains("'ghost' was not found"), "\(missing)")
        let statuses = try sim.actionStatuses()
        #expect(statuses == [400: 2, 404: 1, 204: 1], "\(statuses)")
    }

    /// A loopback port nothing listens on: bound, then closed.
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw HarnessError("bind: \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
