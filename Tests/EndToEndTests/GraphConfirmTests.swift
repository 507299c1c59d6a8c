import Foundation
import Testing

/// Confirmation (issue 16): a 204 is "accepted", not "done on the device". `confirm RUN_ID`
/// and `run --confirm` record what the devices did and collect the service's secrets once,
/// over Graph (`graph-sim`) and over the mock.
@Suite("Graph end to end: confirmation of device states and collection of secrets", .serialized)
struct GraphConfirmTests {
    /// Device states recorded for the run's sent elements, counted.
    static func deviceStates(_ cli: CLIHarness) async throws -> [String: Int] {
        let text = try await cli.query("SELECT coalesce(device_state, 'none'), count(*) FROM dispatches WHERE state = 'succeeded' GROUP BY 1")
        return text.split(separator: "\n").reduce(into: [:]) { counts, line in
            let parts = line.split(separator: "|")
            counts[String(parts[0])] = Int(parts[1])
        }
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = start.duration(to: .now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    // MARK: Over Graph

    @Test("over Graph, device states move with time: a first confirm finds the actions pending or active, a later one done; each passcode collected once")
    func graphStatesOverTime() async throws {
        let cli = try CLIHarness()
        let devices = GraphFleet.mixed(6, prefix: "s")
        let resets = Set(devices.filter { $0.action == "reset_passcode" }.map(\.id))
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        // each action stays pending 3 to 9 s, then active as long: time enough for a first
        // confirm on a busy machine
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "6000"])
        let sent = try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off"], environment: sim.secretEnvironment())
        #expect(sent.status == 0, "\(sent)")
        let runID = try await cli.runID()
        #expect(try await Self.deviceStates(cli) == ["none": 6], "a run without --confirm records no device state")

        let early = try await cli.mdm(["confirm", runID, "--passcodes-out", cli.path("early.csv")], environment: sim.secretEnvironment())
        #expect(early.status == 1, "not every device is done yet: \(early)")
        let first = try await Self.deviceStates(cli)
        // every element has a state, and (on a machine however busy) not all are done yet
        #expect(first["none"] == nil && first.values.reduce(0, +) == 6 && (first["pending", default: 0] + first["active", default: 0]) >= 1,
                "\(first)")
        #expect(early.stdout.contains("pending") || early.stdout.contains("active"), "\(early.stdout)")

