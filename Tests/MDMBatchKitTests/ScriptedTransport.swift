import Foundation
@testable import MDMBatchKit

/// A transport whose answers a test writes.
actor ScriptedTransport: DeviceActionTransport {
    typealias Script = @Sendable (DeviceCommand) -> Result<TransportReceipt, TransportError>
    private let script: Script
    private let statusAnswer: ActionLookup
    private let clock: any EngineClock
    private(set) var sent: [(command: DeviceCommand, at: Double)] = []
    private(set) var statusQueries: [String] = []

    init(clock: any EngineClock, status: ActionLookup = .unknown("scripted"), script: @escaping Script) {
        self.clock = clock
        self.script = script
        statusAnswer = status
    }

    func send(_ command: DeviceCommand) async throws -> TransportReceipt {
        sent.append((command, clock.now()))
        return try script(command).get()
    }

    func lookup(_ query: ActionQuery) async -> ActionLookup {
        statusQueries.append(query.idempotencyKey)
        return statusAnswer
    }

    func attempts(for deviceID: String) -> [Int] { sent.filter { $0.command.deviceID == deviceID }.map(\.command.attempt) }
}
