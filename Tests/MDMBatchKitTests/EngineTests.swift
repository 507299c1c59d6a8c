import Foundation
import Testing
@testable import MDMBatchKit

@Suite("Engine parts: state machine, retries, pacing, circuit breaker")
struct EngineTests {
    @Test("the state table is DESIGN.md's, with settle_wait (asking before re-sending) and --retry-unknown's move into it")
    func stateMachine() {
        let allowed: Set<String> = [
            "planned>rejected", "planned>skipped", "planned>queued", "queued>sending", "sending>succeeded", "sending>retry_wait",
            "sending>failed", "sending>unknown_outcome", "sending>queued", "sending>settle_wait", "retry_wait>sending",
            "retry_wait>failed", "settle_wait>succeeded", "settle_wait>retry_wait", "settle_wait>failed",
            "settle_wait>unknown_outcome", "unknown_outcome>settle_wait",
        ]
        for from in DispatchState.allCases {
            for to in DispatchState.allCases {
                #expect(from.canMove(to: to) == allowed.contains("\(from.rawValue)>\(to.rawValue)"), "\(from) → \(to)")
            }
        }
        #expect(DispatchState.allCases.filter(\.isTerminal) == [.rejected, .skipped, .succeeded, .failed, .unknownOutcome])
    }

    @Test("backoff is capped, exponential and fully jittered")
    func backoffBounds() {
        let policy = RetryPolicy(maxAttempts: 8, baseDelay: 0.5, maxDelay: 10)
        #expect(policy.ceiling(afterAttempt: 1) == 0.5)
        #expect(policy.ceiling(afterAttempt: 2) == 1)
        #expect(policy.ceiling(afterAttempt: 4) == 4)
        #expect(policy.ceiling(afterAttempt: 6) == 10)
        let random = SharedRandom(seed: 42)
        var seen: [Double] = []
        for attempt in 1..<8 {
            for _ in 0..<200 {
                let delay = policy.delay(afterAttempt: attempt, retryAfter: nil, jitter: random.uniform(1))!
                #expect(delay >= 0 && delay < policy.ceiling(afterAttempt: attempt))
                seen.append(delay)
            }
        }
        // full jitter: delays spread over the whole range, not bunched at the ceiling
        #expect(seen.filter { $0 < 0.25 }.count > 50)
        #expect(policy.delay(afterAttempt: 8, retryAfter: nil, jitter: random.uniform(1)) == nil)
    }

    @Test("Retry-After is honoured: the delay is never shorter")
    func honoursRetryAfter() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: 0.5, maxDelay: 30)
        let random = SharedRandom(seed: 1)
        for _ in 0..<100 { #expect(policy.delay(afterAttempt: 1, retryAfter: 7, jitter: random.uniform(1))! >= 7) }
    }

    @Test("Retry-After: seconds, fractions, HTTP dates, garbage", arguments: [
        ("120", 120.0), ("0.5", 0.5), (" 3 ", 3.0), ("-4", 0.0),
        ("Wed, 25 Nov 2026 08:00:30 GMT", 30.0), ("Wednesday, 25-Nov-26 08:01:00 GMT", 60.0),
        ("Wed Nov 25 08:00:10 2026", 10.0), ("Wed, 25 Nov 2026 07:59:00 GMT", 0.0),
    ])
    func retryAfter(header: String, seconds: Double) {
        let now = Date(timeIntervalSince1970: 1_795_593_600)  // 2026-11-25T08:00:00Z
        #expect(RetryAfter.seconds(header, now: now) == seconds)
    }

    @Test("unparsable Retry-After is ignored", arguments: ["soon", "", "Thursday"])
    func badRetryAfter(header: String) {
        #expect(RetryAfter.seconds(header, now: Date()) == nil)
    }

    @Test("--rate values", arguments: [("200/20", RatePolicy(count: 200, per: 20)), ("5/1", RatePolicy(count: 5, per: 1)),
                                        ("10/0.5", RatePolicy(count: 10, per: 0.5))])
    func ratePolicy(text: String, expected: RatePolicy) {
        #expect(RatePolicy.parse(text) == .some(expected))
    }

    @Test("bad --rate values", arguments: ["200", "0/20", "200/0", "x/1", "1/x", "-1/5"])
    func badRatePolicy(text: String) {
        #expect(RatePolicy.parse(text) == nil)
        #expect(RatePolicy.parse("off") == .some(nil))
    }

    @Test("pacing never exceeds the limit: a burst, then no window holds more than the count",
          arguments: [(200, 20.0), (10, 1.0), (3, 2.0)])
    func pacing(count: Int, seconds: Double) async throws {
        let clock = ImmediateClock()
        let limiter = RateLimiter(policy: RatePolicy(count: count, per: seconds), clock: clock)
        var times: [Double] = []
        for _ in 0..<(count * 4) {
            try await limiter.acquire()
            times.append(clock.now())
        }
        #expect(times.prefix(count).allSatisfy { $0 == 0 }, "the first \(count) go at once")
        #expect(TestSupport.busiestWindow(times, seconds) == count)
        // and nothing waits much longer than it must: 4 × count sends take 3 windows (and a small margin each)
        #expect(times.last! >= 3 * seconds && times.last! <= 3 * seconds * 1.011)
    }

    @Test("pacing holds under concurrent callers")
    func concurrentPacing() async throws {
        let clock = ImmediateClock()
        let limiter = RateLimiter(policy: RatePolicy(count: 5, per: 1), clock: clock)
        let times = try await withThrowingTaskGroup(of: Double.self) { group in
            for _ in 0..<50 {
                group.addTask { try await limiter.acquire() }
            }
            return try await group.reduce(into: [Double]()) { $0.append($1) }
        }
        #expect(times.count == 50)
        #expect(TestSupport.busiestWindow(times, 1) == 5)
        #expect(times.max()! >= 9 && times.max()! <= 9.1, "50 sends at 5 per second: the last slot 9 s after the first")
    }

    @Test("the circuit opens after consecutive transient failures, waits, probes, and closes")
    func circuitBreaker() async throws {
        let clock = ImmediateClock()
        let breaker = CircuitBreaker(threshold: 3, cooldown: 5, maxCooldown: 20, clock: clock)
        for _ in 0..<2 { breaker.recordTransientFailure() }
        #expect(breaker.state == .closed)
        breaker.recordSuccess()  // resets the count
        for _ in 0..<2 { breaker.recordTransientFailure() }
        #expect(breaker.state == .closed)
        breaker.recordTransientFailure()
        #expect(breaker.state == .open(until: 5))
        // a sender waits for the cooldown, then probes
        #expect(try await breaker.permit() == true, "the first send after the cooldown is the probe")
        #expect(clock.now() >= 5)
        #expect(breaker.state == .halfOpen)
        // a call sent before the circuit opened fails late: only the probe decides
        breaker.recordTransientFailure(probe: false)
        #expect(breaker.state == .halfOpen)
        // the probe fails: open again with a doubled cooldown
        breaker.recordTransientFailure(probe: true)
        #expect(breaker.state == .open(until: clock.now() + 10))
        #expect(try await breaker.permit() == true)
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        #expect(breaker.openings == 2)
    }
}
