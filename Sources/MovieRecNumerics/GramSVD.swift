/// The leading `rank` singular triplets of a sparse matrix from the eigen-decomposition of its Gram matrix on
/// the smaller side: the path of ``TruncatedSVD`` when the rank reaches the smaller dimension (a rank up to
/// the number of users or films), where a randomized subspace would have to span everything anyway.
///
/// With `A` (`m × n`) and `s = min(m, n)`:
/// 1. `G = A·Aᵀ` (`m ≤ n`) or `AᵀA`, `s × s`, accumulated in `Double` from the outer products of the columns
///    (or rows) of `A`: `Σ c²` multiply-adds for `c` entries per column — no dense copy of `A`;
/// 2. `G = W·Λ·Wᵀ` by ``symmetricEigen(_:n:)`` (Householder + QL, about `9·s³` flops);
/// 3. `σᵢ = √max(λᵢ, 0)`; the smaller side's vectors are `W`'s first `rank` columns, the other side's are
///    `Aᵀ·w/σ` (or `A·w/σ`), one pass over the entries of `A` (`nnz · rank`).
///
/// The Gram matrix squares the spectrum, so a singular value below about `√(s·ε)·σ₁` (`ε` the `Double` unit
/// round-off) is not resolved: such values (`σᵢ ≤ 10⁻⁶·σ₁`) are returned as 0, and their vectors on the other
/// side, like every vector with `σᵢ < 10⁻³·σ₁`, are orthogonalised (twice) against the earlier ones, or
/// replaced by a deterministic orthonormal completion when nothing is left. The signs follow the rest of the
/// module: the largest-|·| entry of each `V` column is positive.
///
/// Time: `O(Σc² + s³ + nnz·rank)`; ml-latest-small at rank 610 (all users) takes about a second instead of the
/// minutes of one-sided Jacobi on the `610 × 9,742` dense matrix.
func gramSVD(_ a: CSRMatrix, rank: Int, leftVectors: Bool) -> TruncatedSVDResult {
    let (m, n) = (a.rows, a.columns)
    let smallIsRows = m <= n
    let s = min(m, n)
    let k = min(rank, s)
    // 1. The Gram matrix of the smaller side, from the outer products of the other side's vectors.
    let source = smallIsRows ? a.transposed() : a     // rows of `source` are the vectors to take outer products of
    var gram = [Double](repeating: 0, count: s * s)
    gram.withUnsafeMutableBufferPointer { g in
        for row in 0..<source.rows {
            let start = source.rowPointers[row], end = source.rowPointers[row + 1]
            for p in start..<end {
                let i = Int(source.columnIndices[p])
                let x = Double(source.values[p])
                let base = i * s
                for q in p..<end {
                    g[base + Int(source.columnIndices[q])] += x * Double(source.values[q])
                }
            }
        }
        for i in 0..<s { for j in (i + 1)..<max(i + 1, s) { g[j * s + i] = g[i * s + j] } }
    }
    // 2. Eigenvectors of the Gram matrix: the smaller side's singular vectors.
    let eigen = symmetricEigen(gram, n: s)
    let largest = max(eigen.values.first ?? 0, 0).squareRoot()
    var sigma = (0..<k).map { max(eigen.values[$0], 0).squareRoot() }
    for j in 0..<k where sigma[j] <= 1e-6 * largest { sigma[j] = 0 }
    var small = [[Double]](repeating: [], count: k)          // column j of W, length s
    for j in 0..<k { small[j] = (0..<s).map { eigen.vectors[$0 * s + j] } }
    var smallByRow = [Double](repeating: 0, count: s * k)    // W's first k columns, row-major s × k
    for i in 0..<s { for j in 0..<k { smallByRow[i * k + j] = eigen.vectors[i * s + j] } }
    // 3. The other side: Aᵀ·w/σ (or A·w/σ), all columns in one pass over the entries.
    let otherLength = smallIsRows ? n : m
    var other = [Double](repeating: 0, count: otherLength * k)   // row-major otherLength × k
    for row in 0..<m {
        for p in a.rowPointers[row]..<a.rowPointers[row + 1] {
            let column = Int(a.columnIndices[p])
            let x = Double(a.values[p])
            // m ≤ n: other[column] += x · W[row]; else other[row] += x · W[column].
            let (target, from) = smallIsRows ? (column, row) : (row, column)
            let (t, f) = (target * k, from * k)
            for j in 0..<k { other[t + j] += x * smallByRow[f + j] }
        }
    }
    var otherColumns = [[Double]](repeating: [], count: k)
    for j in 0..<k {
        var column = (0..<otherLength).map { other[$0 * k + j] }
        if sigma[j] > 0 {
            for i in 0..<otherLength { column[i] /= sigma[j] }
        }
        if sigma[j] < 1e-3 * largest {
            column = orthogonalized(column, against: otherColumns[0..<j], completeIfEmpty: true)
        }
        otherColumns[j] = column
    }
    // Signs: the largest-|·| entry of each V column positive.
    let vColumns = smallIsRows ? otherColumns : small
    let uColumns = smallIsRows ? small : otherColumns
    var u = DenseMatrix(rows: leftVectors ? m : 0, columns: k)
    var v = DenseMatrix(rows: n, columns: k)
    for j in 0..<k {
        let sign: Double = largestMagnitudeIsNegative(vColumns[j]) ? -1 : 1
        for i in 0..<n { v[i, j] = Float(sign * vColumns[j][i]) }
        if leftVectors { for i in 0..<m { u[i, j] = Float(sign * uColumns[j][i]) } }
    }
    return TruncatedSVDResult(u: u, singularValues: sigma.map { Float($0) }, v: v)
}

/// `x` minus its projections on `basis` (two Gram–Schmidt passes), normalised; when less than half of its
/// length is left (or it was zero) and `completeIfEmpty`, the first standard basis vector with enough of itself
/// outside the span instead.
private func orthogonalized(_ x: [Double], against basis: ArraySlice<[Double]>, completeIfEmpty: Bool) -> [Double] {
    func reduce(_ start: [Double]) -> (vector: [Double], norm: Double) {
        var y = start
        for _ in 0..<2 {
            for b in basis {
                var projection = 0.0
                for t in 0..<y.count { projection += b[t] * y[t] }
                for t in 0..<y.count { y[t] -= projection * b[t] }
            }
        }
        return (y, y.reduce(0.0) { $0 + $1 * $1 }.squareRoot())
    }
    let initial = x.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
    let (y, norm) = reduce(x)
    if initial > 0 && norm > 0.5 * initial { return y.map { $0 / norm } }
    guard completeIfEmpty else { return y }
    for i in 0..<x.count {
        var e = [Double](repeating: 0, count: x.count)
        e[i] = 1
        let (candidate, length) = reduce(e)
        if length > 0.5 { return candidate.map { $0 / length } }
    }
    return [Double](repeating: 0, count: x.count)
}
