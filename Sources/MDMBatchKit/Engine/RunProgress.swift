import Synchronization

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
