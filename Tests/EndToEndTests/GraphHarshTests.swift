import Foundation
import MDMBatchKit
import Testing

/// Against a service as harsh as Intune (`graph-sim --realistic`): 500/502/504 after the
/// effect, results that lag up to 5 s behind the 204, other apps' writes in the tenant's
/// budget (429s without Retry-After), reasonless 400s, a second Mac lock accepted then failed.
@Suite("Graph end to end against --realistic graph-sim", .serialized)
struct GraphHarshTests {
    /// An Android phone enrolled fully managed, to reset (intune-2025: a temporary passcode).
    static func android(_ id: String) -> GraphFleet.Device {
        GraphFleet.Device(id: id, platform: "Android", version: "13", enrollment: "fully_managed", action: "reset_passcode")
    }

    /// A Mac to lock (intune-2025: an unlock PIN).
    static func mac(_ id: String) -> GraphFleet.Device {
        GraphFleet.Device(id: id, platform: "macOS", version: "14.5", action: "lock")
    }

    static let realistic = ["--realistic", "--slow-ms", "3000", "--action-delay-ms", "0", "--latency-ms", "5"]
    /// A read timeout under the simulator's slow answers, so that they end as timeouts.
    static let settle = ["--rules", "intune-2025", "--settle", "10s", "--graph-read-timeout", "2"]

    @Test("kill -9 five times over --realistic graph-sim, 510 requests with resets and Mac locks: no reset or Mac lock twice, no element failed by a 429, every secret in a file once")
    func killLoop() async throws {
        let cli = try CLIHarness()
        let devices: [GraphFleet.Device] = (0..<510).map { index in
            switch index % 3 {
            case 0: .iPhone("h-\(index)")
            case 1: Self.android("h-\(index)")
            default: Self.mac("h-\(index)")
            }
        }
        let once = Set(devices.filter { $0.action == "reset_passcode" || $0.platform == "macOS" }.map(\.id))
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        // other apps take 240 of the tenant's 400 writes a window: the default pace (200) meets 429s
        let sim = try await GraphSim.start(cli, fleet: fleet, Self.realistic + ["--foreign-load", "12/s", "--seed", "5"])
        let arguments = ["run", batch] + Self.settle + sim.flags + ["--concurrency", "8"]
        let seed = ProcessInfo.processInfo.environment["MDMBATCH_KILL_SEED"].flatMap(UInt64.init) ?? 20_261_207
        let killed = try await killRepeatedly(cli, sim, arguments, seed: seed, more: 20...70, timeout: 120)
        var files = killed.files
        #expect(killed.kills == 5, "seed \(seed): the run was killed only \(killed.kills) times; exits \(killed.exits)")
        files.append("final.csv")
        let final = try await cli.mdm(arguments + ["--passcodes-out", cli.path("final.csv")], environment: sim.secretEnvironment())
        #expect(final.status == 0, "seed \(seed): \(final)")
        #expect(try await cli.query("SELECT count(*) || ' ' || group_concat(state) FROM runs") == "1 finished")
        let states = try await cli.dispatchStates()
        #expect(states == ["succeeded": 510], "seed \(seed): no element failed, 429s included: \(states)")

        // what the service did, device by device: a reset or a Mac lock at most once, and once when it succeeded
        let effects = try sim.effects()
        for device in devices where once.contains(device.id) {
            let action = device.action == "reset_passcode" ? "resetPasscode" : "remoteLock"
            #expect(effects[device.id]?[action] == 1, "seed \(seed): \(device.id) \(action) took effect \(effects[device.id]?[action] ?? 0) times")
        }
        let statuses = try sim.actionStatuses()
        #expect((statuses[429] ?? 0) > 0, "the tenant's budget ran out: \(statuses)")
        #expect((statuses[500] ?? 0) + (statuses[502] ?? 0) + (statuses[504] ?? 0) > 0, "answers after the effect: \(statuses)")
        try RunInvariants.checkAuditChain(cli)

        // every secret the service issued reaches exactly one file: the runs' files, then confirm for the rest
        files.append("confirm.csv")
        let confirmed = try await cli.mdm(["confirm", try await cli.runID(), "--wait", "30", "--passcodes-out", cli.path("confirm.csv")],
                                          environment: sim.secretEnvironment())
        await sim.stop()
        #expect(confirmed.status == 0, "\(confirmed)")
        let secrets = try SecretsFiles.byDevice(cli, files.filter { FileManager.default.fileExists(atPath: cli.path($0)) })
        #expect(Set(secrets.keys) == once, "seed \(seed): secrets missing for \(once.subtracting(secrets.keys).sorted().prefix(10))")
        let twice = secrets.filter { $0.value.count > 1 }
        #expect(twice.isEmpty, "seed \(seed): secrets written more than once: \(twice.keys.sorted())")
    }

