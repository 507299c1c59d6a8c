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
    private struct State {
        var requested = false
        var nextWaiter = 0
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public func request() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.requested = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    public var isRequested: Bool { state.withLock { $0.requested } }

    /// Returns once a stop is requested, or when the calling task is cancelled.
    public func waitUntilRequested() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.requested || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}

/// A temporary passcode, to be shown once and never stored.
public struct TemporaryPasscode: Sendable {
    public var deviceID: String
    public var requestID: String?
    public var line: Int
    public var passcode: String
}

/// Counts of a run in progress, for a progress line: read any time from any thread.
public final class RunProgress: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var total = 0
        public var done = 0
        public var failed = 0
    }
    private let counts = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { counts.withLock { $0 } }

    func start(total: Int) { counts.withLock { $0.total = total } }

    func finished(_ state: DispatchState) {
        counts.withLock { counts in
            counts.done += 1
            if state != .succeeded { counts.failed += 1 }
        }
    }
}
