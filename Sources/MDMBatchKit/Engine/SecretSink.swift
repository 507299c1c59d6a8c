/// A secret for the person who will hand it out: which element it belongs to, and the secret.
public struct SecretNotice: Sendable, Equatable {
    public var deviceID: String
    public var requestID: String?
    public var line: Int
    public var action: Action
    public var secret: ServiceSecret

    public init(deviceID: String, requestID: String?, line: Int, action: Action, secret: ServiceSecret) {
        self.deviceID = deviceID
        self.requestID = requestID
        self.line = line
        self.action = action
        self.secret = secret
    }
}

/// The file an element's secret is about to be written to (DESIGN.md, "Secrets exactly
/// once"): recorded with the element before the line is written, so that a process killed
/// in between leaves a claim the next one can check against the file.
public struct SecretClaim: Sendable, Hashable {
    /// Absolute, so that a run or confirm started elsewhere finds it.
    public var path: String
    public var inode: UInt64

    public init(path: String, inode: UInt64) {
        self.path = path
        self.inode = inode
    }
}

/// Where secrets go: a secrets file (0600), or the terminal. Never the database, the logs,
/// the audit rows or the reports.
public protocol SecretSink: Sendable {
    /// False when there is nowhere safe to deliver a secret: a batch that would make one
    /// is then refused before anything is sent.
    var canDeliver: Bool { get }
    /// The file the next secrets go to, made now if it does not exist yet: what their
    /// elements claim before the lines are written. nil for a sink that cannot be read
    /// back (the terminal): its secrets are written first, then recorded as delivered.
    func claimTarget() throws -> SecretClaim?
    /// Writes the secrets, durably (a file is fsynced before this returns).
    func write(_ notices: [SecretNotice]) throws
}

extension SecretSink {
    /// The secret the service gave for `job`, if it is to be delivered: only a secret of the
    /// kind the element makes, not when it was delivered already, and not when there is
    /// nowhere safe for it (it then stays with the service, for `confirm --passcodes-out`).
    /// The one rule for the run, its settling and `confirm`.
    func notice(for secret: ServiceSecret?, of job: DispatchJob) -> SecretNotice? {
        guard let secret, job.secret == secret.kind, !job.secretDelivered, canDeliver else { return nil }
        return SecretNotice(deviceID: job.deviceID, requestID: job.requestID, line: job.line, action: job.action, secret: secret)
    }
}

/// A run that makes no secret, or a test that only counts them.
public final class DiscardingSecretSink: SecretSink {
    public init() {}
    public var canDeliver: Bool { true }
    public func claimTarget() throws -> SecretClaim? { nil }
    public func write(_ notices: [SecretNotice]) throws {}
}

/// How the secrets of one commit are handed over, exactly once (DESIGN.md, "Secrets exactly
/// once"): with a file, the commit claims them, the lines are written and fsynced, then a
/// second commit marks them delivered; with the terminal, they are shown, then recorded.
struct SecretHandOver: Sendable {
    let secrets: any SecretSink
    let crashPoints: CrashPoints

    /// What the commit records of the secrets it carries.
    enum Recording: Sendable, Equatable {
        /// No secret in this commit.
        case none
        /// Written already (the terminal): recorded as delivered.
        case delivered
        /// About to be written to this file: recorded as claimed, marked delivered after.
        case claimed(SecretClaim)
    }

    /// Commits through `record`, handing over `notices` (keyed by the element's seq) around it;
    /// `mark` records the claimed ones delivered once their lines are durable.
    func commit(_ notices: [(seq: Int64, notice: SecretNotice)], record: (Recording) async throws -> Void,
                mark: ([Int64]) async throws -> Void) async throws {
        guard !notices.isEmpty else { return try await record(.none) }
        guard let claim = try secrets.claimTarget() else {
            try secrets.write(notices.map(\.notice))
            return try await record(.delivered)
        }
        try await record(.claimed(claim))
        crashPoints.reached(.afterSecretClaim)
        try secrets.write(notices.map(\.notice))
        crashPoints.reached(.afterSecretWrite)
        try await mark(notices.map(\.seq))
    }
}
