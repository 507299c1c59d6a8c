import Foundation
import GRDB
import Logging
import Synchronization
import Testing
@testable import MDMBatchKit

/// A service as harsh as Intune, in process: answers that come after the effect (or instead
/// of it), results that lag behind the answer, 429s. Each send is answered by `script`; an
/// effect becomes visible to `lookup` `lag` seconds after it happened.
actor HarshTransport: DeviceActionTransport {
    enum Answer: Sendable {
        case accepted
        /// The action took effect; the answer is this failure anyway (a 500 after the effect).
        case actedThen(TransportError)
        /// Nothing happened.
        case refused(TransportError)
    }

    typealias Script = @Sendable (DeviceCommand, _ sendNumber: Int) -> Answer
    private let clock: any EngineClock
    private let lag: Double
    private let script: Script
    private var effects: [String: [Double]] = [:]  // key → times of effect
    private(set) var sent: [(command: DeviceCommand, at: Double)] = []
    private(set) var lookups = 0
    /// Lookups that fail before this many are answered (a read outage).
    private var failingLookups: Int

    init(clock: any EngineClock, lag: Double = 0, failingLookups: Int = 0, script: @escaping Script) {
        self.clock = clock
        self.lag = lag
        self.failingLookups = failingLookups
        self.script = script
    }

    func send(_ command: DeviceCommand) async throws -> TransportReceipt {
        sent.append((command, clock.now()))
        let number = sent.filter { $0.command.idempotencyKey == command.idempotencyKey }.count
        switch script(command, number) {
        case .accepted:
            effects[command.idempotencyKey, default: []].append(clock.now())
            return TransportReceipt(channel: nil, effect: "accepted")
        case .actedThen(let error):
            effects[command.idempotencyKey, default: []].append(clock.now())
            throw error
        case .refused(let error):
            throw error
        }
    }

    func lookup(_ query: ActionQuery) async throws -> ActionLookup {
        lookups += 1
        if failingLookups > 0 {
            failingLookups -= 1
            return .unanswered(.unknownOutcome(message: "HTTP 503 Service Unavailable"))
        }
        let visible = (effects[query.idempotencyKey] ?? []).filter { $0 + lag <= clock.now() }
        return visible.isEmpty ? .notReceived : .received(ActionReport(state: .pending))
    }

    func sends(_ deviceID: String) -> [Double] { sent.filter { $0.command.deviceID == deviceID }.map(\.at) }
    var order: [String] { sent.map(\.command.deviceID) }
}

@Suite("The harsh service: late 5xx, lagging results, shared throttling")
struct HarshServiceTests {
    static func runner(_ database: AppDatabase, _ transport: any DeviceActionTransport, _ clock: ImmediateClock,
                       concurrency: Int = 1, settle: Double = 120, maxAttempts: Int = 5, rate: RatePolicy? = nil,
                       rules: RuleSet? = nil, stop: StopSignal = StopSignal()) -> Runner {
        var options = RunOptions(actor: "tester")
        options.concurrency = concurrency
        options.rate = rate
        options.settleAskedFor = settle
        options.retry = RetryPolicy(maxAttempts: maxAttempts, baseDelay: 0.5, maxDelay: 30)
        options.rules = rules
        return Runner(database: database, transports: FixedTransport(transport), options: options,
                      dependencies: RunDependencies(clock: clock, ids: SeededIdentifiers(seed: 5)),
                      logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, stop: stop)
    }

    static func states(_ database: AppDatabase) throws -> [String: String] {
        try RunnerFixtures.states(database)
    }

