import Foundation
import GRDB
import Logging
import Synchronization
import Testing
@testable import MDMBatchKit

@Suite("Runner: dispatch, retries, recovery")
struct RunnerTests {
    /// The idempotency key of a request with an id.
    static func key(_ requestID: String, _ action: Action, _ device: String) -> String {
        IdempotencyKey.make(requestID: requestID, batchSHA256: "", line: 0, action: action, deviceID: device)
    }

    @Test("runs the batch through the mock: one effect per succeeded dispatch, audit rows for every step")
    func mockRun() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let journal = try TestSupport.temporaryDirectory().appendingPathComponent("journal.jsonl").path
        let mock = try MockTransport(configuration: MockTransportConfiguration(journalPath: journal), clock: clock)
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nr1,lock,d-ios\nr2,reset_passcode,d-and6\nr3,lock,d-mac\nr4,reset_passcode,d-wp\n")
        let passcodes = PasscodeBox()
        let outcome = try await RunnerFixtures.runner(database, mock, clock).run(batchPath: batch, secrets: passcodes)
        #expect(!outcome.interrupted && !outcome.resumed)
        #expect(try RunnerFixtures.states(database) == ["d-ios/lock": "succeeded", "d-and6/reset_passcode": "succeeded",
                                              "d-mac/lock": "rejected", "d-wp/reset_passcode": "succeeded"])
        #expect(passcodes.values.map(\.deviceID).sorted() == ["d-and6", "d-wp"])
        let effects = try String(contentsOfFile: journal, encoding: .utf8).split(separator: "\n").filter { $0.contains("\"type\":\"effect\"") }
        #expect(effects.count == 3)
        let deviceEffects = await mock.effects
        #expect(deviceEffects["d-ios"] == ["locked"] && deviceEffects["d-wp"] == ["temporary_passcode_set"])
        let events = try database.inspect { try String.fetchAll($0, sql: "SELECT event || ':' || coalesce(outcome, '') FROM audit_log WHERE run_id IS NOT NULL ORDER BY seq") }
        #expect(events.first == "run_started:running" && events.suffix(2) == ["run_finished:finished", "checkpoint:sealed"])
        #expect(events.filter { $0 == "rejected:rejected" }.count == 1)
        #expect(events.firstIndex(of: "run_planned:running")! < events.firstIndex(of: "dispatch_sending:sending")!)
        #expect(events.filter { $0 == "dispatch_sending:sending" }.count == 3)
        #expect(events.filter { $0 == "dispatch_attempt:succeeded" }.count == 3)
        // the WP device is EAS-managed: delivered over EAS; the Android one over FCM
        let channels = try database.inspect { try Row.fetchAll($0, sql: "SELECT device_id, channel FROM dispatches WHERE channel IS NOT NULL") }
        #expect(Set(channels.map { "\($0["device_id"] as String)=\($0["channel"] as String)" }) == ["d-ios=APNs", "d-and6=FCM", "d-wp=EAS"])
    }

    @Test("permanent errors fail at once; transient ones retry with backoff, honouring Retry-After, up to the limit")
    func retries() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let transport = ScriptedTransport(clock: clock) { command in
            switch (command.deviceID, command.attempt) {
            case ("d-ios", _): return .failure(.permanent(status: 404, code: nil, message: "Not Found"))
            case ("d-and6", 1): return .failure(.transient(status: 429, retryAfter: "7", message: "Too Many Requests"))
            case ("d-and6", 2): return .failure(.transient(status: 503, retryAfter: nil, message: "Service Unavailable"))
            case ("d-and6", _): return .success(TransportReceipt(channel: "FCM", effect: "locked"))
            default: return .failure(.transient(status: 503, retryAfter: nil, message: "Service Unavailable"))
            }
        }
        let batch = try TestSupport.file("b.csv", "action,target\nlock,d-ios\nlock,d-and6\nlock,d-wp\n")
        _ = try await RunnerFixtures.runner(database, transport, clock, maxAttempts: 3).run(batchPath: batch, secrets: DiscardingSecretSink())
        #expect(try RunnerFixtures.states(database) == ["d-ios/lock": "failed", "d-and6/lock": "succeeded", "d-wp/lock": "failed"])
        #expect(await transport.attempts(for: "d-ios") == [1])
        #expect(await transport.attempts(for: "d-and6") == [1, 2, 3])
        #expect(await transport.attempts(for: "d-wp") == [1, 2, 3])
        let sends = await transport.sent.filter { $0.command.deviceID == "d-and6" }.map(\.at)
        #expect(sends[1] - sends[0] >= 7, "Retry-After: 7 honoured")
        let errors = try database.inspect { try Row.fetchAll($0, sql: "SELECT device_id, attempts, last_error FROM dispatches ORDER BY seq") }
        #expect(errors[0]["last_error"] as String? == "HTTP 404 Not Found")
        #expect((errors[2]["last_error"] as String?)?.hasPrefix("gave up after 3 attempts") == true)
        let retryRows = try database.inspect { try Int.fetchOne($0, sql: "SELECT count(*) FROM audit_log WHERE outcome = 'retry_wait'") }
        #expect(retryRows == 4)  // two for d-and6, two for d-wp
    }

    @Test("a reset whose outcome is uncertain is asked of the transport, never re-sent")
    func uncertainReset() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let transport = ScriptedTransport(clock: clock, status: .unknown("cannot tell")) { command in
            command.action == .resetPasscode ? .failure(.unknownOutcome(message: "timed out"))
                : .failure(.unknownOutcome(message: "timed out"))
        }
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nr1,reset_passcode,d-ios\nr2,lock,d-and6\n")
        _ = try await RunnerFixtures.runner(database, transport, clock, maxAttempts: 3).run(batchPath: batch, secrets: DiscardingSecretSink())
        #expect(try RunnerFixtures.states(database) == ["d-ios/reset_passcode": "unknown_outcome", "d-and6/lock": "failed"])
        #expect(await transport.attempts(for: "d-ios") == [1], "the reset went out once")
        #expect(Set(await transport.statusQueries) == [Self.key("r1", .resetPasscode, "d-ios")])
        #expect(await transport.statusQueries.count == 3, "asked --max-attempts times, then left unknown")
        #expect(await transport.attempts(for: "d-and6") == [1, 2, 3], "a lock is idempotent: re-sent with its key")
        #expect(Set(await transport.sent.filter { $0.command.deviceID == "d-and6" }.map(\.command.idempotencyKey))
                == [Self.key("r2", .lock, "d-and6")])
    }

    @Test("after an interruption: locks found sending are re-sent with their key (no second effect); resets are asked, not re-sent, and a passcode the service still holds is delivered")
    func recovery() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let folder = try TestSupport.temporaryDirectory()
        let journal = folder.appendingPathComponent("journal.jsonl").path
        let service = MockTransportConfiguration(journalPath: journal, memoryPath: folder.appendingPathComponent("memory.jsonl").path)
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nr1,lock,d-ios\nr2,reset_passcode,d-and6\nr3,reset_passcode,d-ios\n")
        let first = try MockTransport(configuration: service, clock: clock)
        let lost = PasscodeBox()
        let run = try await RunnerFixtures.runner(database, first, clock).run(batchPath: batch, secrets: lost)
        // as if the process had died after each call and before its result was committed
        try database.tamper("UPDATE dispatches SET state = 'sending', secret_delivered_at = NULL WHERE run_id = ?", arguments: [run.runID])
        try database.tamper("UPDATE runs SET state = 'interrupted', finished_at = NULL")
        // a new process: the service remembers what it received
        let second = try MockTransport(configuration: service, clock: clock)
        let delivered = PasscodeBox()
        let resumed = try await RunnerFixtures.runner(database, second, clock).run(batchPath: batch, secrets: delivered)
        #expect(resumed.resumed && resumed.runID == run.runID)
        #expect(try RunnerFixtures.states(database) == ["d-ios/lock": "succeeded", "d-and6/reset_passcode": "succeeded",
                                              "d-ios/reset_passcode": "succeeded"])
        #expect(delivered.values.map(\.deviceID) == ["d-and6"], "the passcode the service still holds is delivered")
        #expect(delivered.values.first?.secret == lost.values.first?.secret, "the same passcode: the reset was not redone")
        #expect(await second.sends == 1, "only the lock was sent again")
        let text = try String(contentsOfFile: journal, encoding: .utf8)
        #expect(text.split(separator: "\n").filter { $0.contains("\"type\":\"effect\"") }.count == 3, "no effect twice")
        #expect(text.contains("\"type\":\"replay\""))
        let recorded = try database.inspect { try String.fetchOne($0, sql: "SELECT secret_delivered_at FROM dispatches WHERE device_id = 'd-and6'") }
        #expect(recorded != nil, "the element records that its secret was delivered")
    }

    @Test("today's rules: a Mac's lock whose outcome is unknown is asked, never re-sent; an iPhone's lock is re-sent")
    func macLockIsAsked() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let transport = ScriptedTransport(clock: clock, status: .received(ActionReport(state: .pending))) { command in
            command.attempt == 1 ? .failure(.unknownOutcome(message: "timed out")) : .success(TransportReceipt(channel: nil, effect: "accepted"))
        }
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nm1,lock,d-mac\ni1,lock,d-ios\n")
        var options = RunOptions(actor: "tester")
        options.rate = nil
        options.rules = .intune2025
        _ = try await Runner(database: database, transports: FixedTransport(transport), options: options,
                             dependencies: RunDependencies(clock: clock, ids: SeededIdentifiers(seed: 3)),
                             logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            .run(batchPath: batch, secrets: PasscodeBox())
        #expect(try RunnerFixtures.states(database) == ["d-mac/lock": "succeeded", "d-ios/lock": "succeeded"])
        #expect(await transport.attempts(for: "d-mac") == [1], "the Mac's lock went out once, then was asked about")
        #expect(await transport.statusQueries == [Self.key("m1", .lock, "d-mac")])
        #expect(await transport.attempts(for: "d-ios") == [1, 2], "an iPhone's lock is simply sent again")
    }

    @Test("a request_id that succeeded in an earlier run is skipped as already_done")
    func alreadyDone() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let mock = try MockTransport(configuration: MockTransportConfiguration(), clock: clock)
        let first = try TestSupport.file("b1.csv", "request_id,action,target\nr1,lock,d-ios\n")
        _ = try await RunnerFixtures.runner(database, mock, clock).run(batchPath: first, secrets: DiscardingSecretSink())
        let second = try TestSupport.file("b2.csv", "request_id,action,target,reason\nr1,lock,d-ios,again\nr2,lock,d-and6,new\n")
        let outcome = try await RunnerFixtures.runner(database, mock, clock).run(batchPath: second, secrets: DiscardingSecretSink())
        let rows = try database.inspect { try Row.fetchAll($0, sql: "SELECT request_id, state, reason FROM dispatches WHERE run_id = ? ORDER BY seq", arguments: [outcome.runID]) }
        #expect(rows.map { "\($0["request_id"] as String):\($0["state"] as String):\($0["reason"] as String? ?? "-")" }
                == ["r1:skipped:already_done", "r2:succeeded:-"])
        #expect(await mock.sends == 2)
    }

    @Test("unknown_outcome is final: a new run of the batch skips it as unknown_earlier; --retry-unknown reopens that run, past a plain re-run, and sends what the service never received, once")
    func unknownEarlierThenRetry() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nu1,reset_passcode,d-and6\nu2,lock,d-ios\n")
        func states(_ runID: String) throws -> [String] {
            try database.inspect { try Row.fetchAll($0, sql: "SELECT request_id, state, reason FROM dispatches WHERE run_id = ? ORDER BY seq",
                                                    arguments: [runID]) }
                .map { "\($0["request_id"] as String):\($0["state"] as String):\($0["reason"] as String? ?? "-")" }
        }
        // the reset's answer is lost and the service cannot say whether it received it
        let lost = ScriptedTransport(clock: clock, status: .unknown("cannot say")) { command in
            command.action == .resetPasscode ? .failure(.unknownOutcome(message: "timed out")) : .success(TransportReceipt(channel: "APNs", effect: "locked"))
        }
        let first = try await RunnerFixtures.runner(database, lost, clock).run(batchPath: batch, secrets: PasscodeBox())
        #expect(try states(first.runID) == ["u1:unknown_outcome:-", "u2:succeeded:-"])
        #expect(await lost.sent.filter { $0.command.action == .resetPasscode }.count == 1, "a reset is never sent blindly again")

        // a plain re-run: nothing sent, the reset skipped for what the first run left unknown
        let answering = ScriptedTransport(clock: clock, status: .notReceived) { _ in
            .success(TransportReceipt(channel: "FCM", effect: "temporary_passcode_set",
                                      secret: ServiceSecret(kind: .temporaryPasscode, value: "483920")))
        }
        clock.advance(seconds: 60)  // a run id is made of the time and a seeded suffix: another minute, another id
        let second = try await RunnerFixtures.runner(database, answering, clock).run(batchPath: batch, secrets: PasscodeBox())
        #expect(second.runID != first.runID)
        #expect(try states(second.runID) == ["u1:skipped:unknown_earlier", "u2:skipped:already_done"])
        #expect(await answering.sent.isEmpty)

        // --retry-unknown: the first run reopened (not the re-run), asked, never received: sent once, succeeded
        let passcodes = PasscodeBox()
        clock.advance(seconds: 60)
        let third = try await RunnerFixtures.runner(database, answering, clock, retryUnknown: true).run(batchPath: batch, secrets: passcodes)
        #expect(third.runID == first.runID && third.resumed)
        #expect(try states(first.runID) == ["u1:succeeded:-", "u2:succeeded:-"])
        #expect(await answering.statusQueries.count >= 1, "asked before it was sent again")
        #expect(await answering.sent.map(\.command.deviceID) == ["d-and6"])
        #expect(passcodes.values.map(\.deviceID) == ["d-and6"])
        #expect(try database.inspect { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs") } == 2)
    }

    /// A Mac's lock under intune-2025, answered as `answer` says (lookups cannot say), at the
    /// clock's start; then the verdict of the same lock planned `after` seconds later.
    static func macLockVerdict(answer: Result<TransportReceipt, TransportError>, after seconds: Int64) async throws -> String {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let transport = ScriptedTransport(clock: clock, status: .unknown("cannot say")) { _ in answer }
        let first = try TestSupport.file("lock1.csv", "request_id,action,target\nm1,lock,d-mac\n")
        _ = try await RunnerFixtures.runner(database, transport, clock, maxAttempts: 1, rules: .intune2025).run(batchPath: first, secrets: PasscodeBox())
        var items: [PlanItem] = []
        let again = try TestSupport.file("lock2.csv", "request_id,action,target\nm2,lock,d-mac\n")
        _ = try Planner.plan(batchPath: again, database: database, rules: .intune2025,
                             now: Int64(clock.date().timeIntervalSince1970) + seconds) { items.append($0) }
        return items.map { $0.verdict.accepted ? "accepted" : $0.verdict.reason?.rawValue ?? "?" }.joined()
    }

    @Test("unlock_pin_outstanding: another run's Mac lock that ended succeeded or unknown_outcome, first sent less than 30 days before, refuses a new one; at 30 days, or after a failure, it is accepted")
    func unlockPINOutstanding() async throws {
        let locked = Result<TransportReceipt, TransportError>.success(TransportReceipt(channel: "APNs", effect: "locked"))
        let day: Int64 = 86_400
        #expect(try await Self.macLockVerdict(answer: locked, after: 60) == "unlock_pin_outstanding")
        #expect(try await Self.macLockVerdict(answer: locked, after: 30 * day - 1) == "unlock_pin_outstanding")
        #expect(try await Self.macLockVerdict(answer: locked, after: 30 * day) == "accepted")
        #expect(try await Self.macLockVerdict(answer: locked, after: 31 * day) == "accepted")
        let lost = Result<TransportReceipt, TransportError>.failure(.unknownOutcome(message: "timed out"))
        #expect(try await Self.macLockVerdict(answer: lost, after: day) == "unlock_pin_outstanding")
        let refused = Result<TransportReceipt, TransportError>.failure(.permanent(status: 404, code: "ResourceNotFound", message: "gone"))
        #expect(try await Self.macLockVerdict(answer: refused, after: day) == "accepted")
    }

    @Test("in an outage longer than the attempt budget, the breaker's probes do not spend it: every element succeeds once the service is back")
    func probesSpendNoAttempts() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let failuresLeft = Mutex(20)
        let outage = ScriptedTransport(clock: clock) { _ in
            failuresLeft.withLock { left in
                guard left > 0 else { return .success(TransportReceipt(channel: "APNs", effect: "locked")) }
                left -= 1
                return .failure(.transient(status: 503, retryAfter: nil, message: "Service Unavailable"))
            }
        }
        let batch = try TestSupport.file("b.csv", "action,target\nlock,d-ios\nlock,d-and13\n")
        _ = try await RunnerFixtures.runner(database, outage, clock, maxAttempts: 3, concurrency: 1, breakerThreshold: 2)
            .run(batchPath: batch, secrets: DiscardingSecretSink())
        #expect(try RunnerFixtures.states(database) == ["d-ios/lock": "succeeded", "d-and13/lock": "succeeded"])
        #expect(await outage.sent.count == 22, "twenty failures, then one success each")
        // every send is an attempt on record; the probes' do not count toward --max-attempts
        let attempts = try database.inspect { try Row.fetchAll($0, sql: "SELECT attempts, uncounted_attempts FROM dispatches ORDER BY seq") }
        #expect(attempts.map { $0["attempts"] as Int }.reduce(0, +) == 22, "each send recorded as an attempt")
        #expect(attempts.allSatisfy { ($0["attempts"] as Int) - ($0["uncounted_attempts"] as Int) <= 3 }, "\(attempts)")
        let probes = try database.inspect {
            try Int.fetchOne($0, sql: """
                SELECT count(*) FROM audit_log WHERE event = 'dispatch_attempt' AND detail LIKE '%circuit breaker''s probe%'
                    AND detail LIKE '%"counted":false%'
                """)
        }
        #expect((probes ?? 0) >= 15, "the failed probes were recorded as sent, not counted: \(probes ?? 0)")
    }

    @Test("a stop request ends the run as interrupted; the next run resumes it")
    func stopAndResume() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let stop = StopSignal()
        stop.request()
        let mock = try MockTransport(configuration: MockTransportConfiguration(), clock: clock)
        let batch = try TestSupport.file("b.csv", "action,target\nlock,d-ios\nlock,d-and6\n")
        let first = try await RunnerFixtures.runner(database, mock, clock, stop: stop).run(batchPath: batch, secrets: DiscardingSecretSink())
        #expect(first.interrupted)
        #expect(try database.inspect { try String.fetchOne($0, sql: "SELECT state FROM runs") } == "interrupted")
        let second = try await RunnerFixtures.runner(database, mock, clock).run(batchPath: batch, secrets: DiscardingSecretSink())
        #expect(second.resumed && !second.interrupted && second.runID == first.runID)
        #expect(try RunnerFixtures.states(database).values.allSatisfy { $0 == "succeeded" })
    }

    @Test("only a second signal asks to stop at once; the engine's own requests, however many, stay a graceful stop")
    func stopUrgency() async throws {
        let stop = StopSignal()
        let woken = Mutex(false)
        let waiting = Task {
            await stop.waitUntilUrgent()
            woken.withLock { $0 = true }
        }
        for _ in 0..<16 { stop.request(.serviceRefused(.permissionDenied(permission: "DeviceManagementManagedDevices.PrivilegedOperations.All", message: "403"))) }
        stop.request(.maxRunTime)
        try await Task.sleep(for: .milliseconds(100))
        #expect(stop.isRequested && stop.reason == .serviceRefused(.permissionDenied(permission: "DeviceManagementManagedDevices.PrivilegedOperations.All", message: "403")))
        #expect(!woken.withLock { $0 }, "sixteen refusals and the time limit are one graceful stop")
        stop.request(.signal)
        await waiting.value
        #expect(woken.withLock { $0 }, "a signal after them asks to stop now")

        let signals = StopSignal()
        signals.request(.signal)
        signals.request(.signal)
        await signals.waitUntilUrgent()
        #expect(signals.reason == .signal)
    }

    /// Answers every send; the first one waits until the next job is claimed (`sending`),
    /// then asks the run to stop.
    actor StopAfterClaim: DeviceActionTransport {
        let database: AppDatabase
        let stop: StopSignal
        private(set) var sent: [DeviceCommand] = []
        init(database: AppDatabase, stop: StopSignal) {
            self.database = database
            self.stop = stop
        }

        func send(_ command: DeviceCommand) async throws -> TransportReceipt {
            sent.append(command)
            if sent.count == 1 {
                let deadline = ContinuousClock.now + .seconds(10)
                while try database.inspect({ try Int.fetchOne($0, sql: "SELECT count(*) FROM dispatches WHERE state = 'sending'") }) ?? 0 < 2 {
                    guard ContinuousClock.now < deadline else {
                        Issue.record("the next job was never claimed")
                        break
                    }
                    try await Task.sleep(for: .milliseconds(1))
                }
                stop.request()
            }
            return TransportReceipt(channel: "APNs", effect: "locked")
        }

        func lookup(_ query: ActionQuery) async -> ActionLookup { .notReceived }
    }

    @Test("a job claimed (committed sending) while stopping goes back to the queue unsent, its attempt not counted")
    func claimedButUnsent() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let stop = StopSignal()
        let transport = StopAfterClaim(database: database, stop: stop)
        let batch = try TestSupport.file("b.csv", "action,target\nlock,d-ios\nlock,d-and6\nlock,d-wp\n")
        let first = try await RunnerFixtures.runner(database, transport, clock, stop: stop, concurrency: 1).run(batchPath: batch, secrets: DiscardingSecretSink())
        #expect(first.interrupted)
        let rows = try database.inspect { db in
            try Row.fetchAll(db, sql: "SELECT device_id, state, attempts, first_sent_at FROM dispatches ORDER BY seq")
        }
        #expect(rows.map { $0["state"] as String } == ["succeeded", "queued", "queued"])
        #expect(rows[1]["attempts"] as Int == 0 && (rows[1]["first_sent_at"] as String?) == nil)
        let unsent = try database.inspect { try String.fetchAll($0, sql: "SELECT device_id FROM audit_log WHERE event = 'dispatch_unsent'") }
        #expect(unsent == ["d-and6"])

        let second = try await RunnerFixtures.runner(database, transport, clock).run(batchPath: batch, secrets: DiscardingSecretSink())
        #expect(second.resumed && !second.interrupted)
        #expect(await transport.sent.map(\.deviceID) .sorted() == ["d-and6", "d-ios", "d-wp"])
        #expect(await transport.sent.allSatisfy { $0.attempt == 1 })
    }

    @Test("a batch creating temporary passcodes is refused, before anything is sent, when they cannot be shown")
    func passcodesNeedSomewhere() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let mock = try MockTransport(configuration: MockTransportConfiguration(), clock: clock)
        let batch = try TestSupport.file("b.csv", "action,target\nreset_passcode,d-and6\nlock,d-ios\n")
        await #expect(throws: RunError.secretsNeedAnOutput(1)) {
            _ = try await RunnerFixtures.runner(database, mock, clock).run(batchPath: batch, secrets: Nowhere())
        }
        #expect(await mock.sends == 0)
        #expect(try database.inspect { try Int.fetchOne($0, sql: "SELECT count(*) FROM runs") } == 0)
    }

    @Test("pacing: no window of the policy holds more sends than it allows")
    func pacedRun() async throws {
        let database = try AppDatabase.inMemory()
        let rows = (0..<25).map { "d\($0),iOS,17,mdm,true" }.joined(separator: "\n")
        _ = try InventoryImporter.run(ImportRequest(kind: .devices, path: try TestSupport.file("d.csv", "device_id,platform,os_version,management,passcode_set\n" + rows), actor: "t"), into: database)
        let clock = ImmediateClock()
        let transport = ScriptedTransport(clock: clock) { _ in .success(TransportReceipt(channel: "APNs", effect: "locked")) }
        let batch = try TestSupport.file("b.csv", "action,target\n" + (0..<25).map { "lock,d\($0)" }.joined(separator: "\n"))
        // one worker: the test clock then reads exactly the slot each send went out at
        _ = try await RunnerFixtures.runner(database, transport, clock, rate: RatePolicy(count: 10, per: 20), concurrency: 1)
            .run(batchPath: batch, secrets: DiscardingSecretSink())
        let times = await transport.sent.map(\.at)
        #expect(times.count == 25)
        #expect(TestSupport.busiestWindow(times, 20) <= 10)
        #expect(times.prefix(10).allSatisfy { $0 == 0 } && times[10] > 20, "a burst of 10, then the window moves")
    }
}
