import Foundation

/// What the service says of an action it received.
public struct ActionReport: Sendable, Equatable {
    public var state: DeviceActionState
    public var startedAt: Date?
    public var updatedAt: Date?
    /// The secret, while the service still holds it.
    public var secret: ServiceSecret?
    /// The action makes a secret but the service no longer holds it (Graph keeps a reset's
    /// passcode for 7 days).
    public var secretGone: Bool

    public init(state: DeviceActionState, startedAt: Date? = nil, updatedAt: Date? = nil, secret: ServiceSecret? = nil,
                secretGone: Bool = false) {
        self.state = state
        self.startedAt = startedAt
        self.updatedAt = updatedAt
        self.secret = secret
        self.secretGone = secretGone
    }
}
