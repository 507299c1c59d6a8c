import Foundation
import MDMBatchKit
import Testing

/// What Graph cannot promise (no idempotency key) and mdmbatch must: a reset takes effect
/// at most once, whatever is lost on the way; a lock may take effect twice, harmlessly.
@Suite("Graph end to end: answers lost after the effect, kill -9")
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

    /// Every secret of `files` belongs to a distinct element: none written twice.
    static func secretRows(_ cli: CLIHarness, _ files: [String]) throws -> [String: [String]] {
        var byDevice: [String: [String]] = [:]
        for file in files {
            for row in try cli.secrets(file) { byDevice[row[0], default: []].append(row[5]) }
        }
        return byDevice
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
        let secrets = try Self.secretRows(cli, ["run.csv", "confirm.csv"])
        #expect(Set(secrets.keys) == resets, "every reset's passcode, and only those: \(secrets.keys.sorted())")
        #expect(secrets.values.allSatisfy { $0.count == 1 && $0[0].count == 8 && $0[0].allSatisfy(\.isNumber) }, "\(secrets)")
        #expect(try cli.secrets("run.csv").count >= 1, "some dropped reset was settled by asking, its passcode with it")
    }

    @Test("kill -9 at seeded moments of a Graph run, then resume to the end: every row terminal, each reset done at most once, the chain intact")
    func killNine() async throws {
        let cli = try CLIHarness()
        let devices = GraphFleet.mixed(240, prefix: "k")
        let resets = Set(devices.filter { $0.action == "reset_passcode" }.map(\.id))
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        let sim = try await GraphSim.start(cli, fleet: fleet, ["--latency-ms", "50", "--action-delay-ms", "0"])
        let arguments = ["run", batch] + sim.flags + ["--rate", "off", "--concurrency", "8"]
        // seeded, so that a failure can be replayed: MDMBATCH_KILL_SEED=N
        let seed = ProcessInfo.processInfo.environment["MDMBATCH_KILL_SEED"].flatMap(UInt64.init) ?? 20_261_127
        var generator = SeededGenerator(seed: seed)
        var kills = 0
        var files: [String] = []
        for attempt in 1...16 where kills < 6 {
            files.append("kill-\(attempt).csv")
            let process = try OperationsTests.start(cli, arguments + ["--passcodes-out", cli.path("kill-\(attempt).csv")],
                                                    environment: sim.secretEnvironment())
            try await Task.sleep(for: .milliseconds(Int.random(in: 400...1200, using: &generator)))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
            }
            await waitForExit(process)
        }
        #expect(kills >= 3, "seed \(seed): the run was killed only \(kills) times")
        files.append("final.csv")
        let final = try await cli.mdm(arguments + ["--passcodes-out", cli.path("final.csv")], environment: sim.secretEnvironment())
        #expect(final.status == 0, "seed \(seed): \(final)")
        #expect(try await cli.query("SELECT count(*) || ' ' || state FROM runs") == "1 finished", "every restart resumed the one run")
        #expect(try await cli.dispatchStates() == ["succeeded": 240], "seed \(seed)")
        try await Self.checkResetsOnce(cli, sim)
        try OperationsTests.checkAuditChain(cli)

        // the passcodes: those learnt by asking after a kill, then the rest by confirm; none twice
        files.append("confirm.csv")
        let confirmed = try await cli.mdm(["confirm", try await cli.runID(), "--passcodes-out", cli.path("confirm.csv")],
                                          environment: sim.secretEnvironment())
        await sim.stop()
        #expect(confirmed.status == 0, "\(confirmed)")
        let secrets = try Self.secretRows(cli, files)
        #expect(Set(secrets.keys) == resets, "seed \(seed): passcodes missing for \(resets.subtracting(secrets.keys).sorted())")
        let twice = secrets.filter { $0.value.count > 1 }
        #expect(twice.isEmpty, "seed \(seed): secrets written more than once: \(twice.keys.sorted())")
    }
}
