import Foundation

/// A provider that hands out one transport, whatever the settings (tests).
public struct FixedTransport: TransportProvider {
    public let transport: any DeviceActionTransport
    public init(_ transport: any DeviceActionTransport) { self.transport = transport }
    public func check(_ settings: TransportSettings) throws {}
    public func make(_ settings: TransportSettings) async throws -> any DeviceActionTransport { transport }
}
