import Dispatch
import Foundation

/// Where the simulator reads the time: the system's in the binary, a clock the test moves
/// in the in-process tests (so that lags, windows and lifetimes are tested without sleeping).
public protocol SimClock: Sendable {
    /// Wall-clock time: `startDateTime`, `date` of an error, token lifetimes, the journal.
    func now() -> Date
    /// Seconds on a clock that never goes back: the throttle's sliding windows.
    func uptime() -> Double
}

/// The system's clocks.
public struct SystemClock: SimClock {
    public init() {}

    public func now() -> Date { Date() }

    public func uptime() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000_000 }
}
