import Foundation

/// What the service answered to an accepted send.
public struct TransportReceipt: Sendable, Equatable {
    /// How the service reaches the device (the mock names it; Graph does not say).
    public var channel: String?
    /// What the action did, as far as the answer tells (`locked`, `accepted`, …).
    public var effect: String
    /// A secret handed out with the answer (the mock does; Graph never does in a 204:
    /// its secrets come through `lookup`).
    public var secret: ServiceSecret?
    /// The key had been acted on before: nothing new happened (the mock only).
    public var replayed: Bool

    public init(channel: String?, effect: String, secret: ServiceSecret? = nil, replayed: Bool = false) {
        self.channel = channel
        self.effect = effect
        self.secret = secret
        self.replayed = replayed
    }
}
