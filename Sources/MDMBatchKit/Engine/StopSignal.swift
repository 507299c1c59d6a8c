import Synchronization

/// Why a run stops taking new work.
public enum StopReason: Sendable, Equatable {
    /// SIGINT or SIGTERM.
    case signal
    /// `--max-run-time` passed.
    case maxRunTime
    /// The service refused the sign-in or a permission: nothing more can be sent.
    case serviceRefused(TransportError)
}

/// Asks a run to stop taking new work; in-flight calls finish within the grace period.
/// A second signal (a second SIGINT) asks to stop at once, without waiting for them. Only
/// signals count toward that: the engine's own requests (`--max-run-time`, a refusal met by
/// many calls at once) ask for a graceful stop however often they are made.
public final class StopSignal: Sendable {
    private struct State {
        var reason: StopReason?
        var requests = 0
        var nextWaiter = 0
        var waiters: [Int: (count: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    public func request(_ reason: StopReason = .signal) {
        let ready = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            if state.reason == nil { state.reason = reason }
            state.requests = reason == .signal ? state.requests + 1 : max(state.requests, 1)
            let due = state.waiters.filter { $0.value.count <= state.requests }
            for key in due.keys { state.waiters.removeValue(forKey: key) }
            return due.values.map(\.continuation)
        }
        for waiter in ready { waiter.resume() }
    }

    public var isRequested: Bool { state.withLock { $0.requests > 0 } }

    /// Why the first stop was requested.
    public var reason: StopReason? { state.withLock { $0.reason } }

    /// Returns once a stop is requested, or when the calling task is cancelled.
    public func waitUntilRequested() async { await wait(forRequests: 1) }

    /// Returns once a second stop is requested (stop now), or when the task is cancelled.
    public func waitUntilUrgent() async { await wait(forRequests: 2) }

    private func wait(forRequests count: Int) async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.requests >= count || Task.isCancelled { return true }
                    state.waiters[id] = (count, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }
}
