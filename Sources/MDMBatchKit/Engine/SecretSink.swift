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

/// A run that makes no secret, or a test that only counts them.
public final class DiscardingSecretSink: SecretSink {
    public init() {}
    public var canDeliver: Bool { true }
    public func deliver(_ notice: SecretNotice) throws {}
    public func makeDurable() throws {}
}
