import Foundation
import Testing

/// Issue 23 (items 1 and 2) and issue 22 (item 7), with the built binary: what an earlier run
/// did counts only for runs to the same service (DESIGN.md, "Same service, same identity"); a
/// Mac lock still in flight holds back a second one; Android devices without a known
/// enrollment are never passed over in silence.
@Suite("Same service, same identity; Android enrollment (the built binary)", .serialized)
struct SameServiceTests {
    /// The latest run's elements: `device:state:reason`.
    static func latest(_ cli: CLIHarness) async throws -> [String] {
        try await cli.query("""
            SELECT device_id || ':' || state || ':' || coalesce(reason, '-') FROM dispatches
            WHERE run_id = (SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1) ORDER BY seq
            """).split(separator: "\n").map(String.init)
    }

    static let iPhones = [GraphFleet.Device.iPhone("p-1"), .iPhone("p-2")]

    // MARK: Issue 23, item 1

    @Test("a rehearsal over the mock does not make the Graph run a no-op: the Graph run sends every element, and says what the earlier run was")
    func rehearsalThenGraph() async throws {
        let cli = try CLIHarness()
        let (fleet, batch) = try await GraphFleet.prepare(cli, Self.iPhones)
        let rehearsal = try await cli.mdm(["run", batch, "--rate", "off"])
        #expect(rehearsal.status == 0, "\(rehearsal)")
        let sim = try await GraphSim.start(cli, fleet: fleet)
        let real = try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off"], environment: sim.secretEnvironment())
        await sim.stop()
        #expect(real.status == 0, "\(real)")
        #expect(try sim.actionRequests().count == 2, "Graph received both locks")
        #expect(try await Self.latest(cli) == ["p-1:succeeded:-", "p-2:succeeded:-"])
        #expect(real.stderr.contains("sent to the mock") && real.stderr.contains("Graph at \(sim.url)"), "\(real.stderr)")
    }

