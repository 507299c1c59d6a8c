import Synchronization

/// The persisted state of a (request, device) (DESIGN.md, "Engine semantics").
public enum DispatchState: String, Sendable, Codable, CaseIterable {
    case planned, rejected, skipped, queued, sending
    case retryWait = "retry_wait"
    case succeeded, failed
    case unknownOutcome = "unknown_outcome"

    /// No further transition.
    public var isTerminal: Bool {
        switch self {
        case .rejected, .skipped, .succeeded, .failed, .unknownOutcome: true
        case .planned, .queued, .sending, .retryWait: false
        }
    }

    /// The transitions the engine makes.
    public static let transitions: [DispatchState: Set<DispatchState>] = [
        .planned: [.rejected, .skipped, .queued],
        .queued: [.sending],
        .sending: [.succeeded, .retryWait, .failed, .unknownOutcome, .queued],  // queued: a lock re-sent after a crash
        .retryWait: [.sending, .failed],
    ]

    public func canMove(to next: DispatchState) -> Bool {
        Self.transitions[self]?.contains(next) ?? false
    }
}

/// Asks a run to stop taking new work (SIGINT, SIGTERM); in-flight calls finish.
public final class StopSignal: Sendable {
    private let requested = Mutex(false)

    public init() {}

    public func request() { requested.withLock { $0 = true } }

    public var isRequested: Bool { requested.withLock { $0 } }
}

/// A temporary passcode, to be shown once and never stored.
public struct TemporaryPasscode: Sendable {
    public var deviceID: String
    public var requestID: String?
    public var line: Int
    public var passcode: String
}
