/// A pace: at most `count` sends in any window of `seconds`.
public struct RatePolicy: Sendable, Equatable, CustomStringConvertible {
    public var count: Int
    public var seconds: Double

    public init(count: Int, per seconds: Double) {
        self.count = count
        self.seconds = seconds
    }

    /// The write limit the Intune service applies per app: 200 per 20 s.
    public static let intuneDefault = RatePolicy(count: 200, per: 20)

    public var perSecond: Double { Double(count) / seconds }

    /// `N/SECONDS` (`200/20`), or `off` (nil).
    public static func parse(_ text: String) -> RatePolicy?? {
        if text.lowercased() == "off" { return .some(nil) }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0]), count > 0, count <= 1_000_000,
              let seconds = Double(parts[1]), seconds > 0, seconds.isFinite else { return nil }
        return .some(RatePolicy(count: count, per: seconds))
    }

    public var description: String {
        "\(count)/\(seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds))"
    }
}

/// The times of the last `count` events, to keep at most `count` in any window.
struct SlidingWindow: Sendable {
    let policy: RatePolicy
    private var times: [Double]
    private var next = 0  // index of the oldest

    init(policy: RatePolicy) {
        self.policy = policy
        times = Array(repeating: -.infinity, count: policy.count)
    }

    /// The earliest time at or after `now` when one more event keeps the limit, with a
    /// margin so that a send a few milliseconds late still falls outside the window.
    func earliest(after now: Double) -> Double {
        max(now, times[next] + policy.seconds + margin)
    }

    var margin: Double { min(0.05, policy.seconds / 100) }

    /// Records an event at `time` (not before `earliest`).
    mutating func record(_ time: Double) {
        times[next] = time
        next = (next + 1) % times.count
    }
}

/// Paces sends so that no window of `seconds` holds more than `count` of them: a batch of
/// up to `count` goes out at once, a larger one waits for the window to move. Each caller
/// reserves its slot, then sleeps until it is due, so concurrent callers keep the limit.
public actor RateLimiter {
    private let clock: any EngineClock
    private var window: SlidingWindow

    public init(policy: RatePolicy, clock: any EngineClock) {
        self.clock = clock
        window = SlidingWindow(policy: policy)
    }

    /// Waits for a slot; returns the clock time it was reserved for.
    @discardableResult
    public func acquire() async throws -> Double {
        let slot = reserve()
        if slot > clock.now() { try await clock.sleep(until: slot) }
        return slot
    }

    /// Reserves the next slot without waiting for it: the caller waits (and may give up
    /// waiting, its slot then simply unused).
    public func reserve() -> Double {
        let slot = window.earliest(after: clock.now())
        window.record(slot)
        return slot
    }
}
