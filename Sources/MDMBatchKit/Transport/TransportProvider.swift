import Foundation

/// Where a run's transport comes from: checked before anything is written, made (and,
/// for Graph, signed in) before anything is sent.
public protocol TransportProvider: Sendable {
    /// Checks the settings without any network: URLs, credentials (78 when wrong or missing).
    func check(_ settings: TransportSettings) throws
    func make(_ settings: TransportSettings) async throws -> any DeviceActionTransport
}
