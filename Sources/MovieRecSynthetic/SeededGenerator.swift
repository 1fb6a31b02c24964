// TEMPORARY — replace with MovieRecNumerics.SeededGenerator at merge and delete this file.
// It exists only because MovieRecNumerics' generator was being written in parallel; it keeps the
// same interface (`init(seed:)`, `next()`, `nextUniform()`, `nextGaussian()`). If the shared
// generator produces a different stream, regenerate data/demo with the command in data/demo/README.md.

import Foundation

/// A small, fast, deterministic pseudo-random generator: xoshiro256** seeded through splitmix64.
///
/// State update (xoshiro256**): `result = rotl(s1 · 5, 7) · 9`, then `t = s1 << 17`,
/// `s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 45)`.
struct SeededGenerator: RandomNumberGenerator {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Seeds the four state words from `seed` with splitmix64, so nearby seeds give unrelated streams.
    init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix()
        s1 = splitmix()
        s2 = splitmix()
        s3 = splitmix()
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// A uniform double in [0, 1): the top 53 bits of `next()` times 2⁻⁵³.
    mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal deviate (Box–Muller): `√(−2 ln u₁) · cos(2π u₂)` with u₁ in (0, 1].
    mutating func nextGaussian() -> Double {
        let u1 = 1.0 - nextUniform()
        let u2 = nextUniform()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }
}