        let later = try await cli.mdm(["confirm", runID, "--wait", "60", "--passcodes-out", cli.path("later.csv")],
                                      environment: sim.secretEnvironment())
        await sim.stop()
        #expect(later.status == 0, "\(later)")
        #expect(try await Self.deviceStates(cli) == ["done": 6])
        #expect(later.stdout.contains("done 6"), "\(later.stdout)")
        let secrets = try SecretsFiles.byDevice(cli, ["early.csv", "later.csv"])
        #expect(Set(secrets.keys) == resets && secrets.values.allSatisfy { $0.count == 1 }, "\(secrets)")
        // each change of state has its audit row, naming the device and what the service said
        let rows = try await cli.query("SELECT count(*) FROM audit_log WHERE event = 'confirmation'")
        #expect((Int(rows) ?? 0) >= 12, "one row per element for the first state, one for done: \(rows) rows")
        try RunInvariants.checkAuditChain(cli)
    }

    @Test("over Graph, confirm --wait gives up when the devices take longer (exit 1), after about the time asked")
    func graphWaitTimesOut() async throws {
        let cli = try CLIHarness()
        let (fleet, batch) = try await GraphFleet.prepare(cli, GraphFleet.mixed(4, prefix: "w"))
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "120000"])
        #expect(try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off"], environment: sim.secretEnvironment()).status == 0)
        let start = ContinuousClock.now
        let waited = try await cli.mdm(["confirm", try await cli.runID(), "--wait", "3", "--passcodes-out", cli.path("c.csv")],
                                       environment: sim.secretEnvironment())
        let took = Self.seconds(since: start)
        await sim.stop()
        #expect(waited.status == 1, "\(waited)")
        #expect(took >= 3 && took < 30, "confirm --wait 3 took \(took) s")
        #expect(try await Self.deviceStates(cli) == ["pending": 4])
        #expect(try cli.secrets("c.csv").isEmpty, "nothing to collect while pending")
        #expect(try sim.requests().filter { $0["method"] as? String == "GET" }.count >= 8, "it asked again while waiting")
    }

    @Test("over Graph, a device that fails the action or does not support it is recorded so, exit 1, and no secret comes from it")
    func graphFailingDevice() async throws {
        let cli = try CLIHarness()
        let devices: [GraphFleet.Device] = [.iPhone("f-0"), .android6("f-1"), .iPhone("f-2"), .android6("f-3")]
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0", "--fail-device", "f-0",
                                                               "--fail-device", "f-1=notSupported"])
        #expect(try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off"], environment: sim.secretEnvironment()).status == 0)
        let confirmed = try await cli.mdm(["confirm", try await cli.runID(), "--passcodes-out", cli.path("c.csv")],
                                          environment: sim.secretEnvironment())
        await sim.stop()
        #expect(confirmed.status == 1, "\(confirmed)")
        #expect(try await cli.query("SELECT device_id || ' ' || device_state FROM dispatches ORDER BY device_id")
                == "f-0 failed\nf-1 notSupported\nf-2 done\nf-3 done")
        #expect(confirmed.stdout.contains("failed 1") && confirmed.stdout.contains("notSupported 1") && confirmed.stdout.contains("done 2"),
                "\(confirmed.stdout)")
        #expect(try cli.secrets("c.csv").map { $0[0] } == ["f-3"], "only the reset that was done has a passcode")
    }

    @Test("over Graph, a reset whose passcode the service no longer holds is reported as such, and nothing is written for it")
    func graphSecretExpired() async throws {
        let cli = try CLIHarness()
        let devices: [GraphFleet.Device] = [.android6("e-0"), .android6("e-1"), .iPhone("e-2")]
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0", "--secret-ttl", "1"])
        #expect(try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off"], environment: sim.secretEnvironment()).status == 0)
        try await Task.sleep(for: .milliseconds(1600))
        let confirmed = try await cli.mdm(["confirm", try await cli.runID(), "--passcodes-out", cli.path("c.csv")],
                                          environment: sim.secretEnvironment())
        await sim.stop()
        #expect([0, 1].contains(confirmed.status), "\(confirmed)")
        #expect(try cli.secrets("c.csv").isEmpty)
        #expect(confirmed.stdout.contains("2 secret(s) are no longer held by the service"), "\(confirmed.stdout)")
        #expect(try await cli.query("SELECT device_id FROM dispatches WHERE last_error LIKE '%no longer holds%' ORDER BY 1") == "e-0\ne-1")
        #expect(try await Self.deviceStates(cli) == ["done": 3])
    }

    /// Sends resets of 30 Android phones, kills a `confirm` once it has written a few
    /// passcodes, and confirms again; the secrets of both files by device.
    static func killDuringConfirm() async throws -> (devices: [String], secrets: [String: [String]]) {
        let cli = try CLIHarness()
        let devices = (0..<30).map { GraphFleet.Device.android6("x-\($0)") }
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        // each lookup takes about 100 ms: the first confirm is still collecting when it is killed
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0", "--latency-ms", "100"])
        #expect(try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off", "--concurrency", "16"],
                                  environment: sim.secretEnvironment()).status == 0)
        let runID = try await cli.runID()
        let first = try BackgroundRun.start(cli, ["confirm", runID, "--passcodes-out", cli.path("c1.csv")],
                                              environment: sim.secretEnvironment())
        // killed once it has written a few secrets (the header and three lines)
        let file = cli.path("c1.csv")
        #expect(await kill(first) { lines(of: file, containing: ",") >= 4 }, "the first confirm ended before it could be killed")
        await waitForExit(first)
        let written = try cli.secrets("c1.csv").count
        #expect(written >= 3 && written < 30, "\(written) secrets before the kill")

        let second = try await cli.mdm(["confirm", runID, "--passcodes-out", cli.path("c2.csv")], environment: sim.secretEnvironment())
        await sim.stop()
        #expect(second.status == 0, "\(second)")
        #expect(try await Self.deviceStates(cli) == ["done": 30])
        return (devices.map(\.id), try SecretsFiles.byDevice(cli, ["c1.csv", "c2.csv"]))
    }

    @Test("kill -9 during confirm, then confirm again: every passcode is in one of the two files, none lost")
    func graphKillDuringConfirmLosesNothing() async throws {
        let (devices, secrets) = try await Self.killDuringConfirm()
        #expect(Set(secrets.keys) == Set(devices), "lost: \(Set(devices).subtracting(secrets.keys).sorted())")
    }

    @Test("kill -9 during confirm, then confirm again: a passcode is in both files only if the kill fell between its write and its record, so at most one")
    func graphKillDuringConfirmWritesNothingTwice() async throws {
        let (_, secrets) = try await Self.killDuringConfirm()
        let twice = secrets.filter { $0.value.count > 1 }.keys.sorted()
        // each secret is recorded as delivered as soon as it is written and made durable;
        // confirm asks one element at a time, so only the one in hand can repeat
        #expect(twice.count <= 1, "\(twice.count) secrets written to both files: \(twice)")
    }

    @Test("run-spool passes --transport, the Graph URLs, --rules and --confirm through: each batch run over Graph, confirmed, its secrets filed beside it")
    func graphSpool() async throws {
        let cli = try CLIHarness()
        // accepted under intune-2025: iPhone locks, resets of fully managed Android phones (a passcode each)
        let devices = (0..<4).map { index -> GraphFleet.Device in
            index % 2 == 0 ? .iPhone("sp-\(index)")
                : GraphFleet.Device(id: "sp-\(index)", platform: "Android", version: "14", enrollment: "fully_managed", action: "reset_passcode")
        }
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let spool = cli.path("spool")
        try FileManager.default.createDirectory(atPath: spool + "/incoming", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: batch, toPath: spool + "/incoming/night.csv")
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "200"])
        let result = try await cli.mdm(["run-spool", spool, "--rules", "intune-2025", "--confirm", "--confirm-wait", "30", "--quiet"]
                                       + sim.flags + ["--rate", "off"], environment: sim.secretEnvironment())
        await sim.stop()
        #expect(result.status == 0, "\(result)")
        #expect(FileManager.default.fileExists(atPath: spool + "/done/night.csv"), "filed under done")
        #expect(try sim.actionStatuses() == [204: 4], "sent over Graph")
        #expect(try await cli.query("SELECT rule_set FROM runs") == "intune-2025")
        #expect(try await cli.query("SELECT json_extract(options, '$.transport.kind') FROM runs") == "graph")
        #expect(try await Self.deviceStates(cli) == ["done": 4], "confirmed")
        let secrets = try String(contentsOfFile: spool + "/done/night.csv.passcodes.csv", encoding: .utf8)
        #expect(secrets.split(separator: "\n").count == 1 + devices.filter { $0.action == "reset_passcode" }.count, "\(secrets.count) bytes")
        let mode = try FileManager.default.attributesOfItem(atPath: spool + "/done/night.csv.passcodes.csv")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("run --confirm over Graph waits for the devices, prints their states and collects the passcodes")
    func graphRunConfirm() async throws {
        let cli = try CLIHarness()
        let devices = GraphFleet.mixed(6, prefix: "rc")
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "300"])
        let result = try await cli.mdm(["run", batch, "--confirm", "--confirm-wait", "30", "--passcodes-out", cli.path("p.csv")]
                                       + sim.flags + ["--rate", "off"], environment: sim.secretEnvironment())
        await sim.stop()
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("on the devices: done 6"), "\(result.stdout)")
        #expect(result.stdout.contains("3 secret(s) collected"), "\(result.stdout)")
        #expect(!result.stderr.contains("collect them with"), "nothing left to collect: \(result.stderr)")
        #expect(try await Self.deviceStates(cli) == ["done": 6])
        #expect(Set(try cli.secrets("p.csv").map { $0[0] }) == Set(devices.filter { $0.action == "reset_passcode" }.map(\.id)))
        // the device states in status (text and JSON) and in the HTML report, the same counts
        let runID = try await cli.runID()
        let status = try await cli.mdm(["status", runID])
        #expect(status.status == 0 && status.stdout.contains("on the devices: done 6"), "\(status)")
        let statusJSON = try await cli.mdm(["status", runID, "--json"])
        let summary = (try JSONSerialization.jsonObject(with: Data(statusJSON.stdout.utf8)) as? [String: Any])?["summary"] as? [String: Any]
        #expect(summary?["by_device_state"] as? [String: Int] == ["done": 6], "\(statusJSON.stdout)")
        let html = try await cli.mdm(["report", runID, "--format", "html", "--output", cli.path("r.html")])
        #expect(html.status == 0, "\(html)")
        let page = try String(contentsOfFile: cli.path("r.html"), encoding: .utf8)
        #expect(page.contains("<h2>On the devices</h2>") && page.contains("Device states")
                && page.contains("<tr><td>done</td><td>6</td></tr>"), "the device-state chart and its numbers")
    }

}

