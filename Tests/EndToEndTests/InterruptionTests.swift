import Foundation
import Testing

/// A run ended before its end: by an outage and --max-run-time, by signals, during a
/// sign-in that hangs (issue 14, item 10; issue 23, item 4, against a scripted server).
@Suite("Runs ended early: outages, --max-run-time, signals, a hanging sign-in (the built binary)", .serialized)
struct InterruptionTests {
    /// The sample fleet, a batch of one lock, and an authority dripping a 100 kB answer a
    /// byte every 50 ms (5,000 s in all).
    static func drippingAuthority() throws -> (CLIHarness, ScriptedHTTPServer, String) {
        let cli = try Fleets.loaded()
        let body = [UInt8](repeating: UInt8(ascii: " "), count: 100_000)
        let server = try ScriptedHTTPServer { _, _ in .drip(body: body, interval: 0.05) }
        return (cli, server, try cli.write("b.csv", "request_id,action,target\nr-1,lock,d-0001\n"))
    }

    @Test("in a full outage the breaker says it opened, and --max-run-time ends the run as interrupted (75), resumable")
    func outageAndMaxRunTime() throws {
        let cli = try Fleets.loaded()
        let batch = try cli.write("b.csv", "action,target\n" + (1...3).map { "lock,d-000\($0)" }.joined(separator: "\n") + "\n")
        var result = CLIHarness.Result(status: 0, stdout: "", stderr: "")
        let took = try Stopwatch.seconds {
            result = try cli.run(["run", batch, "--mock-transient-rate", "1", "--max-attempts", "100", "--max-run-time", "3s",
                                  "--stop-grace", "1"])
        }
        #expect(result.status == 75, "\(result)")
        #expect(result.stderr.contains("circuit open"), "\(result.stderr)")
        #expect(result.stderr.contains("max-run-time"), "\(result.stderr)")
        #expect(took < 3 + 1 + 10, "ended within the limit, the grace and start-up (\(took) s)")
        #expect(try cli.sql("SELECT state FROM runs") == "interrupted")
        let resumed = try cli.run(["run", batch, "--quiet"])
        #expect(resumed.status == 0, "the next run resumes and finishes: \(resumed)")
    }

    @Test("SIGINT while nothing is in flight returns at once; a second SIGINT does not wait for the grace period")
    func signals() throws {
        let cli = try Fleets.loaded()
        // a transient failure with a long Retry-After: the run waits with nothing in flight
        let idle = try BackgroundRun.start(cli, ["run", cli.sample("batch-lost.csv"), "--rate", "off", "--mock-throttle", "1/600",
                                                   "--stop-grace", "60", "--passcodes-out", cli.path("p1.csv")])
        try BackgroundRun.waitForLockHolder(cli, process: idle)
        Thread.sleep(forTimeInterval: 1)
        var took = Stopwatch.seconds {
            kill(idle.processIdentifier, SIGINT)
            idle.waitUntilExitPolling()
        }
        #expect(idle.terminationStatus == 75)
        #expect(took < 30, "nothing in flight: no wait for the 60 s grace (\(took) s)")

        // calls of 20 s in flight, grace 60 s: the second SIGINT stops now
        let busy = try BackgroundRun.start(cli, ["run", cli.sample("batch-lost.csv"), "--rate", "off", "--mock-latency-ms", "20000",
                                                   "--stop-grace", "60", "--passcodes-out", cli.path("p2.csv")])
        try BackgroundRun.waitForLockHolder(cli, process: busy)
        took = Stopwatch.seconds {
            kill(busy.processIdentifier, SIGINT)
            Thread.sleep(forTimeInterval: 0.5)
            kill(busy.processIdentifier, SIGINT)
            busy.waitUntilExitPolling()
        }
        #expect(busy.terminationStatus == 75)
        #expect(took < 30, "the second signal did not wait for the calls (\(took) s)")
        #expect(try cli.run(["run", cli.sample("batch-lost.csv"), "--rate", "off", "--passcodes-out", cli.path("p3.csv")]).status == 1)
        try RunInvariants.checkNothingLostNothingDoubled(cli)
    }

    @Test("item 4: a token endpoint dripping its body: run --max-run-time 5s ends within 60 s (not 200), interrupted (75), the lock free")
    func drippingSignInMaxRunTime() async throws {
        let (cli, server, batch) = try Self.drippingAuthority()
        defer { server.stop() }
        let started = Date()
        let result = try await cli.mdm(["run", batch, "--max-run-time", "5s"] + server.flags, environment: ScriptedHTTPServer.environment)
        #expect(Date().timeIntervalSince(started) < 60, "it hung for 200 s; the stop cancels the sign-in, and the request timeout bounds the body")
        #expect(result.status == 75, "\(result)")
        #expect(try await cli.query("SELECT state FROM runs") == "interrupted")
        #expect(try await cli.query("SELECT group_concat(state) FROM dispatches") == "queued", "nothing was sent")
        // the lock is free: another run can start at once (it is refused for its own reason, not 75)
        let again = try await cli.mdm(["run", batch, "--max-run-time", "1s"] + server.flags, environment: ScriptedHTTPServer.environment)
        #expect(!again.stderr.contains("holds"), "\(again)")
    }

    @Test("item 4: SIGTERM during a dripping sign-in ends the run within 90 s (not 5,000), interrupted (75)")
    func drippingSignInSignal() async throws {
        let (cli, server, batch) = try Self.drippingAuthority()
        defer { server.stop() }
        let process = try BackgroundRun.start(cli, ["run", batch] + server.flags, environment: ScriptedHTTPServer.environment)
        let box = UncheckedSendable(process)
        let signalled = try await offPool { () -> Bool in
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline && server.tokenRequests == 0 { usleep(20_000) }
            usleep(300_000)
            kill(box.value.processIdentifier, SIGTERM)
            let exitBy = Date().addingTimeInterval(90)
            while box.value.isRunning && Date() < exitBy { usleep(20_000) }
            if box.value.isRunning {
                kill(box.value.processIdentifier, SIGKILL)
                return false
            }
            return true
        }
        await waitForExit(process)
        #expect(signalled, "the run was still going 30 s after SIGTERM")
        #expect(process.terminationStatus == 75)
        #expect(try await cli.query("SELECT state FROM runs") == "interrupted")
    }
}
