/// Orthonormalises the columns of a tall `m × l` matrix `q` in place by (shifted) Cholesky QR in `Double`.
///
/// Each pass forms the Gram matrix `G = YᵀY` (Float products, block sums in `Double`), factors
/// `G + s·I = RᵀR` and replaces `Y ← Y·R⁻¹`. The first pass uses a small shift
/// `s = 10⁻⁶·trace(G)/l`, which keeps the factorisation defined even for ill-conditioned or rank-deficient
/// `Y` (the span is unchanged because `R` is invertible) and bounds the condition number of the result;
/// later passes are unshifted and restore orthonormality to single precision
/// ("shifted CholeskyQR3", Fukaya et al., SIAM J. Sci. Comput. 2020). A pass whose Cholesky factorisation
/// breaks down is retried with a ten times larger shift. From the third pass on, a pass is skipped when
/// its Gram matrix is already within 10⁻³ of the identity (the previous pass then left an error of order
/// ε_float). Non-finite input is returned unchanged.
///
/// Costs `passes · (m·l² + m·l²)` flops in the SIMD kernels, versus Householder QR's serial reflections.
/// Works in place: the rows are updated one at a time, with no second `m × l` matrix.
///
/// - Returns: `max Rᵢᵢ / min Rᵢᵢ` of the first pass's factor, an estimate of the condition number of the
///   input (1 for orthonormal columns, `.infinity` when the input is zero or not finite).
@discardableResult
func choleskyOrthonormalize(_ q: inout DenseMatrix, passes: Int, options: ParallelOptions) -> Double {
    let l = q.columns
    var condition = Double.infinity
    for pass in 0..<passes {
        let gram = q.transposeMultipliedInDouble(by: q, options: options, gramOfSelf: true)
        var trace = 0.0
        for i in 0..<l { trace += gram[i * l + i] }
        guard trace > 0, trace.isFinite else { return condition }
        if pass >= 2 && deviationFromIdentity(gram, n: l) < 1e-3 {
            break   // already orthonormal to single precision after the previous pass
        }
        var shift = pass == 0 ? 1e-6 * trace / Double(l) : 0
        var inverse = upperCholeskyInverse(gram, n: l, shift: shift)
        while inverse == nil && shift < trace {
            shift = shift == 0 ? 1e-7 * trace / Double(l) : shift * 10
            inverse = upperCholeskyInverse(gram, n: l, shift: shift)
        }
        guard let inverse else { return condition }
        if pass == 0 {
            // R⁻¹ is upper triangular with diagonal 1/Rᵢᵢ.
            let diagonal = (0..<l).map { 1 / inverse[$0 * l + $0] }
            condition = diagonal.max()! / diagonal.min()!
        }
        q.multiplyByUpperTriangular(DenseMatrix(rows: l, columns: l, values: inverse.map { Float($0) }), options: options)
    }
    return condition
}

/// The largest |Gᵢⱼ − δᵢⱼ| of a row-major `n × n` matrix.
private func deviationFromIdentity(_ g: [Double], n: Int) -> Double {
    var worst = 0.0
    for i in 0..<n { for j in 0..<n { worst = max(worst, abs(g[i * n + j] - (i == j ? 1 : 0))) } }
    return worst
}

/// `R⁻¹` (row-major, upper triangular) for the Cholesky factor `G + shift·I = RᵀR`, or `nil` when a pivot is not positive.
func upperCholeskyInverse(_ g: [Double], n: Int, shift: Double) -> [Double]? {
    var r = [Double](repeating: 0, count: n * n)
    for j in 0..<n {
        var diagonal = g[j * n + j] + shift
        for k in 0..<j { diagonal -= r[k * n + j] * r[k * n + j] }
        guard diagonal > 0, diagonal.isFinite else { return nil }
        let rjj = diagonal.squareRoot()
        r[j * n + j] = rjj
        for c in (j + 1)..<max(j + 1, n) {
            var s = g[j * n + c]
            for k in 0..<j { s -= r[k * n + j] * r[k * n + c] }
            r[j * n + c] = s / rjj
        }
    }
    // Invert the upper triangular R column by column: R·X = I.
    var inverse = [Double](repeating: 0, count: n * n)
    for c in 0..<n {
        for i in stride(from: c, through: 0, by: -1) {
            var s = i == c ? 1.0 : 0.0
            for k in (i + 1)..<max(i + 1, c + 1) { s -= r[i * n + k] * inverse[k * n + c] }
            inverse[i * n + c] = s / r[i * n + i]
        }
    }
    return inverse
}