/// The same confirmation behaviours over the mock transport (its devices move pending →
/// done after a seeded delay; its secrets come with its answers).
@Suite("Mock end to end: confirmation of device states", .serialized)
struct GraphMockConfirmTests {
    static func deviceStates(_ cli: CLIHarness) async throws -> [String: Int] { try await GraphConfirmTests.deviceStates(cli) }
    static func seconds(since start: ContinuousClock.Instant) -> Double { GraphConfirmTests.seconds(since: start) }

    @Test("over the mock, device states move with time: pending or active at first, done later")
    func mockStatesOverTime() async throws {
        let cli = try CLIHarness()
        let (_, batch) = try await GraphFleet.prepare(cli, GraphFleet.mixed(6, prefix: "ms"))
        // the mock's secrets come with its answers: the run writes them
        // done 15 to 45 s after the send, pending for the first third of that (a loaded machine
        // took more than 6 s from the run's sends to the first confirm's questions)
        let sent = try await cli.mdm(["run", batch, "--rate", "off", "--mock-device-delay-ms", "30000", "--passcodes-out", cli.path("p.csv")])
        #expect(sent.status == 0, "\(sent)")
        #expect(try cli.secrets("p.csv").count == 3)
        let runID = try await cli.runID()
        let early = try await cli.mdm(["confirm", runID])
        #expect(early.status == 1, "\(early)")
        let first = try await Self.deviceStates(cli)
        // every element has a state, and (on a machine however busy) not all are done yet
        #expect(first["none"] == nil && first.values.reduce(0, +) == 6 && (first["pending", default: 0] + first["active", default: 0]) >= 1,
                "\(first)")
        let later = try await cli.mdm(["confirm", runID, "--wait", "90"])
        #expect(later.status == 0, "\(later)")
        #expect(later.stdout.contains("done 6"), "\(later.stdout)")
        #expect(try await Self.deviceStates(cli) == ["done": 6])
    }

    @Test("over the mock, confirm --wait gives up (exit 1) and a device that fails is recorded failed")
    func mockWaitAndFailure() async throws {
        let slow = try CLIHarness()
        let (_, slowBatch) = try await GraphFleet.prepare(slow, GraphFleet.mixed(4, prefix: "mw"))
        #expect(try await slow.mdm(["run", slowBatch, "--rate", "off", "--mock-device-delay-ms", "3600000",
                                    "--passcodes-out", slow.path("p.csv")]).status == 0)
        let start = ContinuousClock.now
        let waited = try await slow.mdm(["confirm", try await slow.runID(), "--wait", "2"])
        let took = Self.seconds(since: start)
        #expect(waited.status == 1 && took >= 2 && took < 30, "\(took) s: \(waited)")
        #expect(try await Self.deviceStates(slow) == ["pending": 4])

        let failing = try CLIHarness()
        let (_, failingBatch) = try await GraphFleet.prepare(failing, GraphFleet.mixed(4, prefix: "mf"))
        #expect(try await failing.mdm(["run", failingBatch, "--rate", "off", "--mock-device-delay-ms", "1",
                                       "--mock-device-failure-rate", "1", "--passcodes-out", failing.path("p.csv")]).status == 0)
        try await Task.sleep(for: .milliseconds(50))
        let confirmed = try await failing.mdm(["confirm", try await failing.runID()])
        #expect(confirmed.status == 1, "\(confirmed)")
        #expect(try await Self.deviceStates(failing) == ["failed": 4])
        #expect(confirmed.stdout.contains("failed 4"), "\(confirmed.stdout)")
    }

    @Test("over the mock, a reset whose answer was lost and whose passcode the service no longer holds ends failed, saying so")
    func mockSecretLifetime() async throws {
        let cli = try CLIHarness()
        let (_, batch) = try await GraphFleet.prepare(cli, [.android6("ml-0")])
        let arguments = ["run", batch, "--rate", "off", "--mock-secret-lifetime", "1s", "--mock-device-delay-ms", "0"]
        let crashed = try await cli.mdm(arguments + ["--passcodes-out", cli.path("p1.csv")], environment: ["MDMBATCH_CRASH_AT": "after-call"])
        #expect(crashed.stderr.contains("crash point after-call reached"), "\(crashed)")
        try await Task.sleep(for: .milliseconds(1500))
        let resumed = try await cli.mdm(arguments + ["--passcodes-out", cli.path("p2.csv")])
        #expect(resumed.status == 1, "\(resumed)")
        #expect(try await cli.query("SELECT state FROM dispatches") == "failed")
        #expect(try await cli.query("SELECT last_error FROM dispatches").contains("no longer holds its temporary passcode"))
        #expect(try cli.secrets("p1.csv").isEmpty && cli.secrets("p2.csv").isEmpty)
    }

    @Test("run --confirm over the mock prints the device states")
    func mockRunConfirm() async throws {
        let cli = try CLIHarness()
        let (_, batch) = try await GraphFleet.prepare(cli, GraphFleet.mixed(4, prefix: "mr"))
        let result = try await cli.mdm(["run", batch, "--rate", "off", "--confirm", "--confirm-wait", "30", "--mock-device-delay-ms", "300",
                                        "--passcodes-out", cli.path("p.csv")])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("on the devices: done 4"), "\(result.stdout)")
        #expect(try await Self.deviceStates(cli) == ["done": 4])
        #expect(try cli.secrets("p.csv").count == 2, "each passcode once, though the run's answers and the confirmation both saw it")
    }
}