    @Test("Graph, then the mock, then Graph again with a trailing slash: the mock run does not block, says so, and Graph receives each lock once")
    func graphMockGraph() async throws {
        let cli = try CLIHarness()
        let (fleet, batch) = try await GraphFleet.prepare(cli, Self.iPhones)
        let sim = try await GraphSim.start(cli, fleet: fleet)
        let first = try await cli.mdm(["run", batch] + sim.flags + ["--rate", "off"], environment: sim.secretEnvironment())
        #expect(first.status == 0, "\(first)")
        #expect(try sim.actionRequests().count == 2)
        let graphRun = try await cli.runID()

        // the same batch without --transport graph: a rehearsal over the mock, never silently
        let mock = try await cli.mdm(["run", batch, "--rate", "off"])
        #expect(mock.status == 0, "\(mock)")
        #expect(try await Self.latest(cli) == ["p-1:succeeded:-", "p-2:succeeded:-"], "the Graph run's successes are not the mock's")
        #expect(mock.stderr.contains(graphRun) && mock.stderr.contains("pass --transport graph"), "\(mock.stderr)")
        #expect(try sim.actionRequests().count == 2, "the mock run sent nothing to Graph")

        // Graph again, its URL with a trailing slash: the same service, so nothing is sent twice
        let again = try await cli.mdm(["run", batch, "--transport", "graph", "--graph-url", sim.graphURL + "/", "--authority-url", sim.url,
                                       "--rate", "off"], environment: sim.secretEnvironment())
        await sim.stop()
        #expect(again.status == 0, "\(again)")
        #expect(try await Self.latest(cli) == ["p-1:skipped:already_done", "p-2:skipped:already_done"])
        #expect(try sim.actionRequests().count == 2, "Graph received each lock once")
        #expect(try await cli.query("SELECT DISTINCT service FROM runs ORDER BY 1").split(separator: "\n")
                == ["graph \(sim.url)", "mock"])
    }

    @Test("Graph options without --transport graph are a usage error (64), and nothing is run",
          arguments: [["--graph-url", "https://graph.microsoft.com/v1.0"], ["--authority-url", "https://login.microsoftonline.com"],
                      ["--read-rate", "100/20"], ["--credentials", "graph.json"]])
    func graphOptionWithoutGraph(flag: [String]) async throws {
        let cli = try CLIHarness()
        let (_, batch) = try await GraphFleet.prepare(cli, Self.iPhones)
        let result = try await cli.mdm(["run", batch] + flag)
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("\(flag[0]) is a Graph option"), "\(result.stderr)")
        #expect(try await cli.query("SELECT count(*) FROM runs") == "0")
        let journal = (try? String(contentsOfFile: cli.database + ".mock-journal.jsonl", encoding: .utf8)) ?? ""
        #expect(journal.isEmpty, "nothing was sent")
    }

    @Test("plan counts the runs of the service it is told: --transport graph with --graph-url, --graph-url alone a usage error")
    func planPerService() async throws {
        let cli = try CLIHarness()
        let (_, batch) = try await GraphFleet.prepare(cli, Self.iPhones)
        #expect(try await cli.mdm(["run", batch, "--rate", "off", "--quiet"]).status == 0)
        let mock = try await cli.mdm(["plan", batch])
        #expect(mock.stdout.contains("already_done: 2") && mock.stdout.contains("those to the mock"), "\(mock.stdout)")
        let graph = try await cli.mdm(["plan", batch, "--transport", "graph", "--graph-url", "https://graph.microsoft.com/v1.0/"])
        #expect(graph.status == 0 && graph.stdout.contains("accepted: 2"), "\(graph)")
        #expect(graph.stdout.contains("those to Graph at https://graph.microsoft.com"), "\(graph.stdout)")
        let usage = try await cli.mdm(["plan", batch, "--graph-url", "https://graph.microsoft.com/v1.0"])
        #expect(usage.status == 64, "\(usage)")
    }

    // MARK: Issue 23, item 2

    /// A Mac with a passcode, and two batches that lock it.
    static func macFleet(_ cli: CLIHarness) async throws -> (first: String, second: String) {
        let devices = try cli.write("devices.csv", "device_id,platform,os_version,management,passcode_set\nmac-1,macOS,15.1,mdm,true\n")
        #expect(try await cli.mdm(["import", "devices", devices, "--quiet"]).status == 0)
        return (try cli.write("lock1.csv", "request_id,action,target\nm-1,lock,mac-1\n"),
                try cli.write("lock2.csv", "request_id,action,target\nm-2,lock,mac-1\n"))
    }

    @Test("a Mac lock left queued, sending or retry_wait by a run that died holds back a second batch's lock of the Mac (unlock_pin_outstanding), naming the run",
          arguments: [("before-sending-commit", [String](), "queued"), ("after-call", [], "sending"),
                      ("before-sending-commit:2", ["--mock-transient-rate", "1", "--max-attempts", "3"], "retry_wait")])
    func unfinishedMacLock(crashAt: String, flags: [String], state: String) async throws {
        let cli = try CLIHarness()
        let (first, second) = try await Self.macFleet(cli)
        let crashed = try await cli.mdm(["run", first, "--rules", "intune-2025", "--passcodes-out", cli.path("p1.csv")] + flags,
                                        environment: ["MDMBATCH_CRASH_AT": crashAt])
        #expect(crashed.stderr.contains("crash point"), "\(crashed)")
        let holder = try await cli.runID()
        #expect(try await Self.latest(cli) == ["mac-1:\(state):-"])

        func effects() -> Int { lines(of: cli.database + ".mock-journal.jsonl", containing: "\"type\":\"effect\"") }
        let before = effects()
        let planned = try await cli.mdm(["plan", second, "--rules", "intune-2025"])
        #expect(planned.stdout.contains("unlock_pin_outstanding") && planned.stdout.contains(holder), "\(planned.stdout)")
        let refused = try await cli.mdm(["run", second, "--rules", "intune-2025", "--passcodes-out", cli.path("p2.csv")])
        #expect(refused.status == 1, "\(refused)")
        #expect(try await Self.latest(cli) == ["mac-1:rejected:unlock_pin_outstanding"])
        let detail = try await cli.query("SELECT detail FROM dispatches WHERE reason = 'unlock_pin_outstanding'")
        #expect(detail.contains(holder) && detail.contains(state), "\(detail)")
        #expect(effects() == before, "the second batch locked nothing")
    }

    // MARK: Issue 22, item 7

    static let androidFleet = """
        device_id,platform,os_version,management,passcode_set,enrollment
        a-1,Android,14,mdm,true,
        a-2,Android,13,mdm,true,
        a-3,Android,14,mdm,true,dedicated
        i-1,iOS,17.2,mdm,true,

        """

    @Test("after a devices import, the Android devices without a known enrollment are counted on stderr with how to give it; --quiet keeps it quiet")
    func importNotice() async throws {
        let cli = try CLIHarness()
        let file = try cli.write("devices.csv", Self.androidFleet)
        let loud = try await cli.mdm(["import", "devices", file])
        #expect(loud.status == 0, "\(loud)")
        #expect(loud.stderr.contains("2 Android devices have no known enrollment"), "\(loud.stderr)")
        #expect(loud.stderr.contains("enrollment column") && loud.stderr.contains("--graph-beta-fields"), "\(loud.stderr)")
        #expect(!loud.stdout.contains("Android"), "the notice is not the summary: \(loud.stdout)")
        let quiet = try await cli.mdm(["import", "devices", file, "--quiet"])
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet)")
        // given in the file, the enrollment is known: no notice
        let known = try cli.write("known.csv", "device_id,platform,enrollment\na-1,Android,fully_managed\na-2,Android,aosp\n")
        let fixed = try await cli.mdm(["import", "devices", known])
        #expect(fixed.status == 0 && !fixed.stderr.contains("enrollment"), "\(fixed)")
    }

    @Test("a Graph device file's five Android deviceEnrollmentType values are stored, both AOSP values as aosp")
    func graphEnrollmentFile() async throws {
        let cli = try CLIHarness()
        let types = ["androidEnterpriseDedicatedDevice", "androidEnterpriseFullyManaged", "androidEnterpriseCorporateWorkProfile",
                     "androidAOSPUserOwnedDeviceEnrollment", "androidAOSPUserlessDeviceEnrollment", "userEnrollment"]
        let objects = types.enumerated().map {
            "{\"id\": \"g-\($0.offset)\", \"operatingSystem\": \"Android\", \"osVersion\": \"14\", \"managementAgent\": \"mdm\", "
                + "\"deviceEnrollmentType\": \"\($0.element)\"}"
        }
        let file = try cli.write("graph.json", "{\"value\": [" + objects.joined(separator: ",\n") + "]}")
        let result = try await cli.mdm(["import", "devices", file])
        #expect(result.status == 0, "\(result)")
        #expect(try await cli.query("SELECT coalesce(enrollment, '-') FROM devices ORDER BY device_id").split(separator: "\n")
                == ["dedicated", "fully_managed", "corporate_work_profile", "aosp", "aosp", "-"])
        #expect(result.stderr.contains("1 Android device has no known enrollment"), "\(result.stderr)")
    }

    @Test("import --from-graph counts the Android devices the service names no enrollment for, and reads beta with --graph-beta-fields")
    func graphImportNotice() async throws {
        let cli = try CLIHarness()
        let fleet = try cli.write("sim-devices.csv", GraphFleet.header
            + "a-1,A1,Android,14,mdm,u1@contoso.com,u1@contoso.com,true,\n"
            + "a-2,A2,Android,14,mdm,u2@contoso.com,u2@contoso.com,true,dedicated\n"
            + "i-1,I1,iOS,17.2,mdm,u3@contoso.com,u3@contoso.com,true,\n")
        let sim = try await GraphSim.start(cli, fleet: fleet)
        let beta = try await cli.mdm(["import", "devices", "--from-graph", "--graph-beta-fields"] + sim.flags.dropFirst(2),
                                     environment: sim.secretEnvironment())
        await sim.stop()
        #expect(beta.status == 0, "\(beta)")
        #expect(try GraphImportChecks.devicePages(sim, api: "beta") == [200], "devices, deviceEnrollmentType with them, from beta")
        #expect(try await cli.query("SELECT device_id || ':' || coalesce(enrollment, '-') FROM devices WHERE platform = 'android' ORDER BY 1")
                .split(separator: "\n") == ["a-1:-", "a-2:dedicated"])
        #expect(beta.stderr.contains("1 Android device has no known enrollment"), "\(beta.stderr)")
    }

    @Test("plan under intune-2025 says how to give the enrollment when Android devices are refused enrollment_unknown")
    func planNotice() async throws {
        let cli = try CLIHarness()
        let file = try cli.write("devices.csv", Self.androidFleet)
        #expect(try await cli.mdm(["import", "devices", file, "--quiet"]).status == 0)
        let batch = try cli.write("b.csv", "action,target\nlock,a-1\nlock,a-2\nlock,a-3\n")
        let today = try await cli.mdm(["plan", batch, "--rules", "intune-2025"])
        #expect(today.stdout.contains("2 elements were refused enrollment_unknown"), "\(today.stdout)")
        #expect(today.stdout.contains("--graph-beta-fields"), "\(today.stdout)")
        let old = try await cli.mdm(["plan", batch])
        #expect(!old.stdout.contains("enrollment_unknown"), "intune-2017 does not ask: \(old.stdout)")
    }
}
