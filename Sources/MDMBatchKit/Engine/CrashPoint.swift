import Foundation
import Synchronization

/// Named places where tests make the engine die as if killed (`SIGKILL`: no cleanup, no
/// flush), to prove that a resume loses nothing and doubles nothing. Set only by tests:
/// `MDMBATCH_CRASH_AT=NAME` dies the first time NAME is reached, `NAME:K` the K-th time.
public enum CrashPoint: String, Sendable, CaseIterable {
    /// In the commit that makes a row `sending`, before its COMMIT: the call never happens.
    case beforeSendingCommit = "before-sending-commit"
    /// After the transport answered, before the result is committed.
    case afterCall = "after-call"
    /// Inside a group commit, half its entries applied, before COMMIT.
    case midCommit = "mid-commit"

    public static let environmentVariable = "MDMBATCH_CRASH_AT"

    private static let armed: CrashPoint? = {
        guard let value = ProcessInfo.processInfo.environment[environmentVariable], !value.isEmpty else { return nil }
        return CrashPoint(rawValue: String(value.split(separator: ":", maxSplits: 1)[0]))
    }()

    private static let remaining: Mutex<Int> = {
        let value = ProcessInfo.processInfo.environment[environmentVariable] ?? ""
        let parts = value.split(separator: ":", maxSplits: 1)
        return Mutex(max(1, parts.count > 1 ? Int(parts[1]) ?? 1 : 1))
    }()

    /// Dies here when this point is armed and its count is reached.
    @inline(__always)
    public func reached() {
        guard Self.armed == self else { return }
        if Self.remaining.withLock({ count in count -= 1; return count == 0 }) {
            FileHandle.standardError.write(Data("mdmbatch: crash point \(rawValue) reached: killing myself\n".utf8))
            kill(getpid(), SIGKILL)
        }
    }
}
