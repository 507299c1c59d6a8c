import Foundation
import MDMBatchShared
import NIOConcurrencyHelpers

extension SlidingWindow {
    /// At most `limit.count` events in any window of `limit.seconds`, less `slack`.
    init(_ limit: RateLimit, slack: Double = 0) {
        self.init(count: limit.count, seconds: limit.seconds, slack: slack)
    }
}

/// Why a request was not admitted, and when it would be.
struct Refusal: Sendable, Equatable {
    /// Seconds until the request would fit.
    var wait: Double
    /// A tenant window refused it, one other apps spend too: the service cannot tell when
    /// they will leave room.
    var shared: Bool
}

/// Intune's service limits (DESIGN.md, "Pacing"): writes per app and per tenant, all
/// requests per app and per tenant, each a sliding window. A refused request counts in none.
/// With a foreign load, other apps' writes (seeded arrivals, a mean rate per second) spend
/// the tenant's write budget; nothing else of them is modelled.
final class Throttle: Sendable {
    private struct Windows: Sendable {
        var appWrites: [String: SlidingWindow] = [:]
        var appRequests: [String: SlidingWindow] = [:]
        var tenantWrites: SlidingWindow
        var tenantRequests: SlidingWindow
        var foreign: ForeignLoad?
    }

    private let limits: ThrottleLimits
    private let windows: NIOLockedValueBox<Windows>

    init(limits: ThrottleLimits, foreignLoad: Double = 0, seed: UInt64 = 1, start: Double = 0) {
        self.limits = limits
        let foreign = foreignLoad > 0 ? ForeignLoad(rate: foreignLoad, seed: seed, start: start) : nil
        windows = NIOLockedValueBox(Windows(tenantWrites: SlidingWindow(limits.tenantWrites, slack: limits.slack),
                                            tenantRequests: SlidingWindow(limits.tenantRequests, slack: limits.slack),
                                            foreign: foreign))
    }

    /// Nil: admitted (and counted). Otherwise why not, and how long until it would fit.
    func admit(app: String, write: Bool, now: Double) -> Refusal? {
        windows.withLockedValue { windows in
            if windows.appRequests[app] == nil {
                windows.appRequests[app] = SlidingWindow(limits.appRequests, slack: limits.slack)
                windows.appWrites[app] = SlidingWindow(limits.appWrites, slack: limits.slack)
            }
            // other apps' writes since the last request: each counted when it fits (else it was
            // throttled too)
            for time in windows.foreign?.arrivals(until: now, horizon: limits.tenantWrites.seconds) ?? [] {
                if windows.tenantWrites.wait(at: time) == nil { windows.tenantWrites.record(at: time) }
            }
            // mutated in place: a window holds thousands of times
            var own = [windows.appRequests[app]!.wait(at: now)]
            var tenant = [windows.tenantRequests.wait(at: now)]
            if write {
                own.append(windows.appWrites[app]!.wait(at: now))
                tenant.append(windows.tenantWrites.wait(at: now))
            }
            let ownWait = own.compactMap { $0 }.max(), tenantWait = tenant.compactMap { $0 }.max()
            if ownWait != nil || tenantWait != nil {
                return Refusal(wait: max(ownWait ?? 0, tenantWait ?? 0), shared: tenantWait != nil && windows.foreign != nil)
            }
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

/// The writes of other apps of the tenant: arrivals at exponential intervals (a Poisson
/// process of `rate` a second), from their own seeded generator so that they depend on
/// the time alone, not on the order of our requests.
struct ForeignLoad: Sendable {
    let rate: Double
    private var generator: SplitMix64
    private var next: Double

    init(rate: Double, seed: UInt64, start: Double) {
        self.rate = rate
        var generator = SplitMix64(seed: seed ^ 0x6F74_6865_7261_7070)  // "otherapp"
        next = start + Self.interval(rate, &generator)
        self.generator = generator
    }

    private static func interval(_ rate: Double, _ generator: inout SplitMix64) -> Double {
        let unit = Double(generator.next() >> 11) * 0x1.0p-53
        return -log(1 - unit) / rate
    }

    /// The times of the arrivals up to `now`, in order; those older than `horizon` seconds
    /// before `now` could no longer count in any window and are skipped.
    mutating func arrivals(until now: Double, horizon: Double) -> [Double] {
        if next < now - horizon { next = now - horizon + Self.interval(rate, &generator) }
        var times: [Double] = []
        while next <= now {
            times.append(next)
            next += Self.interval(rate, &generator)
        }
        return times
    }
}
