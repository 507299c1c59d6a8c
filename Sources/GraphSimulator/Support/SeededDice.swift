import NIOConcurrencyHelpers

/// SplitMix64: a small, fast generator whose whole sequence follows from its seed.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The simulator's seeded choices (latency, faults, delays, Retry-After forms), shared by
/// every request. Never used for secrets: those come from the system's generator.
/// With requests arriving concurrently the order of draws follows the order of arrival,
/// so a run is reproducible when its requests are sent one at a time.
final class SeededDice: Sendable {
    private let generator: NIOLockedValueBox<SplitMix64>

    init(seed: UInt64) {
        generator = NIOLockedValueBox(SplitMix64(seed: seed))
    }

    /// Uniform in [0, 1).
    func unit() -> Double {
        generator.withLockedValue { Double($0.next() >> 11) * 0x1.0p-53 }
    }

    /// True with probability `p`.
    func chance(_ p: Double) -> Bool {
        p > 0 && unit() < p
    }

    /// A value between half and one and a half of `base`.
    func around(_ base: Double) -> Double {
        base * (0.5 + unit())
    }

    func pick<T>(_ choices: [T]) -> T {
        choices[min(Int(unit() * Double(choices.count)), choices.count - 1)]
    }
}
