/// `log` and `exp` built only from IEEE-754 +, −, ×, ÷ and √, which every platform rounds
/// identically. The C library's `log`/`exp`/`cos` may differ in the last bit between Linux and macOS, and one bit
/// is enough to move a timestamp or a rating across a rounding boundary; these keep generated files and
/// random projections byte-identical everywhere.
public enum PortableMath {
    private static let ln2High = 0.693_147_180_369_123_816_49
    private static let ln2Low = 1.908_214_929_270_587_7e-10

    /// Natural logarithm of a positive finite `x`:
    /// x = m·2ᵉ with m in [√½, √2), ln x = e·ln 2 + 2·atanh(s), s = (m − 1)/(m + 1), atanh(s) = Σ s²ᵏ⁺¹/(2k + 1).
    public static func log(_ x: Double) -> Double {
        var exponent = Double(x.exponent)
        var m = x.significand
        if m > 1.414_213_562_373_095_1 {
            m /= 2
            exponent += 1
        }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        // Horner form of 1 + s²/3 + s⁴/5 + … + s²²/23 (|s| ≤ 0.172, so the next term is below 10⁻¹⁸).
        var series = 1.0 / 23
        series = series * s2 + 1.0 / 21
        series = series * s2 + 1.0 / 19
        series = series * s2 + 1.0 / 17
        series = series * s2 + 1.0 / 15
        series = series * s2 + 1.0 / 13
        series = series * s2 + 1.0 / 11
        series = series * s2 + 1.0 / 9
        series = series * s2 + 1.0 / 7
        series = series * s2 + 1.0 / 5
        series = series * s2 + 1.0 / 3
        series = series * s2 + 1
        return exponent * ln2High + (exponent * ln2Low + 2 * s * series)
    }

    /// e^x for |x| < 700: x = k·ln 2 + r with |r| ≤ ln 2 / 2, e^x = 2ᵏ · Σ_{n ≤ 18} rⁿ/n!.
    public static func exp(_ x: Double) -> Double {
        let k = (x / (ln2High + ln2Low)).rounded()
        let r = (x - k * ln2High) - k * ln2Low
        var sum = 1.0
        for n in stride(from: 18, through: 1, by: -1) { sum = 1 + sum * r / Double(n) }
        return Double(sign: .plus, exponent: Int(k), significand: sum)
    }
}
