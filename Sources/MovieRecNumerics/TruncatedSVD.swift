/// The rank-k factors of `A ≈ U·diag(σ)·Vᵀ`.
public struct TruncatedSVDResult: Sendable {
    /// Left singular vectors, `rows × k`, orthonormal columns.
    public let u: DenseMatrix
    /// Singular values σ₁ ≥ σ₂ ≥ … ≥ σ_k ≥ 0.
    public let singularValues: [Float]
    /// Right singular vectors, `columns × k`, orthonormal columns; the largest-|·| entry of each column is positive.
    public let v: DenseMatrix

    /// Creates a result from its three factors.
    public init(u: DenseMatrix, singularValues: [Float], v: DenseMatrix) {
        self.u = u
        self.singularValues = singularValues
        self.v = v
    }
}

/// Randomized truncated SVD of a sparse matrix (Halko, Martinsson & Tropp, 2011, algorithms 4.4 and 5.1).
///
/// With `l = rank + oversampling` rounded up to a multiple of 16 (the SIMD width of the sparse kernels,
/// whose padding columns would otherwise be computed and thrown away; not rounded when that would reach
/// `min(rows, columns)`):
/// 1. draw a Gaussian test matrix `Ω` (`columns × l`) from ``SeededGenerator``;
/// 2. `Q = A·Ω`, then `powerIterations` times `Q = A·orth(Aᵀ·Q)` — while the spectrum is moderate the `A·`
///    products take their operand rounded to half precision (it only steers the subspace; half the bytes
///    gathered) — where `orth` is a shifted Cholesky QR (see `choleskyOrthonormalize`; one pass), then the
///    final `Q = orth(Q)` (up to three passes). Once `orth`
///    reports a condition number of `Aᵀ·Q` above 10³, `Q` is orthonormalised between the steps too and the
///    products stay in full precision;
/// 3. `Bᵀ = Aᵀ·Q` (so `B = QᵀA`, `l × columns`), by scattering rows of `Q` (no transposed copy of `A`);
///    eigen-decompose `B·Bᵀ = U_B·Λ·U_Bᵀ` in `Double`;
/// 4. `σᵢ = √λᵢ`, `U = Q·U_B`, `V = Bᵀ·U_B·Σ⁻¹`, keeping the first `rank` pairs.
///
/// When `min(rows, columns) ≤ rank + oversampling` the exact ``denseSVD(_:)`` path is used instead. Each singular pair's
/// sign is fixed so the largest-|·| entry of the `V` column is positive; with a fixed seed the result is
/// reproducible and does not depend on the thread count.
///
/// Accuracy: the leading values converge fastest. When the spectrum decays slowly (rating matrices) the
/// last of the `rank` values come out somewhat low with the defaults; raise `oversampling` and
/// `powerIterations` if they matter (on MovieLens-small at rank 64, l = 74 unrounded, q = 4 matched σ₁…σ₂₆ to 10⁻³
/// and σ₆₄ to 4 %; p = 30, q = 8 matches all 64 to 10⁻³).
public struct TruncatedSVD: Sendable {
    /// Number of singular triplets to return (k).
    public let rank: Int
    /// Extra random directions p beyond the rank (accuracy of the captured subspace).
    public let oversampling: Int
    /// Number of power iterations q (sharpens the spectrum for slowly decaying singular values).
    public let powerIterations: Int
    /// Seed of the Gaussian test matrix.
    public let seed: UInt64
    /// Threads used by the sparse and dense kernels.
    public let options: ParallelOptions

    /// Configures a rank-`rank` decomposition with `oversampling` extra directions and `powerIterations` power steps.
    public init(rank: Int, oversampling: Int = 10, powerIterations: Int = 4, seed: UInt64 = 42,
                options: ParallelOptions = .default) {
        self.rank = rank
        self.oversampling = oversampling
        self.powerIterations = powerIterations
        self.seed = seed
        self.options = options
    }

