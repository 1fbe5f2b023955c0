import Foundation

/// xoshiro256** seeded through SplitMix64: fast, statistically sound, and identical on every platform,
/// so a seed reproduces the same simulated market everywhere.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in (0, 1): never exactly 0, so logarithms are safe.
    public mutating func nextUnit() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// Standard normal by Box-Muller, keeping the second variate for the next call.
    public mutating func nextNormal() -> Double {
        if let spare = spareNormal {
            spareNormal = nil
            return spare
        }
        let u1 = nextUnit(), u2 = nextUnit()
        let radius = (-2 * log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareNormal = radius * sin(angle)
        return radius * cos(angle)
    }

    /// Student-t with `degreesOfFreedom` (> 2), rescaled to unit variance: fat tails, same volatility.
    public mutating func nextStudentT(degreesOfFreedom nu: Int) -> Double {
        precondition(nu > 2, "unit-variance Student-t needs more than 2 degrees of freedom")
        let z = nextNormal()
        var chiSquare = 0.0
        for _ in 0..<nu {
            let n = nextNormal()
            chiSquare += n * n
        }
        let t = z / (chiSquare / Double(nu)).squareRoot()
        return t * (Double(nu - 2) / Double(nu)).squareRoot()
    }
}