    @Test("accepted is not done: the summary says so and names confirm; confirm shows a second Mac lock, accepted then failed, as failed on the device")
    func acceptedIsNotDone() async throws {
        let cli = try CLIHarness()
        let devices = [Self.mac("m-1"), Self.mac("m-2"), GraphFleet.Device.iPhone("i-1")]
        let (fleet, batch) = try await GraphFleet.prepare(cli, devices)
        // no lag here: the other admin's lock must show at the service before the batch's goes out
        let sim = try await GraphSim.start(cli, fleet: fleet, Self.realistic + ["--fault-rate", "0", "--foreign-load", "0",
                                                                                "--results-lag", "0"])
        // another admin locked m-1 a moment ago, from another database: its PIN is unused
        let other = try CLIHarness()
        let (_, otherBatch) = try await GraphFleet.prepare(other, [Self.mac("m-1")], batchName: "other.csv")
        let locked = try await other.mdm(["run", otherBatch, "--passcodes-out", other.path("other-pins.csv")] + Self.settle + sim.flags,
                                         environment: sim.secretEnvironment())
        #expect(locked.status == 0, "\(locked)")

        let sent = try await cli.mdm(["run", batch, "--passcodes-out", cli.path("pins.csv")] + Self.settle + sim.flags,
                                     environment: sim.secretEnvironment())
        #expect(sent.status == 0, "\(sent)")
        let runID = try await cli.runID()
        #expect(sent.stdout.contains("accepted by the service, not confirmed on the devices: 3"), "\(sent.stdout)")
        #expect(sent.stdout.contains("mdmbatch confirm \(runID)"), "\(sent.stdout)")
        #expect(!sent.stdout.contains("on the devices: done"))
        let html = try await cli.mdm(["report", runID, "--format", "html"])
        #expect(html.stdout.contains("id=\"accepted-not-confirmed\""))

        let confirmed = try await cli.mdm(["confirm", runID, "--wait", "20", "--passcodes-out", cli.path("confirm-pins.csv")],
                                          environment: sim.secretEnvironment())
        await sim.stop()
        #expect(confirmed.status != 0 || confirmed.stdout.contains("failed"), "\(confirmed)")
        let state = try await cli.query("SELECT device_state FROM dispatches WHERE device_id = 'm-1'")
        #expect(state == "failed", "the second Mac lock was accepted, then failed on the device: \(state)")
        let report = try await cli.mdm(["report", runID])
        #expect(report.stdout.contains("failed 1") || report.stdout.contains("failed"), "\(report.stdout)")
    }

    @Test("a refusal with only an Operation ID: kept on the element (status, code, ids) and reported as refused with no reason given")
    func reasonlessRefusal() async throws {
        let cli = try CLIHarness()
        // mdmbatch's inventory says iPhone; the service knows a Windows PC, whose lock Intune refuses
        let known = GraphFleet.Device.iPhone("w-1")
        let (_, batch) = try await GraphFleet.prepare(cli, [known])
        let fleet = try cli.write("sim-windows.csv", GraphFleet.header + "w-1,w-1 name,Windows,10.0.19045,mdm,u@contoso.com,u@contoso.com,true,\n")
        let sim = try await GraphSim.start(cli, fleet: fleet, Self.realistic + ["--fault-rate", "0", "--foreign-load", "0"])
        let sent = try await cli.mdm(["run", batch, "--report", cli.path("report.json")] + Self.settle + sim.flags,
                                     environment: sim.secretEnvironment())
        await sim.stop()
        #expect(sent.status == 1, "\(sent)")
        let row = try await cli.query("SELECT state, service_status, service_code, operation_id IS NOT NULL, client_request_id IS NOT NULL, last_error FROM dispatches")
        #expect(row.hasPrefix("failed|400|BadRequest|1|1|HTTP 400 BadRequest: refused by the service, no reason given (Operation ID "), "\(row)")
        let text = try await cli.mdm(["report", try await cli.runID()])
        #expect(text.stdout.contains("refused by the service, no reason given (Operation ID"), "\(text.stdout)")
        let json = try String(contentsOfFile: cli.path("report.json"), encoding: .utf8)
        #expect(json.contains("\"http_status\": 400") && json.contains("\"operation_id\": \""), "\(json)")
        let attempts = try await cli.query("SELECT attempts FROM dispatches")
        #expect(attempts == "1", "a refusal is not sent again")
    }

    @Test("import --from-graph under an outage: --max-run-time ends it (75, nothing imported) however many attempts are left; the breaker spaces the pages out")
    func importMaxRunTime() async throws {
        let cli = try CLIHarness()
        let before = try await GraphImportChecks.seeded(cli)
        let failing = try await GraphSim.start(cli, fleet: nil, ["--fleet-size", "3000", "--read-fault-rate", "1"], name: "outage")
        let started = Date()
        let read = try await cli.mdm(["import", "devices", "--from-graph", "--max-attempts", "100", "--max-run-time", "4s"]
                                     + failing.flags.dropFirst(2), environment: failing.secretEnvironment())
        let seconds = Date().timeIntervalSince(started)
        await failing.stop()
        #expect(read.status == 75, "\(read)")
        #expect(read.stderr.contains("--max-run-time"), "\(read.stderr)")
        #expect(seconds < 60, "took \(seconds) s")
        let pages = try GraphImportChecks.devicePages(failing)
        #expect(pages.count >= 2 && pages.count < 20, "asked again, spaced out by the breaker, not 100 times: \(pages)")
        #expect(try await GraphImportChecks.contents(cli) == before, "nothing imported")
        // without the limit, --max-attempts ends it: every failure counts, the probes too
        let again = try await GraphSim.start(cli, fleet: nil, ["--fleet-size", "3000", "--read-fault-rate", "1"], name: "outage2")
        let counted = try await cli.mdm(["import", "devices", "--from-graph", "--max-attempts", "4"] + again.flags.dropFirst(2),
                                        environment: again.secretEnvironment())
        await again.stop()
        #expect(counted.status == 75, "\(counted)")
        #expect(try GraphImportChecks.devicePages(again).count == 4)
    }
}
