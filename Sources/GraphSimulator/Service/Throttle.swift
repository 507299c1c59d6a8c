import NIOConcurrencyHelpers

/// At most `limit.count` events in any window of `limit.seconds`: the times of the last
/// `count` admitted events, in a ring.
/// `slack` shortens the window a little: requests are timed when they arrive, and a client
/// that paces exactly N per window at its end sees arrival times jitter by a few
/// milliseconds; without slack, every other request at a window's edge would be refused.
struct SlidingWindow: Sendable {
    let limit: RateLimit
    private let length: Double
    private var times: [Double]
    private var head = 0
    private var count = 0

    init(_ limit: RateLimit, slack: Double = 0) {
        self.limit = limit
        length = max(limit.seconds - slack, 0)
        times = Array(repeating: 0, count: limit.count)
    }

    /// Nil when one more event fits at `now`; otherwise how long until one does.
    mutating func wait(at now: Double) -> Double? {
        while count > 0 && times[head] <= now - length {
            head = (head + 1) % times.count
            count -= 1
        }
        return count < limit.count ? nil : times[head] + length - now
    }

    /// Records an event (after `wait` said it fits).
    mutating func record(at now: Double) {
        times[(head + count) % times.count] = now
        count += 1
    }
}

/// Intune's service limits (DESIGN.md, "Pacing"): writes per app and per tenant, all
/// requests per app and per tenant, each a sliding window. A refused request counts in none.
final class Throttle: Sendable {
    private struct Windows: Sendable {
        var appWrites: [String: SlidingWindow] = [:]
        var appRequests: [String: SlidingWindow] = [:]
        var tenantWrites: SlidingWindow
        var tenantRequests: SlidingWindow
    }

    private let limits: ThrottleLimits
    private let windows: NIOLockedValueBox<Windows>

    init(limits: ThrottleLimits) {
        self.limits = limits
        windows = NIOLockedValueBox(Windows(tenantWrites: SlidingWindow(limits.tenantWrites, slack: limits.slack),
                                            tenantRequests: SlidingWindow(limits.tenantRequests, slack: limits.slack)))
    }

    /// Nil: admitted (and counted). Otherwise the seconds until the request would fit.
    func admit(app: String, write: Bool, now: Double) -> Double? {
        windows.withLockedValue { windows in
            if windows.appRequests[app] == nil {
                windows.appRequests[app] = SlidingWindow(limits.appRequests, slack: limits.slack)
                windows.appWrites[app] = SlidingWindow(limits.appWrites, slack: limits.slack)
            }
            // mutated in place: a window holds thousands of times
            var waits = [windows.appRequests[app]!.wait(at: now), windows.tenantRequests.wait(at: now)]
            if write { waits += [windows.appWrites[app]!.wait(at: now), windows.tenantWrites.wait(at: now)] }
            if let longest = waits.compactMap({ $0 }).max() { return longest }
            windows.appRequests[app]!.record(at: now)
            windows.tenantRequests.record(at: now)
            if write {
                windows.appWrites[app]!.record(at: now)
                windows.tenantWrites.record(at: now)
            }
            return nil
        }
    }
}
