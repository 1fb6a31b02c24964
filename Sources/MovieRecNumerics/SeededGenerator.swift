#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A deterministic pseudo-random generator: xoshiro256** seeded through splitmix64.
///
/// The same seed yields the same ``next()`` and ``nextUniform()`` stream on every platform, which makes every randomized
/// computation in movierec (random projections, synthetic data, splits) reproducible.
/// Reference: Blackman & Vigna, "Scrambled linear pseudorandom number generators" (2018).
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator whose 256-bit state is four successive splitmix64 outputs of `seed`.
    public init(seed: UInt64) {
        var x = seed
        func splitmix64() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix64()
        s1 = splitmix64()
        s2 = splitmix64()
        s3 = splitmix64()
    }

    /// The next 64 random bits: `rotl(s1 · 5, 7) · 9`, then the xoshiro256 state transition.
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    /// A uniform double in [0, 1): the top 53 bits of ``next()`` times 2⁻⁵³.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal sample by Marsaglia's polar method: u, v uniform in (−1, 1) with
    /// 0 < s = u² + v² < 1, then u·√(−2 ln s / s). Built on `PortableMath.log` (IEEE +, −, ×, ÷, √ only), so the
    /// stream is bit-identical on Linux and macOS.
    public mutating func nextGaussian() -> Double {
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 { return u * (-2 * PortableMath.log(s) / s).squareRoot() }
        }
    }

    /// Fills `output` with `Float(nextGaussian())`, `output.count` times in order — the same values — drawing
    /// the uniform pairs on this thread (the accept/reject test is cheap and sequential) and computing the
    /// logarithms and square roots in blocks on `options.threadCount` workers.
    public mutating func fillGaussian(_ output: UnsafeMutableBufferPointer<Float>, options: ParallelOptions = .default) {
        let block = 1 << 16
        var us = [Double](repeating: 0, count: min(block, output.count))
        var ss = us
        var start = 0
        while start < output.count {
            let count = min(block, output.count - start)
            for i in 0..<count {
                while true {
                    let u = 2 * nextUniform() - 1
                    let v = 2 * nextUniform() - 1
                    let s = u * u + v * v
                    if s > 0 && s < 1 {
                        us[i] = u
                        ss[i] = s
                        break
                    }
                }
            }
            let out = SharedMutablePointer(base: output.baseAddress! + start)
            us.withUnsafeBufferPointer { u in
                ss.withUnsafeBufferPointer { s in
                    options.forEachRange(count) { range in
                        for i in range { out.base[i] = Float(u[i] * (-2 * PortableMath.log(s[i]) / s[i]).squareRoot()) }
                    }
                }
            }
            start += count
        }
    }

    /// An exponential sample with the given mean: −mean · ln(1 − u), portable like `nextGaussian()`.
    public mutating func nextExponential(mean: Double) -> Double {
        -mean * PortableMath.log(1 - nextUniform())
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 &- k))
    }
}
