import Foundation
import Synchronization

/// What a run takes from outside: time, new identifiers and the crash points of the
/// tests. Passed in, so that the kit keeps no globals and tests control all three.
public struct RunDependencies: Sendable {
    public var clock: any EngineClock
    public var ids: any IdentifierSource
    public var crashPoints: CrashPoints

    public init(clock: any EngineClock = SystemClock(), ids: any IdentifierSource = SystemIdentifiers(),
                crashPoints: CrashPoints = .none) {
        self.clock = clock
        self.ids = ids
        self.crashPoints = crashPoints
    }
}

/// New identifiers: the random part of a run id, and a UUID per request to the service.
public protocol IdentifierSource: Sendable {
    /// A few random hex digits that tell two runs of the same second apart.
    func runSuffix() -> String
    /// A new UUID (Graph's `client-request-id`).
    func uuid() -> String
}

/// The system's random identifiers.
public struct SystemIdentifiers: IdentifierSource {
    public init() {}

    public func runSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(format: "%04x", UInt16.random(in: 0...UInt16.max, using: &generator))
    }

    public func uuid() -> String { UUID().uuidString.lowercased() }
}

/// Identifiers from a seed: the same every time, for tests.
public final class SeededIdentifiers: IdentifierSource {
    private let generator: Mutex<SeededGenerator>

    public init(seed: UInt64) { generator = Mutex(SeededGenerator(seed: seed)) }

    public func runSuffix() -> String {
        String(format: "%04x", generator.withLock { UInt16(truncatingIfNeeded: $0.next()) })
    }

    public func uuid() -> String {
        let (a, b) = generator.withLock { ($0.next(), $0.next()) }
        let bytes = withUnsafeBytes(of: (a, b)) { Array($0) }
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                           bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])).uuidString.lowercased()
    }
}
