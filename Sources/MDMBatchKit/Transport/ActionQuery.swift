import Foundation

/// A question about an action sent earlier: did the service receive it, and what became of it?
public struct ActionQuery: Sendable, Equatable {
    public var idempotencyKey: String
    public var action: Action
    public var deviceID: String
    public var platform: PlatformID
    /// When the first attempt went out: an action the service reports as started before
    /// this (less a clock-skew allowance) is an older one, not ours.
    public var firstSentAt: Date?
    /// The secret the action makes, if any: the answer includes it while the service holds it.
    public var secret: SecretKind?
    /// A new id for this request (Graph's `client-request-id`).
    public var requestID: String

    public init(idempotencyKey: String, action: Action, deviceID: String, platform: PlatformID, firstSentAt: Date?,
                secret: SecretKind?, requestID: String) {
        self.idempotencyKey = idempotencyKey
        self.action = action
        self.deviceID = deviceID
        self.platform = platform
        self.firstSentAt = firstSentAt
        self.secret = secret
        self.requestID = requestID
    }
}
