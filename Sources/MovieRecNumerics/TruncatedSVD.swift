import CMovieRecKernels
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

/// Randomized truncated SVD of a sparse matrix: randomized block Krylov subspace iteration with a Rayleigh–Ritz
/// step over the last power-step bases (Halko, Martinsson & Tropp, 2011, algorithms 4.4 and 5.1; Musco &
/// Musco, 2015, for the block Krylov space).
///
/// With `l = rank + oversampling` rounded up to a multiple of 16 (the SIMD width of the sparse kernels,
/// whose padding columns would otherwise be computed and thrown away; not rounded when that would reach
/// `min(rows, columns)`) and `b = min(krylovBlocks, powerIterations + 1, ⌊min(rows, columns) / l⌋)`:
/// 1. draw a random-sign test matrix `z₀ = Ω` (`columns × l`) from ``SeededGenerator``;
/// 2. `powerIterations` times `z_i = orth(Aᵀ·A·z_{i−1})`, keeping each product `p_i = A·z_i`. While the
///    spectrum is moderate the `A·` products take their operand rounded to half precision (it only steers
///    the subspace; half the bytes gathered) and `z_i` is replaced by exactly that rounding, so `p_i = A·z_i`
///    holds; `orth` is a shifted Cholesky QR (see `choleskyOrthonormalize`). Once `orth` reports a
///    condition number of `Aᵀ·p` above 10³, `p` is orthonormalised before each `Aᵀ·` product too and the
///    products stay in full precision. Each of the last `b − 1` blocks is orthogonalised against the
///    blocks kept before it (twice), so their union is well conditioned;
/// 3. Rayleigh–Ritz over the `b·l` directions `Z = [z_{q−b+1} … z_q]`: with `ZᵀZ = RᵀR` (so `Z·R⁻¹` is
///    orthonormal) eigen-decompose `R⁻ᵀ·(PᵀP)·R⁻¹ = Y·Λ·Yᵀ` in `Double`, `P = A·Z` being the kept products;
/// 4. `σᵢ = √λᵢ`, `V = Z·R⁻¹·Y`, `U = P·R⁻¹·Y·Σ⁻¹`, keeping the first `rank` pairs.
///
/// The second block is the oversampling: at rank 64 of an ML-25M-shaped rating matrix, `l = 64`, `q = 4`,
/// `b = 2` (9 sparse products 64 wide) leaves a smaller residual ‖A − UΣVᵀ‖_F than the classic algorithm
/// with `l = 80` (10 products 80 wide) and than scikit-learn's `randomized_svd` (`l = 74`, `n_iter = 4`).
/// With one block (`krylovBlocks = 1`, or when two blocks would not fit in the smaller dimension) it is the
/// classic algorithm: `Q = orth(A·z_q)`, `Bᵀ = Aᵀ·Q` (one more product) and the Rayleigh–Ritz step on `Q`.
///
/// When `min(rows, columns) ≤ rank + oversampling` an exact path is used instead: ``denseSVD(_:)`` up to
/// ``jacobiLimit``, else the eigen-decomposition of the smaller side's Gram matrix (`gramSVD`). Each singular pair's
/// sign is fixed so the largest-|·| entry of the `V` column is positive; with a fixed seed the result is
/// reproducible and does not depend on the thread count.
///
/// Accuracy: the leading values converge fastest. When the spectrum decays slowly (rating matrices) the
/// last of the `rank` values come out somewhat low with few power iterations; raise `powerIterations` if
/// they matter.
public struct TruncatedSVD: Sendable {
    /// Number of singular triplets to return (k).
    public let rank: Int
    /// Extra random directions p beyond the rank (accuracy of the captured subspace).
    public let oversampling: Int
    /// Number of power iterations q (sharpens the spectrum for slowly decaying singular values).
    public let powerIterations: Int
    /// How many of the last power-step bases span the Rayleigh–Ritz space (b; at most `powerIterations + 1`).
    public let krylovBlocks: Int
    /// Seed of the random test matrix.
    public let seed: UInt64
    /// Threads used by the sparse and dense kernels.
    public let options: ParallelOptions

    /// Configures a rank-`rank` decomposition with `oversampling` extra directions per block, `powerIterations`
    /// power steps and a Rayleigh–Ritz space of the last `krylovBlocks` bases.
    public init(rank: Int, oversampling: Int = 0, powerIterations: Int = 4, krylovBlocks: Int = 2, seed: UInt64 = 42,
                options: ParallelOptions = .default) {
        self.rank = rank
        self.oversampling = oversampling
        self.powerIterations = powerIterations
        self.krylovBlocks = krylovBlocks
        self.seed = seed
        self.options = options
    }

