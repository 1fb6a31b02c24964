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
/// With `l = rank + oversampling`:
/// 1. draw a Gaussian test matrix `Ω` (`columns × l`) from ``SeededGenerator``;
/// 2. `Q = orth(A·Ω)`, then `powerIterations` times `Q = orth(A·orth(Aᵀ·Q))`, where `orth` is a
///    shifted Cholesky QR (see `choleskyOrthonormalized`): one pass between products, up to three for the final `Q`;
/// 3. `Bᵀ = Aᵀ·Q` (so `B = QᵀA`, `l × columns`); eigen-decompose `B·Bᵀ = U_B·Λ·U_Bᵀ` in `Double`;
/// 4. `σᵢ = √λᵢ`, `U = Q·U_B`, `V = Bᵀ·U_B·Σ⁻¹`, keeping the first `rank` pairs.
///
/// When `min(rows, columns) ≤ l` the exact ``denseSVD(_:)`` path is used instead. Each singular pair's
/// sign is fixed so the largest-|·| entry of the `V` column is positive; with a fixed seed the result is
/// reproducible and does not depend on the thread count.
///
/// Accuracy: the leading values converge fastest. When the spectrum decays slowly (rating matrices) the
/// last of the `rank` values come out somewhat low with the defaults; raise `oversampling` and
/// `powerIterations` if they matter (on MovieLens-small at rank 64, p = 10, q = 4 matches σ₁…σ₂₆ to 10⁻³
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

    /// Computes the rank-``rank`` truncated SVD of `a` (the transpose `Aᵀ` is built once internally).
    ///
    /// - Throws: ``NumericsError`` when `rank < 1`, `rank > min(rows, columns)`, `oversampling`/`powerIterations`
    ///   are negative, or an entry of `a` is not finite.
    public func decompose(_ a: CSRMatrix) throws -> TruncatedSVDResult {
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
        let width = rank + oversampling
        if smaller <= width {
            return truncate(denseSVD(a.toDense()), to: rank)
        }
        let at = a.transposed(options: options)
        var generator = SeededGenerator(seed: seed)
        var omega = DenseMatrix(rows: a.columns, columns: width)
        for i in 0..<omega.values.count { omega.values[i] = Float(generator.nextGaussian()) }

        // Intermediate bases only need to be well conditioned (one shifted Cholesky QR pass);
        // the final Q must be orthonormal (three passes).
        var q = a.multiplied(by: omega, options: options)
        for _ in 0..<powerIterations {
            q = choleskyOrthonormalized(q, passes: 1, options: options)
            let z = choleskyOrthonormalized(at.multiplied(by: q, options: options), passes: 1, options: options)
            q = a.multiplied(by: z, options: options)
        }
        q = choleskyOrthonormalized(q, passes: 3, options: options)
        let bt = at.multiplied(by: q, options: options)                      // Bᵀ = AᵀQ, columns × l
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
        var u = q.multiplied(by: ub, options: options)
        var v = bt.multiplied(by: ubScaled, options: options)
        for j in 0..<rank {
            let column = (0..<v.rows).map { v[$0, j] }
            if largestMagnitudeIsNegative(column) {
                for i in 0..<v.rows { v[i, j] = -v[i, j] }
                for i in 0..<u.rows { u[i, j] = -u[i, j] }
            }
        }
        return TruncatedSVDResult(u: u, singularValues: singularValues, v: v)
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
