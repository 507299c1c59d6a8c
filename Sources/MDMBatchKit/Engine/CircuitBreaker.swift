import Synchronization

/// Stops dispatch during an outage: after `threshold` transient failures in a row the
/// circuit opens and senders wait (instead of burning attempts) for `cooldown` seconds;
/// then one probe goes out (half-open): a success closes the circuit, a failure opens it
/// again with the cooldown doubled (up to `maxCooldown`).
///
/// A lock, not an actor: every send passes through it twice, and a closed circuit must
/// cost no hop between threads.
public final class CircuitBreaker: Sendable {
    public enum State: Sendable, Equatable { case closed, open(until: Double), halfOpen }

    public let threshold: Int
    public let cooldown: Double
    public let maxCooldown: Double
    private let clock: any EngineClock
    private let inner: Mutex<Inner>

    private struct Inner {
        var consecutiveFailures = 0
        var currentCooldown: Double
        var probing = false
        var state: State = .closed
        var openings = 0
    }

    public init(threshold: Int = 5, cooldown: Double = 5, maxCooldown: Double = 120, clock: any EngineClock) {
        self.threshold = threshold
        self.cooldown = cooldown
        self.maxCooldown = maxCooldown
        self.clock = clock
        inner = Mutex(Inner(currentCooldown: cooldown))
    }

    public var state: State { inner.withLock { $0.state } }
    /// How many times the circuit opened.
    public var openings: Int { inner.withLock { $0.openings } }

    private enum Wait { case none, until(Double), seconds(Double) }

    /// Waits until a send may go out.
    public func permit() async throws {
        while true {
            let now = clock.now()
            let wait: Wait = inner.withLock { inner in
                switch inner.state {
                case .closed:
                    return .none
                case .open(let until):
                    if now < until { return .until(until) }
                    inner.state = .halfOpen
                    inner.probing = true
                    return .none
                case .halfOpen:
                    if !inner.probing {
                        inner.probing = true
                        return .none
                    }
                    // others wait for the probe's outcome
                    return .seconds(min(inner.currentCooldown, 1) / 4)
                }
            }
            switch wait {
            case .none: return
            case .until(let time): try await clock.sleep(until: time)
            case .seconds(let seconds): try await clock.sleep(seconds: seconds)
            }
        }
    }

    public func recordSuccess() {
        inner.withLock { inner in
            inner.consecutiveFailures = 0
            if inner.state != .closed {
                inner.state = .closed
                inner.currentCooldown = cooldown
            }
            inner.probing = false
        }
    }

    public func recordTransientFailure() {
        let now = clock.now()
        inner.withLock { inner in
            inner.consecutiveFailures += 1
            if inner.state == .halfOpen {
                inner.currentCooldown = min(maxCooldown, inner.currentCooldown * 2)
                open(&inner, now: now)
            } else if inner.state == .closed && inner.consecutiveFailures >= threshold {
                open(&inner, now: now)
            }
            inner.probing = false
        }
    }

    /// A permanent failure says nothing about the service's health.
    public func recordOtherOutcome() {
        inner.withLock { inner in
            if inner.state == .halfOpen {
                inner.state = .closed
                inner.currentCooldown = cooldown
            }
            inner.probing = false
        }
    }

    private func open(_ inner: inout Inner, now: Double) {
        inner.state = .open(until: now + inner.currentCooldown)
        inner.openings += 1
    }
}
