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

/// Where secrets go: a secrets file (0600), or the terminal. Never the database, the logs,
/// the audit rows or the reports.
public protocol SecretSink: Sendable {
    /// False when there is nowhere safe to deliver a secret: a batch that would make one
    /// is then refused before anything is sent.
    var canDeliver: Bool { get }
    /// Delivers one secret (durable only after `makeDurable`).
    func deliver(_ notice: SecretNotice) throws
    /// Makes the secrets delivered so far durable; called before the commit that records
    /// their delivery.
    func makeDurable() throws
}

extension SecretSink {
    /// Hands the secret the service gave for `job` to the sink, once: only a secret of the
    /// kind the element makes, not when it was delivered already, and not when there is
    /// nowhere safe for it (it then stays with the service, for `confirm --passcodes-out`).
    /// True when it was delivered. The one rule for the run, its settling and `confirm`.
    func deliver(_ secret: ServiceSecret?, of job: DispatchJob) throws -> Bool {
        guard let secret, job.secret == secret.kind, !job.secretDelivered, canDeliver else { return false }
        try deliver(SecretNotice(deviceID: job.deviceID, requestID: job.requestID, line: job.line, action: job.action, secret: secret))
        return true
    }
}

/// A run that makes no secret, or a test that only counts them.
public final class DiscardingSecretSink: SecretSink {
    public init() {}
    public var canDeliver: Bool { true }
    public func deliver(_ notice: SecretNotice) throws {}
    public func makeDurable() throws {}
}