    /// Computes the rank-``rank`` truncated SVD of `a`.
    ///
    /// Products with `Aᵀ` use ``CSRMatrix/transposeMultiplied(by:options:plan:)`` (no transposed copy).
    /// - Throws: ``NumericsError`` when `rank < 1`, `rank > min(rows, columns)`, `oversampling`/`powerIterations`
    ///   are negative, or an entry of `a` is not finite.
    /// - Parameter leftVectors: compute `U`; with `false` the result's `u` is an empty `0 × rank` matrix
    ///   (for callers that only need `σ` and `V`: saves a `rows × l × rank` product and its memory).
    public func decompose(_ a: CSRMatrix, leftVectors: Bool = true) throws -> TruncatedSVDResult {
        let smaller = min(a.rows, a.columns)
        guard rank >= 1 && rank <= smaller else {
            throw NumericsError(.invalidParameter, field: "rank", value: "\(rank)",
                                expected: "a rank in 1...\(smaller) = min(rows \(a.rows), columns \(a.columns))")
        }
        guard oversampling >= 0 else {
            throw NumericsError(.invalidParameter, field: "oversampling", value: "\(oversampling)", expected: "a count ≥ 0")
        }
        guard powerIterations >= 0 else {
            throw NumericsError(.invalidParameter, field: "powerIterations", value: "\(powerIterations)",
                                expected: "a count ≥ 0")
        }
        if let bad = a.values.firstIndex(where: { !$0.isFinite }) {
            throw NumericsError(.invalidParameter, field: "values", position: bad, value: "\(a.values[bad])",
                                expected: "finite matrix entries")
        }
        // The sparse kernels work on 16 columns at a time, so directions up to the next multiple of 16
        // cost nothing there: use them as extra oversampling (a better subspace for free).
        let requested = rank + oversampling
        let width = paddedWidth(requested) < smaller ? paddedWidth(requested) : requested
        if smaller <= requested {
            let exact = truncate(denseSVD(a.toDense()), to: rank)
            return leftVectors ? exact : TruncatedSVDResult(u: DenseMatrix(rows: 0, columns: rank),
                                                            singularValues: exact.singularValues, v: exact.v)
        }
        let plan = TransposeProductPlan(a, options: options)
        let omega = Self.testMatrix(rows: a.columns, columns: width, seed: seed, options: options)

        // Two work matrices, reused by every product and orthonormalised in place. Intermediate bases only need
        // to be well conditioned (one shifted Cholesky QR pass); the final Q must be orthonormal (three passes).
        var q = DenseMatrix(rows: a.rows, columns: width)
        var bt = DenseMatrix(rows: a.columns, columns: width)
        var halfBuffer: [UInt16] = []
        // Ω rounded to half precision is just another random test matrix.
        a.multiplyRounded(omega, into: &q, halfBuffer: &halfBuffer, options: options)
        // While the spectrum is moderate — a condition estimate of `AᵀQ` (about (σ₁/σ_l)² when Q is not
        // orthonormalised) of at most 10³, as in rating matrices — each power step orthonormalises only `AᵀQ`
        // and multiplies by `A` with that basis rounded to half precision: its rounding (relative 2⁻¹¹) stays
        // far below the weakest wanted direction, and the final `AᵀQ` and Rayleigh–Ritz step are in full
        // precision. Past that (steep spectra) every step orthonormalises `Q` too and keeps full precision,
        // as in the textbook algorithm.
        var moderate = true
        for _ in 0..<powerIterations {
            if !moderate { choleskyOrthonormalize(&q, passes: 1, options: options) }
            a.transposeMultiply(q, into: &bt, options: options, plan: plan)
            let condition = choleskyOrthonormalize(&bt, passes: 1, options: options)
            moderate = moderate && condition <= Self.conditionLimit
            if moderate {
                a.multiplyRounded(bt, into: &q, halfBuffer: &halfBuffer, options: options)
            } else {
                a.multiply(bt, into: &q, options: options)
            }
        }
        choleskyOrthonormalize(&q, passes: 3, options: options)
        a.transposeMultiply(q, into: &bt, options: options, plan: plan)         // Bᵀ = AᵀQ, columns × l
        let gram = bt.transposeMultipliedInDouble(by: bt, options: options, gramOfSelf: true)   // B·Bᵀ, l × l
        let eigen = symmetricEigen(gram, n: width)

        var singularValues = [Float](repeating: 0, count: rank)
        var ub = DenseMatrix(rows: width, columns: rank)           // U_B
        var ubScaled = DenseMatrix(rows: width, columns: rank)     // U_B·Σ⁻¹
        for j in 0..<rank {
            let sigma = max(eigen.values[j], 0).squareRoot()
            singularValues[j] = Float(sigma)
            for i in 0..<width {
                let x = eigen.vectors[i * width + j]
                ub[i, j] = Float(x)
                ubScaled[i, j] = sigma > 0 ? Float(x / sigma) : 0
            }
        }
        var u = leftVectors ? q.multiplied(by: ub, options: options) : DenseMatrix(rows: 0, columns: rank)
        var v = bt.multiplied(by: ubScaled, options: options)
        flipSigns(u: &u, v: &v)
        return TruncatedSVDResult(u: u, singularValues: singularValues, v: v)
    }

    /// Largest condition estimate of `AᵀQ` for which the power steps leave `Q` unorthonormalised and round
    /// their operand to half precision.
    static let conditionLimit = 1e3

    /// The test matrix `Ω`: independent standard normal entries from ``SeededGenerator`` (row-major), their
    /// logarithms computed on the workers (see ``SeededGenerator/fillGaussian(_:options:)``).
    static func testMatrix(rows: Int, columns: Int, seed: UInt64, options: ParallelOptions) -> DenseMatrix {
        var generator = SeededGenerator(seed: seed)
        var values = [Float](repeating: 0, count: rows * columns)
        values.withUnsafeMutableBufferPointer { generator.fillGaussian($0, options: options) }
        return DenseMatrix(rows: rows, columns: columns, values: values)
    }

    /// Flips singular pairs so the largest-|·| entry of each `V` column is positive (the first such entry on ties).
    private func flipSigns(u: inout DenseMatrix, v: inout DenseMatrix) {
        let k = v.columns
        var largest = [Float](repeating: 0, count: k)
        for r in 0..<v.rows {
            for j in 0..<k where abs(v.values[r * k + j]) > abs(largest[j]) { largest[j] = v.values[r * k + j] }
        }
        let sign = largest.map { $0 < 0 ? Float(-1) : 1 }
        guard sign.contains(-1) else { return }
        for r in 0..<v.rows { for j in 0..<k { v.values[r * k + j] *= sign[j] } }
        for r in 0..<u.rows { for j in 0..<k { u.values[r * k + j] *= sign[j] } }
    }

    /// Keeps the first `k` singular triplets.
    private func truncate(_ full: TruncatedSVDResult, to k: Int) -> TruncatedSVDResult {
        func firstColumns(_ m: DenseMatrix) -> DenseMatrix {
            var out = DenseMatrix(rows: m.rows, columns: k)
            for i in 0..<m.rows { for j in 0..<k { out[i, j] = m[i, j] } }
            return out
        }
        return TruncatedSVDResult(u: firstColumns(full.u), singularValues: Array(full.singularValues.prefix(k)),
                                  v: firstColumns(full.v))
    }
}
