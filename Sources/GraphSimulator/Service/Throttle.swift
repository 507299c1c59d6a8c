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
/// requests per app and per tenant, each a sliding window, kept for each tenant on its own
/// (an app's limits are per app *per tenant*); and Graph's limit per app over all tenants.
/// A refused request counts in none. With a foreign load, other apps' writes (seeded
/// arrivals, a mean rate per second) spend each tenant's write budget; nothing else of them
/// is modelled.
final class Throttle: Sendable {
    private struct TenantWindows: Sendable {
        var appWrites: [String: SlidingWindow] = [:]
        var appRequests: [String: SlidingWindow] = [:]
        var tenantWrites: SlidingWindow
        var tenantRequests: SlidingWindow
        var foreign: ForeignLoad?
    }

    private struct Windows: Sendable {
        /// By tenant id.
        var tenants: [String: TenantWindows]
        /// By app, over all tenants.
        var appWide: [String: SlidingWindow] = [:]
    }

    private let limits: ThrottleLimits
    private let windows: NIOLockedValueBox<Windows>

    /// `tenants`: each tenant's id and the seed of its other apps' load.
    init(limits: ThrottleLimits, tenants: [(id: String, seed: UInt64)] = [("", 1)], foreignLoad: Double = 0,
         start: Double = 0) {
        self.limits = limits
        var all: [String: TenantWindows] = [:]
        for tenant in tenants {
            let foreign = foreignLoad > 0 ? ForeignLoad(rate: foreignLoad, seed: tenant.seed, start: start) : nil
            all[tenant.id] = TenantWindows(tenantWrites: SlidingWindow(limits.tenantWrites, slack: limits.slack),
                                           tenantRequests: SlidingWindow(limits.tenantRequests, slack: limits.slack),
                                           foreign: foreign)
        }
        windows = NIOLockedValueBox(Windows(tenants: all))
    }

    /// Nil: admitted (and counted). Otherwise why not, and how long until it would fit.
    func admit(app: String, tenant: String = "", write: Bool, now: Double) -> Refusal? {
        windows.withLockedValue { windows in
            guard var own = windows.tenants.removeValue(forKey: tenant) else {
                return Refusal(wait: limits.tenantRequests.seconds, shared: false)  // not served: never asked
            }
            defer { windows.tenants[tenant] = own }  // moved out and back: a window holds thousands of times
            if own.appRequests[app] == nil {
                own.appRequests[app] = SlidingWindow(limits.appRequests, slack: limits.slack)
                own.appWrites[app] = SlidingWindow(limits.appWrites, slack: limits.slack)
            }
            if let appWide = limits.appWideRequests, windows.appWide[app] == nil {
                windows.appWide[app] = SlidingWindow(appWide, slack: limits.slack)
            }
            // other apps' writes since the last request: each counted when it fits (else it was
            // throttled too)
            for time in own.foreign?.arrivals(until: now, horizon: limits.tenantWrites.seconds) ?? [] {
                if own.tenantWrites.wait(at: time) == nil { own.tenantWrites.record(at: time) }
            }
            var mine = [own.appRequests[app]!.wait(at: now), windows.appWide[app]?.wait(at: now)]
            var shared = [own.tenantRequests.wait(at: now)]
            if write {
                mine.append(own.appWrites[app]!.wait(at: now))
                shared.append(own.tenantWrites.wait(at: now))
            }
            let ownWait = mine.compactMap { $0 }.max(), tenantWait = shared.compactMap { $0 }.max()
            if ownWait != nil || tenantWait != nil {
                return Refusal(wait: max(ownWait ?? 0, tenantWait ?? 0), shared: tenantWait != nil && own.foreign != nil)
            }
            own.appRequests[app]!.record(at: now)
            own.tenantRequests.record(at: now)
            windows.appWide[app]?.record(at: now)
            if write {
                own.appWrites[app]!.record(at: now)
                own.tenantWrites.record(at: now)
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
