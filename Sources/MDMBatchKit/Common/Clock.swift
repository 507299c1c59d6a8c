import Foundation
import Synchronization

/// Time as a dependency: the engine never reads the system clock or sleeps directly,
/// so that tests of pacing, backoff and the circuit breaker run in microseconds.
public protocol EngineClock: Sendable {
    /// Monotonic seconds since an arbitrary origin.
    func now() -> Double
    /// Suspends for `seconds` (throws when the task is cancelled).
    func sleep(seconds: Double) async throws
    /// Suspends until `now()` reaches `deadline`.
    func sleep(until deadline: Double) async throws
    /// Wall-clock time, for timestamps and HTTP dates.
    func date() -> Date
}

/// The real clock.
public struct SystemClock: EngineClock {
    private let origin = ContinuousClock.now

    public init() {}

    public func now() -> Double {
        let elapsed = origin.duration(to: .now)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        // A tight tolerance: the default lets the timer fire up to a tenth of the delay late,
        // which would add 2 ms to every 20 ms call and cap the dispatch rate well below its limit.
        try await Task.sleep(for: .nanoseconds(Int64(seconds * 1e9)), tolerance: .microseconds(50))
    }

    public func sleep(until deadline: Double) async throws {
        try await sleep(seconds: deadline - now())
    }

    public func date() -> Date { Date() }
}

/// A clock that never waits: `sleep` moves its time forward at once, to the sleeper's
/// deadline (never backwards: sleepers in parallel share the time they wait). For tests.
public final class ImmediateClock: EngineClock {
    private let time: Mutex<Double>
    private let epoch: Date

    public init(start: Date = Date(timeIntervalSince1970: 1_795_000_000)) {
        time = Mutex(0)
        epoch = start
    }

    public func now() -> Double { time.withLock { $0 } }

    public func sleep(seconds: Double) async throws {
        try Task.checkCancellation()
        if seconds > 0 { time.withLock { $0 += seconds } }
        await Task.yield()
    }

    public func sleep(until deadline: Double) async throws {
        try Task.checkCancellation()
        time.withLock { $0 = max($0, deadline) }
        await Task.yield()
    }

    public func advance(seconds: Double) { time.withLock { $0 += seconds } }

    public func date() -> Date { epoch.addingTimeInterval(now()) }
}