    @Test("a reset answered 500 after it took effect is asked about, found once the results show it, and never sent twice; at --concurrency 1 the others go out while it waits")
    func lateFiveHundred() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let transport = HarshTransport(clock: clock, lag: 5) { command, _ in
            command.action == .resetPasscode ? .actedThen(.unknownOutcome(message: "HTTP 500 InternalServerError"))
                                             : .accepted
        }
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nr1,reset_passcode,d-and6\nl1,lock,d-ios\nl2,lock,d-and13\n")
        _ = try await Self.runner(database, transport, clock).run(batchPath: batch, secrets: PasscodeBox())
        #expect(try Self.states(database) == ["d-and6/reset_passcode": "succeeded", "d-ios/lock": "succeeded",
                                              "d-and13/lock": "succeeded"])
        #expect(await transport.sends("d-and6").count == 1, "a reset is never sent twice")
        #expect(await transport.order == ["d-and6", "d-ios", "d-and13"], "the locks went out while the reset waited, holding no worker")
        let settled = try database.inspect {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM audit_log WHERE event = 'dispatch_attempt' AND outcome = 'settle_wait'")
        }
        #expect(settled == 1, "the 500 put the reset in settle_wait")
    }

    @Test("a Mac lock answered 502 that never took effect is sent again only once --settle has passed since its send")
    func absenceAfterSettle() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let transport = HarshTransport(clock: clock, lag: 0) { command, number in
            command.deviceID == "d-mac" && number == 1 ? .refused(.unknownOutcome(message: "HTTP 502 BadGateway")) : .accepted
        }
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nm1,lock,d-mac\nl1,lock,d-ios\n")
        _ = try await Self.runner(database, transport, clock, settle: 120, rules: .intune2025)
            .run(batchPath: batch, secrets: PasscodeBox())
        #expect(try Self.states(database) == ["d-mac/lock": "succeeded", "d-ios/lock": "succeeded"])
        let macSends = await transport.sends("d-mac")
        #expect(macSends.count == 2)
        #expect(macSends[1] - macSends[0] >= 119.999, "sent again \(macSends[1] - macSends[0]) s after: only once absence is proof")
        #expect(await transport.lookups >= 2, "asked while absence was no proof yet, and once more when it was")
        #expect(await transport.sends("d-ios").count == 1, "an iPhone's lock went out as usual")
    }

    @Test("questions that keep failing end the element unknown_outcome after --max-attempts; nothing is sent twice")
    func failingReads() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let transport = HarshTransport(clock: clock, failingLookups: 100) { _, _ in .actedThen(.unknownOutcome(message: "timed out")) }
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nr1,reset_passcode,d-and6\n")
        let outcome = try await Self.runner(database, transport, clock, maxAttempts: 3).run(batchPath: batch, secrets: PasscodeBox())
        #expect(!outcome.interrupted)
        #expect(try Self.states(database) == ["d-and6/reset_passcode": "unknown_outcome"])
        #expect(await transport.lookups == 3, "asked --max-attempts times")
        #expect(await transport.sends("d-and6").count == 1)
        let error = try database.inspect { try String.fetchOne($0, sql: "SELECT last_error FROM dispatches") }
        #expect(error?.contains("asked 3 times") == true, "\(error ?? "-")")
    }

    @Test("a 429 never makes an element fail: 12 in a row at --max-attempts 2, then it is sent")
    func throttlingNeverFails() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        let transport = HarshTransport(clock: clock) { _, number in
            number <= 12 ? .refused(.throttled(retryAfter: nil, message: "Too Many Requests")) : .accepted
        }
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nr1,reset_passcode,d-and6\nl1,lock,d-ios\n")
        _ = try await Self.runner(database, transport, clock, maxAttempts: 2).run(batchPath: batch, secrets: PasscodeBox())
        #expect(try Self.states(database) == ["d-and6/reset_passcode": "succeeded", "d-ios/lock": "succeeded"])
        #expect(await transport.sends("d-and6").count == 13)
        let rows = try database.inspect { try Row.fetchAll($0, sql: "SELECT attempts, uncounted_attempts FROM dispatches ORDER BY seq") }
        #expect(rows.allSatisfy { ($0["attempts"] as Int) == 13 && ($0["uncounted_attempts"] as Int) == 12 }, "\(rows)")
        // without Retry-After the waits grow with full jitter, never past the 20 s window
        let times = await transport.sends("d-and6")
        let gaps = zip(times.dropFirst(), times).map { $0 - $1 }
        #expect(gaps.allSatisfy { $0 <= 20.001 }, "\(gaps)")
    }

    @Test("a breaker's probe of a reset that the service answers 500 after acting is asked about, never probed again")
    func probeObeysTheRule() async throws {
        let database = try RunnerFixtures.fleet()
        let clock = ImmediateClock()
        // an outage first (refused connections), then 500s after the effect
        let transport = HarshTransport(clock: clock) { command, number in
            if command.action == .lock { return number <= 3 ? .refused(.transient(status: nil, retryAfter: nil, message: "refused")) : .accepted }
            return .actedThen(.unknownOutcome(message: "HTTP 500 InternalServerError"))
        }
        let batch = try TestSupport.file("b.csv", "request_id,action,target\nl1,lock,d-ios\nr1,reset_passcode,d-and6\n")
        var options = RunOptions(actor: "tester")
        options.concurrency = 1
        options.rate = nil
        options.breakerThreshold = 2
        options.settleAskedFor = 10
        _ = try await Runner(database: database, transports: FixedTransport(transport), options: options,
                             dependencies: RunDependencies(clock: clock, ids: SeededIdentifiers(seed: 5)),
                             logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            .run(batchPath: batch, secrets: PasscodeBox())
        #expect(await transport.sends("d-and6").count == 1, "the reset went out once")
        #expect(try Self.states(database)["d-and6/reset_passcode"] == "succeeded")
    }

    @Test("the pace halves after a 429 in a window (never below a tenth) and gains a tenth of --rate per clean window: back to 90 % within 10 windows")
    func adaptivePace() async throws {
        let clock = ImmediateClock()
        let limiter = RateLimiter(policy: RatePolicy(count: 200, per: 20), clock: clock)
        #expect(await limiter.allowed == 200)
        await limiter.throttled()
        #expect(await limiter.allowed == 100)
        await limiter.throttled()
        #expect(await limiter.allowed == 100, "once a window")
        // foreign load for 8 windows: down to the floor
        for _ in 0..<8 {
            clock.advance(seconds: 20)
            await limiter.throttled()
        }
        #expect(await limiter.allowed == 20, "the floor: 10 % of --rate")
        // the load stops: count the sends each window lets through
        var perWindow: [Int] = []
        for _ in 0..<11 {
            let start = clock.now()
            var sends = 0
            while true {
                let slot = await limiter.reserve()
                if slot >= start + 20 { break }
                sends += 1
            }
            perWindow.append(sends)
            clock.advance(seconds: 20 - (clock.now() - start) + 0.001)
        }
        #expect(perWindow.last! >= 180, "back to at least 90 % of 200 within 10 windows: \(perWindow)")
        #expect(perWindow.allSatisfy { $0 <= 200 }, "never above --rate: \(perWindow)")
    }

    @Test("several results for one action: the latest one's secret, the one listed last on a tie")
    func latestResultWins() {
        let query = ActionQuery(idempotencyKey: "k", action: .resetPasscode, deviceID: "d-1", platform: .android, firstSentAt: nil,
                                secret: .temporaryPasscode, requestID: "q")
        let body = """
            {"deviceActionResults": [
              {"actionName": "resetPasscode", "actionState": "done", "startDateTime": "2026-12-07T10:00:00Z", "passcode": "11111111"},
              {"actionName": "resetPasscode", "actionState": "done", "startDateTime": "2026-12-07T10:00:00Z", "passcode": "22222222"}
            ]}
            """
        guard case .received(let report) = GraphTransport.lookup(query, in: Array(body.utf8)) else {
            Issue.record("not received")
            return
        }
        #expect(report.secret?.value == "22222222")
    }
}
