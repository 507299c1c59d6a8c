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

/// Recorded as its text, `N/SECONDS`.
extension RatePolicy: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard case let policy?? = Self.parse(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected N/SECONDS, not \(text)")
        }
        self = policy
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension SlidingWindow {
    init(policy: RatePolicy) {
        self.init(count: policy.count, seconds: policy.seconds)
    }

    var policy: RatePolicy { RatePolicy(count: count, per: seconds) }

    /// The earliest time at or after `now` when one more event keeps the limit, with a
    /// margin so that a send a few milliseconds late still falls outside the window.
    func earliest(after now: Double) -> Double {
        earliest(after: now, allowing: count)
    }

    /// The same for a lower limit, `allowing` events a window (at most `count`): the
    /// `allowing`-th latest event must have left the window.
    func earliest(after now: Double, allowing: Int) -> Double {
        max(now, latest(min(max(1, allowing), count)) + seconds + margin)
    }

    var margin: Double { min(0.05, seconds / 100) }
}

/// Paces sends so that no window of `seconds` holds more than `count` of them: a batch of
/// up to `count` goes out at once, a larger one waits for the window to move. Each caller
/// reserves its slot, then sleeps until it is due, so concurrent callers keep the limit.
///
/// The pace adapts to throttling it cannot see coming (the service's budget is shared with
/// the tenant's other apps): after a 429 inside a window it halves (never below a tenth of
/// `count`), and each window with no 429 gives back a tenth of `count`, never above it.
public actor RateLimiter {
    private let clock: any EngineClock
    private var window: SlidingWindow
    /// How many sends a window may hold now: `count`, less while the service throttles.
    public private(set) var allowed: Int
    private var windowStart: Double
    private var throttledInWindow = false

    public init(policy: RatePolicy, clock: any EngineClock) {
        self.clock = clock
        window = SlidingWindow(policy: policy)
        allowed = policy.count
        windowStart = clock.now()
    }

    /// The lowest pace a run of 429s brings it to: a tenth of the policy's count.
    public var floor: Int { max(1, Int((Double(window.policy.count) / 10).rounded(.up))) }
    private var step: Int { max(1, Int((Double(window.policy.count) / 10).rounded())) }

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
        let now = clock.now()
        adapt(now: now)
        let slot = window.earliest(after: now, allowing: allowed)
        window.record(at: slot)
        return slot
    }

    /// The service answered 429: the first in a window halves the pace.
    public func throttled() {
        let now = clock.now()
        adapt(now: now)
        guard !throttledInWindow else { return }
        throttledInWindow = true
        allowed = max(floor, allowed / 2)
    }

    /// Each whole window since the last look that met no 429 gives back a tenth of the count.
    private func adapt(now: Double) {
        let seconds = window.policy.seconds
        guard now >= windowStart + seconds else { return }
        let windows = Int(((now - windowStart) / seconds).rounded(.down))
        // the window that just ended may have met a 429; the ones after it did not
        let clean = throttledInWindow ? windows - 1 : windows
        if clean > 0 { allowed = min(window.policy.count, allowed + step * min(clean, 10)) }
        throttledInWindow = false
        windowStart += Double(windows) * seconds
    }
}