    /// Largest smaller dimension for which a rank reaching it is computed by one-sided Jacobi (``denseSVD(_:)``,
    /// exact, but `O(m·n·min(m, n))` per sweep); above it the Gram-matrix path (``gramSVD(_:rank:leftVectors:)``)
    /// takes over, so a rank up to the smaller dimension costs about what the rank just below it does.
    static let jacobiLimit = 64

    /// Computes the rank-``rank`` truncated SVD of `a`.
    ///
    /// Products with `Aᵀ` use ``CSRMatrix/transposeMultiplied(by:options:plan:)`` (no transposed copy).
    /// - Throws: ``NumericsError`` when `rank < 1`, `rank > min(rows, columns)`, `oversampling`/`powerIterations`
    ///   are negative, `krylovBlocks < 1`, or an entry of `a` is not finite.
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
        guard krylovBlocks >= 1 else {
            throw NumericsError(.invalidParameter, field: "krylovBlocks", value: "\(krylovBlocks)", expected: "a count ≥ 1")
        }
        if let bad = a.values.firstIndex(where: { !$0.isFinite }) {
            throw NumericsError(.invalidParameter, field: "values", position: bad, value: "\(a.values[bad])",
                                expected: "finite matrix entries")
        }
        // The sparse kernels work on 16 columns at a time, so directions up to the next multiple of 16
        // cost nothing there: use them as extra oversampling (a better subspace for free).
        let requested = rank + oversampling
        let width = paddedWidth(requested) < smaller ? paddedWidth(requested) : requested
        if smaller <= requested && smaller > Self.jacobiLimit {
            return gramSVD(a, rank: rank, leftVectors: leftVectors)
        }
        if smaller <= requested {
            let exact = truncate(denseSVD(a.toDense()), to: rank)
            return leftVectors ? exact : TruncatedSVDResult(u: DenseMatrix(rows: 0, columns: rank),
                                                            singularValues: exact.singularValues, v: exact.v)
        }
        let plan = TransposeProductPlan(a, options: options)
        // The union must fit in the smaller dimension, or its Gram matrix would be singular.
        let blocks = max(1, min(krylovBlocks, powerIterations + 1, smaller / width))

        // z₀ = Ω, then z_i = orth(Aᵀ·A·z_{i−1}) (film side, columns × l), each with its product p_i = A·z_i
        // (rows × l). Products by `A` take the basis rounded to half precision while the spectrum is moderate
        // (it only steers the subspace; half the bytes gathered); z_i is then replaced by exactly what was
        // multiplied, so p_i = A·z_i holds for the Rayleigh–Ritz step. The last `blocks` pairs are kept.
        var z = Self.testMatrix(rows: a.columns, columns: width, seed: seed, options: options)
        var p = DenseMatrix(uninitializedRows: a.rows, columns: width)     // every product writes all of it
        var halfBuffer: [UInt16] = []
        multiplyBasis(a, &z, into: &p, rounded: true, halfBuffer: &halfBuffer)
        var kept: [(z: DenseMatrix, p: DenseMatrix)] = []
        // While the spectrum is moderate — a condition estimate of `Aᵀp` (about (σ₁/σ_l)² when p is not
        // orthonormalised) of at most 10³, as in rating matrices — each step orthonormalises only `Aᵀp` and
        // rounds the product's operand to half precision. Past that (steep spectra) `p` is orthonormalised
        // before it is multiplied by `Aᵀ` and the products stay in full precision, as in the textbook algorithm.
        var moderate = true
        for step in 0..<powerIterations {
            var source = p
            if step + blocks > powerIterations {
                kept.append((z, p))               // z_step is in the Rayleigh–Ritz space
                p = DenseMatrix(uninitializedRows: a.rows, columns: width)
            }
            if !moderate { choleskyOrthonormalize(&source, passes: 1, options: options) }
            var y = DenseMatrix(uninitializedRows: a.columns, columns: width)   // zeroed by the product
            a.transposeMultiply(source, into: &y, options: options, plan: plan)
            source = DenseMatrix(rows: 0, columns: 0)
            let condition = choleskyOrthonormalize(&y, passes: 1, options: options)
            moderate = moderate && condition <= Self.conditionLimit
            if !moderate && step + 1 + blocks > powerIterations {
                // A block of the Rayleigh–Ritz space from a steep spectrum: one shifted pass leaves its condition
                // near 10³, which the Gram matrix of the union (summed in Float) could not resolve.
                choleskyOrthonormalize(&y, passes: 3, options: options)
            }
            if !kept.isEmpty {
                // Block Krylov: the new block spans only what the kept ones do not (twice, as in CGS2: the
                // second pass removes what normalising nearly converged directions brought back), so the union
                // stays well conditioned and its product needs no change of basis.
                let keptBases = kept.map(\.z)
                if let rInverse = Self.choleskyInverse(blockGram(keptBases), n: keptBases.count * width) {
                    project(&y, awayFrom: keptBases, rInverse: rInverse)
                    choleskyOrthonormalize(&y, passes: 2, options: options)
                    project(&y, awayFrom: keptBases, rInverse: rInverse)
                    choleskyOrthonormalize(&y, passes: moderate ? 1 : 3, options: options)
                }
            }
            z = y
            multiplyBasis(a, &z, into: &p, rounded: moderate, halfBuffer: &halfBuffer)
        }
        halfBuffer = []
        if blocks == 1 {
            return leftRayleighRitz(a, product: p, plan: plan, leftVectors: leftVectors)
        }
        kept.append((z, p))

