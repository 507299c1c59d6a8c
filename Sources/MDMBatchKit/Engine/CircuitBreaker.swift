import Logging
import Synchronization

/// Stops dispatch during an outage: after `threshold` transient failures in a row the
/// circuit opens and senders wait (instead of burning attempts) for `cooldown` seconds;
/// then one probe goes out (half-open): a success closes the circuit, a failure opens it
/// again with the cooldown doubled (up to `maxCooldown`). It logs when it opens and closes.
///
/// A lock, not an actor: every send passes through it twice, and a closed circuit must
/// cost no hop between threads.
public final class CircuitBreaker: Sendable {
    public enum State: Sendable, Equatable { case closed, open(until: Double), halfOpen }

    public let threshold: Int
    public let cooldown: Double
    public let maxCooldown: Double
    private let clock: any EngineClock
    private let logger: Logger
    private let inner: Mutex<Inner>

    private struct Inner {
        var consecutiveFailures = 0
        var currentCooldown: Double
        var probing = false
        var state: State = .closed
        var openings = 0
    }

    public init(threshold: Int = 5, cooldown: Double = 5, maxCooldown: Double = 120, clock: any EngineClock,
                logger: Logger = Logger(label: "mdmbatch.breaker", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.threshold = threshold
        self.cooldown = cooldown
        self.maxCooldown = maxCooldown
        self.clock = clock
        self.logger = logger
        inner = Mutex(Inner(currentCooldown: cooldown))
    }

    public var state: State { inner.withLock { $0.state } }
    /// How many times the circuit opened.
    public var openings: Int { inner.withLock { $0.openings } }

    private enum Wait { case none, probe, until(Double), seconds(Double) }

    /// Waits until a send may go out; true when that send is the probe of a half-open
    /// circuit (its failure tests the service, and is not held against its element).
    /// Returns nil at once when `stopping` says the run is stopping.
    @discardableResult
    public func permit(unless stopping: () -> Bool = { false }) async throws -> Bool? {
        while true {
            if stopping() { return nil }
            let now = clock.now()
            let wait: Wait = inner.withLock { inner in
                switch inner.state {
                case .closed:
                    return .none
                case .open(let until):
                    if now < until { return .until(until) }
                    inner.state = .halfOpen
                    inner.probing = true
                    return .probe
                case .halfOpen:
                    if !inner.probing {
                        inner.probing = true
                        return .probe
                    }
                    // others wait for the probe's outcome
                    return .seconds(min(inner.currentCooldown, 1) / 4)
                }
            }
            // waits in short steps, so that a stop is seen at once
            switch wait {
            case .none: return false
            case .probe: return true
            case .until(let time): try await clock.sleep(seconds: min(max(0, time - now), 0.25))
            case .seconds(let seconds): try await clock.sleep(seconds: min(seconds, 0.25))
            }
        }
    }

    public func recordSuccess() {
        let closed = inner.withLock { inner in
            inner.consecutiveFailures = 0
            inner.probing = false
            guard inner.state != .closed else { return false }
            inner.state = .closed
            inner.currentCooldown = cooldown
            return true
        }
        if closed { logger.notice("circuit closed: the service answers again") }
    }

    /// A transient failure; `probe`: it was the probe of a half-open circuit (only the
    /// probe's outcome decides whether the circuit closes or opens again).
    public func recordTransientFailure(probe: Bool = false) {
        let now = clock.now()
        let opened: Double? = inner.withLock { inner in
            inner.consecutiveFailures += 1
            defer { if probe || inner.state != .halfOpen { inner.probing = false } }
            if inner.state == .halfOpen {
                guard probe else { return nil }
                inner.currentCooldown = min(maxCooldown, inner.currentCooldown * 2)
                return open(&inner, now: now)
            } else if inner.state == .closed && inner.consecutiveFailures >= threshold {
                return open(&inner, now: now)
            }
            return nil
        }
        if let opened {
            logger.warning("circuit open: the service fails; sending pauses",
                           metadata: ["failures_in_a_row": "\(threshold)", "pause_s": "\(opened)"])
        }
    }

    /// A permanent failure says nothing about the service's health.
    public func recordOtherOutcome() {
        let closed = inner.withLock { inner in
            inner.probing = false
            guard inner.state == .halfOpen else { return false }
            inner.state = .closed
            inner.currentCooldown = cooldown
            return true
        }
        if closed { logger.notice("circuit closed: the service answers again") }
    }

    /// Opens the circuit; returns the pause.
    private func open(_ inner: inout Inner, now: Double) -> Double {
        inner.state = .open(until: now + inner.currentCooldown)
        inner.openings += 1
        return inner.currentCooldown
    }
}
