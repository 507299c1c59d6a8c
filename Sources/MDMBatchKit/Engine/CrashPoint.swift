import Synchronization

/// Named places where tests make the engine die as if killed (`SIGKILL`: no cleanup, no
/// flush), to prove that a resume loses nothing and doubles nothing.
public enum CrashPoint: String, Sendable, CaseIterable {
    /// In the commit that makes a row `sending`, before its COMMIT: the call never happens.
    case beforeSendingCommit = "before-sending-commit"
    /// After the transport answered, before the result is committed.
    case afterCall = "after-call"
    /// Inside a group commit, half its entries applied, before COMMIT.
    case midCommit = "mid-commit"
    /// A secret claimed by its element (committed), its line not yet written.
    case afterSecretClaim = "after-secret-claim"
    /// A secret's line written and fsynced, its element not yet marked delivered.
    case afterSecretWrite = "after-secret-write"
}

/// The crash point armed in this process, if any: `NAME` dies the first time NAME is
/// reached, `NAME:K` the K-th time. The command line arms it (from
/// `MDMBATCH_CRASH_AT`, for tests only) and says how to die.
public final class CrashPoints: Sendable {
    private let armed: CrashPoint?
    private let remaining: Mutex<Int>
    private let die: @Sendable (CrashPoint) -> Void

    /// None armed.
    public static let none = CrashPoints(armed: nil, count: 1, die: { _ in })

    public init(armed: CrashPoint?, count: Int, die: @escaping @Sendable (CrashPoint) -> Void) {
        self.armed = armed
        remaining = Mutex(max(1, count))
        self.die = die
    }

    /// `NAME` or `NAME:K`; nil when the text names no crash point.
    public convenience init?(specification text: String, die: @escaping @Sendable (CrashPoint) -> Void) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard let first = parts.first, let point = CrashPoint(rawValue: String(first)) else { return nil }
        let count = parts.count > 1 ? Int(parts[1]) : 1
        guard let count, count >= 1 else { return nil }
        self.init(armed: point, count: count, die: die)
    }

    /// Dies here when `point` is armed and its count is reached.
    @inline(__always)
    func reached(_ point: CrashPoint) {
        guard armed == point else { return }
        if remaining.withLock({ count in count -= 1; return count == 0 }) { die(point) }
    }
}