        // Rayleigh–Ritz over span(Z), Z = [z_{q−b+1} … z_q] with A·Z = [p …]: with ZᵀZ = RᵀR, the columns of
        // Z·R⁻¹ are orthonormal and (A·Z·R⁻¹)ᵀ(A·Z·R⁻¹) = R⁻ᵀ·(PᵀP)·R⁻¹ = Y·Λ·Yᵀ gives σ = √λ,
        // V = Z·R⁻¹·Y and U = P·R⁻¹·Y·Σ⁻¹.
        let bases = kept.map(\.z)
        var products = kept.map(\.p)
        kept = []
        let n = bases.count * width
        let gram = blockGram(bases)
        guard let rInverse = Self.choleskyInverse(gram, n: n) else {
            // A = 0 (every product vanished): σ = 0 with zero vectors, as the products give.
            return TruncatedSVDResult(u: DenseMatrix(rows: leftVectors ? a.rows : 0, columns: rank),
                                      singularValues: [Float](repeating: 0, count: rank),
                                      v: DenseMatrix(rows: a.columns, columns: rank))
        }
        let projected = congruence(blockGram(products), by: rInverse, n: n)
        let eigen = symmetricEigen(projected, n: n)

        var singularValues = [Float](repeating: 0, count: rank)
        var coefficients = [Double](repeating: 0, count: n * rank)     // R⁻¹·Y, first `rank` columns
        for i in 0..<n {
            for j in 0..<rank {
                var sum = 0.0
                for t in i..<n { sum += rInverse[i * n + t] * eigen.vectors[t * n + j] }
                coefficients[i * rank + j] = sum
            }
        }
        var inverseSigma = [Double](repeating: 0, count: rank)
        for j in 0..<rank {
            let sigma = max(eigen.values[j], 0).squareRoot()
            singularValues[j] = Float(sigma)
            inverseSigma[j] = sigma > 0 ? 1 / sigma : 0
        }
        var v = combine(bases, coefficients: coefficients, scale: nil)
        let signs = Self.flipSigns(&v)
        let u = leftVectors ? productInPlace(&products, coefficients: coefficients,
                                             scale: (0..<rank).map { inverseSigma[$0] * signs[$0] })
                            : DenseMatrix(rows: 0, columns: rank)
        return TruncatedSVDResult(u: u, singularValues: singularValues, v: v)
    }

    /// `[blocks…]·C` with column `j` of `C` scaled by `scale[j]`, written over the first block's storage (the
    /// blocks are consumed): each worker takes chunks of rows side by side into a scratch, multiplies them
    /// (``mr_dense_rows_product``) and stores the result over the same rows, then the rows are compacted.
    private func productInPlace(_ blocks: inout [DenseMatrix], coefficients: [Double], scale: [Double]) -> DenseMatrix {
        let width = blocks[0].columns
        let rows = blocks[0].rows
        let n = blocks.count * width
        let k = coefficients.count / n
        let stride = paddedWidth(k)
        precondition(k <= width, "productInPlace: \(k) columns do not fit in blocks \(width) wide")
        var source = [Float](repeating: 0, count: n * stride)
        for i in 0..<n {
            for j in 0..<k { source[i * stride + j] = Float(coefficients[i * k + j] * scale[j]) }
        }
        var storage = blocks[0].values
        blocks[0] = DenseMatrix(rows: 0, columns: 0)
        let others = Array(blocks.dropFirst())
        blocks = []
        let chunkRows = 64
        let otherBases = others.map { block in block.values.withUnsafeBufferPointer { SharedPointer(base: $0.baseAddress!) } }
        withExtendedLifetime(others) {
            source.withUnsafeBufferPointer { src in
                storage.withUnsafeMutableBufferPointer { buffer in
                    let target = SharedMutablePointer(base: buffer.baseAddress!)
                    let c = SharedPointer(base: src.baseAddress!)
                    options.forEachRange((rows + chunkRows - 1) / chunkRows) { range in
                        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunkRows * (n + stride))
                        defer { scratch.deallocate() }
                        let result = scratch + chunkRows * n
                        for chunk in range {
                            let first = chunk * chunkRows
                            let count = min(chunkRows, rows - first)
                            for r in 0..<count {
                                (scratch + r * n).update(from: target.base + (first + r) * width, count: width)
                                for (b, other) in otherBases.enumerated() {
                                    (scratch + r * n + (b + 1) * width).update(from: other.base + (first + r) * width,
                                                                              count: width)
                                }
                            }
                            mr_dense_rows_product(scratch, n, n, c.base, stride, count, result, 0)
                            for r in 0..<count {
                                (target.base + (first + r) * width).update(from: result + r * stride, count: k)
                            }
                        }
                    }
                }
            }
        }
        if k < width {
            // Row r moves from r·width to r·k ≤ r·width: copying forwards never overwrites what is still to be read.
            storage.withUnsafeMutableBufferPointer { buffer in
                for r in 1..<max(rows, 1) { for c in 0..<k { buffer[r * k + c] = buffer[r * width + c] } }
            }
            storage.removeSubrange((rows * k)...)
        }
        return DenseMatrix(rows: rows, columns: k, values: storage)
    }

    /// The one-block Rayleigh–Ritz step of the classic algorithm, half a power step more than the right-hand one:
    /// `Q = orth(A·z_q)` (three passes), `Bᵀ = Aᵀ·Q`, `B·Bᵀ = U_B·Λ·U_Bᵀ`, `σ = √λ`, `V = Bᵀ·U_B·Σ⁻¹`,
    /// `U = Q·U_B`. It costs one more product by `Aᵀ`, so it is used when the union of two blocks does not fit
    /// (small matrices) or one block is asked for.
    private func leftRayleighRitz(_ a: CSRMatrix, product: DenseMatrix, plan: TransposeProductPlan,
                                  leftVectors: Bool) -> TruncatedSVDResult {
        var q = product
        let width = q.columns
        choleskyOrthonormalize(&q, passes: 3, options: options)
        var bt = DenseMatrix(uninitializedRows: a.columns, columns: width)   // zeroed by the product
        a.transposeMultiply(q, into: &bt, options: options, plan: plan)
        let eigen = symmetricEigen(blockGram([bt]), n: width)               // B·Bᵀ
        var singularValues = [Float](repeating: 0, count: rank)
        var basis = [Double](repeating: 0, count: width * rank)               // U_B
        var inverseSigma = [Double](repeating: 0, count: rank)
        for j in 0..<rank {
            let sigma = max(eigen.values[j], 0).squareRoot()
            singularValues[j] = Float(sigma)
            inverseSigma[j] = sigma > 0 ? 1 / sigma : 0
            for i in 0..<width { basis[i * rank + j] = eigen.vectors[i * width + j] }
        }
        var v = combine([bt], coefficients: basis, scale: inverseSigma)
        let signs = Self.flipSigns(&v)
        let u = leftVectors ? combine([q], coefficients: basis, scale: signs) : DenseMatrix(rows: 0, columns: rank)
        return TruncatedSVDResult(u: u, singularValues: singularValues, v: v)
    }

    /// `p = A·z`; with `rounded` (and a width the half-precision kernel takes) `z` is first replaced by its
    /// half-precision rounding — exactly the operand the product uses.
    private func multiplyBasis(_ a: CSRMatrix, _ z: inout DenseMatrix, into p: inout DenseMatrix, rounded: Bool,
                               halfBuffer: inout [UInt16]) {
        if rounded && z.columns % 16 == 0 {
            a.multiplyRounded(z, into: &p, halfBuffer: &halfBuffer, options: options)
            roundToHalf(&z.values, options: options)
        } else {
            a.multiply(z, into: &p, options: options)
        }
    }

    /// `y ← y − K·(KᵀK)⁻¹·Kᵀy` for `K` the side-by-side `blocks` (`rInverse`: `R⁻¹` for `KᵀK = RᵀR`): removes
    /// the part of `y` in their span.
    private func project(_ y: inout DenseMatrix, awayFrom blocks: [DenseMatrix], rInverse: [Double]) {
        let width = y.columns
        let n = blocks.count * width
        var overlap = [Double](repeating: 0, count: n * width)        // Kᵀy
        for (b, block) in blocks.enumerated() {
            let part = block.transposeMultipliedInDouble(by: y, options: options)
            for i in 0..<width { for j in 0..<width { overlap[(b * width + i) * width + j] = part[i * width + j] } }
        }
        // (KᵀK)⁻¹ = R⁻¹·R⁻ᵀ
        var solved = [Double](repeating: 0, count: n * width)
        var inner = [Double](repeating: 0, count: n * width)            // R⁻ᵀ·Kᵀy
        for i in 0..<n {
            for j in 0..<width {
                var sum = 0.0
                for t in 0...i { sum += rInverse[t * n + i] * overlap[t * width + j] }
                inner[i * width + j] = sum
            }
        }
        for i in 0..<n {
            for j in 0..<width {
                var sum = 0.0
                for t in i..<n { sum += rInverse[i * n + t] * inner[t * width + j] }
                solved[i * width + j] = sum
            }
        }
        for i in 0..<solved.count { solved[i] = -solved[i] }
        combine(blocks, coefficients: solved, scale: nil, into: &y, adding: true)
    }

    /// `Σ_b blocks[b]·C_b` where `C_b` is rows `b·w ..< (b+1)·w` of the row-major `(blocks·w) × k` `coefficients`
    /// (each column `j` multiplied by `scale[j]` when given), in `Float`.
    private func combine(_ blocks: [DenseMatrix], coefficients: [Double], scale: [Double]?) -> DenseMatrix {
        var output = DenseMatrix(rows: blocks[0].rows, columns: coefficients.count / (blocks.count * blocks[0].columns))
        combine(blocks, coefficients: coefficients, scale: scale, into: &output, adding: false)
        return output
    }

    /// `output = Σ_b blocks[b]·C_b`, or `output += …` when `adding`: block by block, each a SIMD product of four
    /// rows at a time (``mr_dense_rows_product``), added in block order.
    private func combine(_ blocks: [DenseMatrix], coefficients: [Double], scale: [Double]?, into output: inout DenseMatrix,
                         adding: Bool) {
        let width = blocks[0].columns
        let n = blocks.count * width
        let k = coefficients.count / n
        let stride = paddedWidth(k)
        let rows = output.rows
        precondition(output.columns == k && output.rows == blocks[0].rows, "combine: output shape")
        var source = [Float](repeating: 0, count: n * stride)
        for i in 0..<n {
            for j in 0..<k { source[i * stride + j] = Float(coefficients[i * k + j] * (scale?[j] ?? 1)) }
        }
        var padded = stride == k ? output.values : [Float](repeating: 0, count: rows * stride)
        if stride != k && adding {
            for r in 0..<rows { for c in 0..<k { padded[r * stride + c] = output.values[r * k + c] } }
        }
        source.withUnsafeBufferPointer { src in
            padded.withUnsafeMutableBufferPointer { out in
                let target = SharedMutablePointer(base: out.baseAddress!)
                for (b, block) in blocks.enumerated() {
                    block.values.withUnsafeBufferPointer { values in
                        let a = SharedPointer(base: values.baseAddress!)
                        let c = SharedPointer(base: src.baseAddress! + b * width * stride)
                        let accumulate: Int32 = adding || b > 0 ? 1 : 0
                        options.forEachRange((rows + 3) / 4) { range in
                            let first = range.lowerBound * 4
                            let end = min(range.upperBound * 4, rows)
                            mr_dense_rows_product(a.base + first * width, width, width, c.base, stride, end - first,
                                                  target.base + first * stride, accumulate)
                        }
                    }
                }
            }
        }
        if stride == k {
            output.values = padded
        } else {
            for r in 0..<rows { for c in 0..<k { output.values[r * k + c] = padded[r * stride + c] } }
        }
    }

    /// The Gram matrix `KᵀK` (`Double`, row-major) of the side-by-side `blocks`.
    private func blockGram(_ blocks: [DenseMatrix]) -> [Double] {
        let width = blocks[0].columns
        let n = blocks.count * width
        var gram = [Double](repeating: 0, count: n * n)
        for b in 0..<blocks.count {
            for c in b..<blocks.count {
                let part = blocks[b].transposeMultipliedInDouble(by: blocks[c], options: options, gramOfSelf: b == c)
                for i in 0..<width {
                    for j in 0..<width {
                        gram[(b * width + i) * n + c * width + j] = part[i * width + j]
                        gram[(c * width + j) * n + b * width + i] = part[i * width + j]
                    }
                }
            }
        }
        return gram
    }

    /// `R⁻ᵀ·H·R⁻¹` for an upper triangular `R⁻¹` (all `n × n`, row-major, `Double`), symmetrised.
    private func congruence(_ h: [Double], by rInverse: [Double], n: Int) -> [Double] {
        var hr = [Double](repeating: 0, count: n * n)                    // H·R⁻¹
        for i in 0..<n {
            for j in 0..<n {
                var sum = 0.0
                for t in 0...j { sum += h[i * n + t] * rInverse[t * n + j] }
                hr[i * n + j] = sum
            }
        }
        var result = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var sum = 0.0
                for t in 0...i { sum += rInverse[t * n + i] * hr[t * n + j] }
                result[i * n + j] = sum
                result[j * n + i] = sum
            }
        }
        return result
    }

    /// `R⁻¹` of the Cholesky factor of a Gram matrix, unshifted unless that breaks down (then the smallest
    /// shift `10⁻¹²·trace/n·10^m` that works), or `nil` for a zero or non-finite Gram matrix.
    static func choleskyInverse(_ gram: [Double], n: Int) -> [Double]? {
        var trace = 0.0
        for i in 0..<n { trace += gram[i * n + i] }
        guard trace > 0, trace.isFinite else { return nil }
        var shift = 0.0
        while shift < trace {
            if let inverse = upperCholeskyInverse(gram, n: n, shift: shift) { return inverse }
            shift = shift == 0 ? 1e-12 * trace / Double(n) : shift * 10
        }
        return nil
    }

    /// Largest condition estimate of `AᵀQ` for which the power steps leave `Q` unorthonormalised and round
    /// their operand to half precision.
    static let conditionLimit = 1e3

    /// The test matrix `Ω`: independent random signs ±1 (Rademacher), 64 per draw of ``SeededGenerator``, in
    /// row-major order. As good a sketch as Gaussian entries for this purpose, exact in half precision, and
    /// nearly free to draw.
    static func testMatrix(rows: Int, columns: Int, seed: UInt64, options: ParallelOptions) -> DenseMatrix {
        var generator = SeededGenerator(seed: seed)
        let count = rows * columns
        var values = [Float](repeating: 0, count: count)
        values.withUnsafeMutableBufferPointer { out in
            var start = 0
            while start < count {
                var bits = generator.next()
                for i in start..<min(start + 64, count) {
                    // ±1 from the low bit, without a branch: the bit becomes the sign bit of 1.0.
                    out[i] = Float(bitPattern: 0x3f80_0000 | UInt32(truncatingIfNeeded: bits & 1) << 31)
                    bits >>= 1
                }
                start += 64
            }
        }
        return DenseMatrix(rows: rows, columns: columns, values: values)
    }

    /// Flips columns of `v` so the largest-|·| entry of each is positive (the first such entry on ties);
    /// returns the sign applied to each column (the matching `U` columns must take the same).
    private static func flipSigns(_ v: inout DenseMatrix) -> [Double] {
        let k = v.columns
        var largest = [Float](repeating: 0, count: k)
        for r in 0..<v.rows {
            for j in 0..<k where abs(v.values[r * k + j]) > abs(largest[j]) { largest[j] = v.values[r * k + j] }
        }
        let sign = largest.map { $0 < 0 ? -1.0 : 1.0 }
        if sign.contains(-1) {
            for r in 0..<v.rows { for j in 0..<k where sign[j] < 0 { v.values[r * k + j] = -v.values[r * k + j] } }
        }
        return sign
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
