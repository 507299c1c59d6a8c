/// A pace: at most `count` sends per `seconds`, with a burst of `count`.
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
        guard parts.count == 2, let count = Int(parts[0]), count > 0, let seconds = Double(parts[1]), seconds > 0,
              seconds.isFinite else { return nil }
        return .some(RatePolicy(count: count, per: seconds))
    }

    public var description: String {
        "\(count)/\(seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds))"
    }
}

/// A token bucket: starts full (`count` tokens), refills at `count / seconds`. A caller
/// that finds it empty reserves the next token and sleeps until it is due, so that over
/// any window of T seconds at most `count + T × rate` sends go out.
public actor RateLimiter {
    private let policy: RatePolicy
    private let clock: any EngineClock
    private var tokens: Double
    private var updated: Double

    public init(policy: RatePolicy, clock: any EngineClock) {
        self.policy = policy
        self.clock = clock
        tokens = Double(policy.count)
        updated = clock.now()
    }

    /// Waits for one token.
    public func acquire() async throws {
        let now = clock.now()
        tokens = min(Double(policy.count), tokens + (now - updated) * policy.perSecond)
        updated = now
        tokens -= 1
        if tokens >= 0 { return }
        // reserved: wait until the bucket has refilled to this token
        try await clock.sleep(seconds: -tokens / policy.perSecond)
    }
}
