import Foundation
import MDMBatchKit
import Testing

/// What Graph cannot promise (no idempotency key) and mdmbatch must: a reset takes effect
/// at most once, whatever is lost on the way; a lock may take effect twice, harmlessly.
@Suite("Graph end to end: answers lost after the effect, kill -9", .serialized)
struct GraphFaultTests {
    /// Each reset took effect at most once on the service, ever, and each succeeded one
    /// exactly once; each succeeded lock at least once.
    static func checkResetsOnce(_ cli: CLIHarness, _ sim: GraphSim, sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
        let effects = try sim.effects()
        for (device, actions) in effects {
            #expect((actions["resetPasscode"] ?? 0) <= 1, "\(device) was reset \(actions["resetPasscode"]!) times", sourceLocation: sourceLocation)
        }
        let succeeded = try await cli.query("SELECT device_id || ' ' || action FROM dispatches WHERE state = 'succeeded'")
        for line in succeeded.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let device = String(parts[0])
            if parts[1] == "reset_passcode" {
                #expect(effects[device]?["resetPasscode"] == 1, "\(device) succeeded without exactly one reset", sourceLocation: sourceLocation)
            } else {
                #expect((effects[device]?["remoteLock"] ?? 0) >= 1, "\(device) succeeded without a lock", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("connections dropped after the effect: each reset takes effect once (asked, never re-sent), a lock may twice; every secret collected once")
    func droppedAfterEffect() async throws {
        let cli = try CLIHarness()
        let devices = GraphFleet.mixed(24, prefix: "d")
        let resets = Set(devices.filter { $0.action == "reset_passcode" }.map(\.id))
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--fault-rate", "0.35", "--faults", "drop", "--seed", "11",
                                                               "--action-delay-ms", "0"])
        let result = try await cli.mdm(["run", batch, "--passcodes-out", cli.path("run.csv")] + sim.flags
                                        + ["--rate", "off", "--concurrency", "6", "--max-attempts", "10"],
                                       environment: sim.secretEnvironment())
        #expect(result.status == 0, "\(result)")
        let statuses = try sim.actionStatuses()
        #expect((statuses[0] ?? 0) >= 3, "connections were dropped: \(statuses)")
        #expect(try await cli.dispatchStates() == ["succeeded": 24])
        try await Self.checkResetsOnce(cli, sim)
        // a dropped reset was asked about: a GET of its deviceActionResults, and never a second POST
        #expect(try sim.requests().contains { ($0["method"] as? String) == "GET" && ($0["path"] as? String ?? "").contains("/managedDevices/d-") })
        for device in resets {
            let posts = try sim.actionRequests().filter { ($0["path"] as? String ?? "").hasSuffix("/\(device)/resetPasscode") }
            #expect(posts.count == 1, "\(device): \(posts.count) resetPasscode POSTs")
        }

        // the passcodes the run learnt by asking are in its file; confirm collects the rest, each once
        let runID = try await cli.runID()
        let confirmed = try await cli.mdm(["confirm", runID, "--passcodes-out", cli.path("confirm.csv")], environment: sim.secretEnvironment())
        await sim.stop()
        #expect(confirmed.status == 0, "\(confirmed)")
        let secrets = try SecretsFiles.byDevice(cli, ["run.csv", "confirm.csv"])
        #expect(Set(secrets.keys) == resets, "every reset's passcode, and only those: \(secrets.keys.sorted())")
        #expect(secrets.values.allSatisfy { $0.count == 1 && $0[0].count == 8 && $0[0].allSatisfy(\.isNumber) }, "\(secrets)")
        #expect(try cli.secrets("run.csv").count >= 1, "some dropped reset was settled by asking, its passcode with it")
    }

    @Test("intune-2025: a Mac's lock whose answer was lost is asked, never sent again; its unlock PIN collected once by confirm")
    func macLockAsked() async throws {
        let cli = try CLIHarness()
        let macs = (0..<4).map { GraphFleet.Device(id: "mac-\($0)", platform: "macOS", version: "14.5", action: "lock") }
        let (fleet, batch) = try await GraphFleet.prepare(cli, macs)
        // every lock takes effect and loses its answer
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0", "--fault-rate", "1", "--faults", "drop"])
        let sent = try await cli.mdm(["run", batch, "--rules", "intune-2025", "--rate", "off", "--graph-read-timeout", "5"] + sim.flags,
                                     environment: sim.secretEnvironment())
        #expect(sent.status == 0, "asked, each was received: \(sent)")
        // the service gave the PINs with its answers, but standard output is not a terminal
        // and there is no secrets file: they stay with the service, for confirm
        #expect(!sent.stdout.contains("unlock PIN") && sent.stderr.contains("confirm"), "\(sent)")
        #expect(try await cli.dispatchStates() == ["succeeded": 4])
        for mac in macs {
            let posts = try sim.actionRequests().filter { ($0["path"] as? String ?? "").hasSuffix("/\(mac.id)/remoteLock") }
            #expect(posts.count == 1, "\(mac.id): \(posts.count) remoteLock POSTs")
        }
        let confirmed = try await cli.mdm(["confirm", try await cli.runID(), "--wait", "30", "--passcodes-out", cli.path("pins.csv")],
                                          environment: sim.secretEnvironment())
        let again = try await cli.mdm(["confirm", try await cli.runID(), "--passcodes-out", cli.path("pins-again.csv")],
                                      environment: sim.secretEnvironment())
        await sim.stop()
        #expect(confirmed.status == 0 && again.status == 0, "\(confirmed)\n\(again)")
        let pins = try SecretsFiles.byDevice(cli, ["pins.csv", "pins-again.csv"])
        #expect(Set(pins.keys) == Set(macs.map(\.id)) && pins.values.allSatisfy { $0.count == 1 }, "\(pins)")
        #expect(try cli.secrets("pins.csv").allSatisfy { $0[4] == "unlock_pin" })
    }

