/// Stops dispatch during an outage: after `threshold` transient failures in a row the
/// circuit opens and senders wait (instead of burning attempts) for `cooldown` seconds;
/// then one probe goes out (half-open): a success closes the circuit, a failure opens it
/// again with the cooldown doubled (up to `maxCooldown`).
public actor CircuitBreaker {
    public enum State: Sendable, Equatable { case closed, open(until: Double), halfOpen }

    public let threshold: Int
    public let cooldown: Double
    public let maxCooldown: Double
    private let clock: any EngineClock
    private var consecutiveFailures = 0
    private var currentCooldown: Double
    private var probing = false
    public private(set) var state: State = .closed
    /// How many times the circuit opened.
    public private(set) var openings = 0

    public init(threshold: Int = 5, cooldown: Double = 5, maxCooldown: Double = 120, clock: any EngineClock) {
        self.threshold = threshold
        self.cooldown = cooldown
        self.maxCooldown = maxCooldown
        self.clock = clock
        currentCooldown = cooldown
    }

    /// Waits until a send may go out.
    public func permit() async throws {
        while true {
            switch state {
            case .closed:
                return
            case .open(let until):
                let now = clock.now()
                if now >= until {
                    state = .halfOpen
                    continue
                }
                try await clock.sleep(until: until)
            case .halfOpen:
                if !probing {
                    probing = true
                    return
                }
                // others wait for the probe's outcome
                try await clock.sleep(seconds: min(currentCooldown, 1) / 4)
            }
        }
    }

    public func recordSuccess() {
        consecutiveFailures = 0
        if state != .closed {
            state = .closed
            currentCooldown = cooldown
        }
        probing = false
    }

    public func recordTransientFailure() {
        consecutiveFailures += 1
        if state == .halfOpen {
            currentCooldown = min(maxCooldown, currentCooldown * 2)
            open()
        } else if state == .closed && consecutiveFailures >= threshold {
            open()
        }
        probing = false
    }

    /// A permanent failure says nothing about the service's health.
    public func recordOtherOutcome() {
        if state == .halfOpen {
            state = .closed
            currentCooldown = cooldown
        }
        probing = false
    }

    private func open() {
        state = .open(until: clock.now() + currentCooldown)
        openings += 1
    }
}
