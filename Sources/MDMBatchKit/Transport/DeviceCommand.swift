import Foundation

/// One action for one device: one attempt of it.
public struct DeviceCommand: Sendable, Equatable {
    /// The same key for every attempt. The mock honours it (a repeat acts once); Graph
    /// has no such key, so the engine never re-sends what must not happen twice.
    public var idempotencyKey: String
    public var action: Action
    public var deviceID: String
    /// The platform id under the rule set in force.
    public var platform: PlatformID
    public var management: Management?
    /// 1 for the first attempt.
    public var attempt: Int
    /// A new id for every attempt (Graph's `client-request-id`), recorded in the attempt's
    /// audit row so that a support case can be traced at the service.
    public var attemptID: String
    /// The secret the action makes under the rule set in force, if any.
    public var secret: SecretKind?

    public init(idempotencyKey: String, action: Action, deviceID: String, platform: PlatformID,
                management: Management?, attempt: Int, attemptID: String, secret: SecretKind? = nil) {
        self.idempotencyKey = idempotencyKey
        self.action = action
        self.deviceID = deviceID
        self.platform = platform
        self.management = management
        self.attempt = attempt
        self.attemptID = attemptID
        self.secret = secret
    }
}
