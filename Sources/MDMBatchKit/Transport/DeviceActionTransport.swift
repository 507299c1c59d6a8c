import Foundation

/// The device-management service, as the engine sees it: the mock, or Microsoft Graph.
public protocol DeviceActionTransport: Sendable {
    /// Sends one command; throws `TransportError`.
    func send(_ command: DeviceCommand) async throws -> TransportReceipt
    /// Asks what became of an action sent earlier (after a crash or a timeout, and to confirm).
    /// A `signInRefused` or `permissionDenied` is thrown; a read that failed otherwise is `.unanswered`.
    func lookup(_ query: ActionQuery) async throws -> ActionLookup
    /// Releases what the transport holds (an HTTP client's connections). Called once, at the end.
    func shutdown() async
    /// The service shows an action to `lookup` as soon as it answers the send (the mock): not
    /// finding it then proves at once that it never arrived. Graph's results lag behind its
    /// answers, so absence is proof only after `--settle`.
    var showsActionsAtOnce: Bool { get }
}

extension DeviceActionTransport {
    public func shutdown() async {}
    public var showsActionsAtOnce: Bool { false }
}
