import Foundation
import Synchronization

/// A small, fast, seedable generator (SplitMix64): the same seed gives the same jitter
/// and the same injected faults.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform number in [0, 1) derived from a seed and a text, without shared state.
    public static func unit(seed: UInt64, _ text: String) -> Double {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        var generator = SeededGenerator(seed: hash)
        return Double(generator.next() >> 11) / Double(1 << 53)
    }
}

/// A generator shared by concurrent tasks.
public final class SharedRandom: Sendable {
    private let generator: Mutex<SeededGenerator>

    public init(seed: UInt64) { generator = Mutex(SeededGenerator(seed: seed)) }

    /// Uniform in [0, upper).
    public func uniform(_ upper: Double) -> Double {
        guard upper > 0 else { return 0 }
        return generator.withLock { Double.random(in: 0..<upper, using: &$0) }
    }
}
