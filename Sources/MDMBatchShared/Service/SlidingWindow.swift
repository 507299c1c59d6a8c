/// The times of the last `count` events, in a ring: enough to keep at most `count` events
/// in any window of `seconds`. mdmbatch paces its sends with one; graph-sim throttles with
/// them as Intune does.
public struct SlidingWindow: Sendable {
    public let count: Int
    public let seconds: Double
    /// The window `wait` measures: `seconds` less the slack.
    private let length: Double
    private var times: [Double]
    private var next = 0  // index of the oldest

    /// `slack` shortens the window `wait` measures a little: requests are timed when they
    /// arrive, and a client that paces exactly `count` per window at its end sees arrival
    /// times jitter by a few milliseconds; without slack, every other request at a
    /// window's edge would be refused.
    public init(count: Int, seconds: Double, slack: Double = 0) {
        self.count = count
        self.seconds = seconds
        length = max(seconds - slack, 0)
        times = Array(repeating: -.infinity, count: count)
    }

    /// The time of the `k`-th latest event recorded (1: the latest, `count`: the oldest
    /// kept); -infinity when fewer were recorded.
    public func latest(_ k: Int) -> Double {
        times[(next - k + count) % count]
    }

    /// Nil when one more event fits at `now` (times recorded in order); otherwise how long
    /// until one does.
    public func wait(at now: Double) -> Double? {
        let oldest = times[next]
        return oldest <= now - length ? nil : oldest + length - now
    }

    /// Records an event at `time` (once it fits).
    public mutating func record(at time: Double) {
        times[next] = time
        next = (next + 1) % count
    }
}