    @Test("a reset whose answer was lost and whose service could not say ends unknown; --retry-unknown asks again until it can, and never sends it twice")
    func retryUnknown() async throws {
        let cli = try CLIHarness()
        let devices = (0..<6).map { GraphFleet.Device.android6("ru-\($0)") }
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        // every send takes effect and loses its answer; every other question is answered 503
        // (one simulator throughout: it remembers what it received)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--action-delay-ms", "0", "--fault-rate", "1", "--faults", "drop",
                                                               "--read-fault-rate", "0.5", "--seed", "5"])
        let arguments = ["run", batch] + sim.flags + ["--rate", "off", "--concurrency", "1"]
        let first = try await cli.mdm(arguments + ["--passcodes-out", cli.path("p0.csv")], environment: sim.secretEnvironment())
        #expect(first.status == 1, "\(first)")
        var states = try await cli.dispatchStates()
        #expect((states["unknown_outcome"] ?? 0) >= 1 && states.keys.allSatisfy { ["unknown_outcome", "succeeded"].contains($0) },
                "a reset is never sent again when the service cannot say: \(states)")
        var files = ["p0.csv"]
        for round in 1...10 where states["unknown_outcome"] != nil {
            files.append("p\(round).csv")
            let retried = try await cli.mdm(arguments + ["--retry-unknown", "--passcodes-out", cli.path("p\(round).csv")],
                                            environment: sim.secretEnvironment())
            states = try await cli.dispatchStates()
            #expect(retried.status == (states["unknown_outcome"] == nil ? 0 : 1), "\(retried)")
        }
        await sim.stop()
        #expect(states == ["succeeded": 6], "\(states)")
        #expect(try await cli.query("SELECT count(*) FROM runs") == "1", "the run was reopened, never a new one")
        for device in devices {
            let posts = try sim.actionRequests().filter { ($0["path"] as? String ?? "").hasSuffix("/\(device.id)/resetPasscode") }
            #expect(posts.count == 1, "\(device.id): \(posts.count) resetPasscode POSTs")
        }
        try await Self.checkResetsOnce(cli, sim)
        // the passcodes, each collected once, as the service told them when it could
        let secrets = try SecretsFiles.byDevice(cli, files)
        #expect(Set(secrets.keys) == Set(devices.map(\.id)) && secrets.values.allSatisfy { $0.count == 1 }, "\(secrets)")
    }

    @Test("kill -9 at seeded moments of a Graph run, then resume to the end: every row terminal, each reset done at most once, the chain intact")
    func killNine() async throws {
        let cli = try CLIHarness()
        let devices = GraphFleet.mixed(200, prefix: "k")
        let resets = Set(devices.filter { $0.action == "reset_passcode" }.map(\.id))
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--latency-ms", "40", "--action-delay-ms", "0"])
        let arguments = ["run", batch] + sim.flags + ["--rate", "off", "--concurrency", "8"]
        // seeded, so that a failure can be replayed: MDMBATCH_KILL_SEED=N
        let seed = ProcessInfo.processInfo.environment["MDMBATCH_KILL_SEED"].flatMap(UInt64.init) ?? 20_261_127
        let killed = try await killRepeatedly(cli, sim, arguments, seed: seed, more: 5...30)
        var files = killed.files
        #expect(killed.kills == 5, "seed \(seed): the run was killed only \(killed.kills) times; exits \(killed.exits)")
        files.append("final.csv")
        let final = try await cli.mdm(arguments + ["--passcodes-out", cli.path("final.csv")], environment: sim.secretEnvironment())
        #expect(final.status == 0, "seed \(seed): \(final)")
        let runs = try await cli.query("SELECT count(*) || ' ' || group_concat(state) FROM runs")
        #expect(runs == "1 finished", "every restart resumed the one run: \(runs)")
        let states = try await cli.dispatchStates()
        #expect(states == ["succeeded": 200], "seed \(seed): \(states)")
        try await Self.checkResetsOnce(cli, sim)
        try RunInvariants.checkAuditChain(cli)

        // the passcodes: those learnt by asking after a kill, then the rest by confirm; none twice
        files.append("confirm.csv")
        let confirmed = try await cli.mdm(["confirm", try await cli.runID(), "--passcodes-out", cli.path("confirm.csv")],
                                          environment: sim.secretEnvironment())
        await sim.stop()
        #expect(confirmed.status == 0, "\(confirmed)")
        let secrets = try SecretsFiles.byDevice(cli, files)
        #expect(Set(secrets.keys) == resets, "seed \(seed): passcodes missing for \(resets.subtracting(secrets.keys).sorted())")
        let twice = secrets.filter { $0.value.count > 1 }
        #expect(twice.isEmpty, "seed \(seed): secrets written more than once: \(twice.keys.sorted())")
    }
}
