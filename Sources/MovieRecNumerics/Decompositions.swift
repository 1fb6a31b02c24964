/// The thin QR factorisation `A = Q·R` of a tall `m × n` matrix (`m ≥ n`) by Householder reflections in `Double`.
///
/// `Q` is `m × n` with orthonormal columns (`QᵀQ = I`), `R` is `n × n` upper triangular with a
/// nonnegative diagonal (which makes the factorisation unique when `A` has full column rank).
public func thinQR(_ a: DenseMatrix) -> (q: DenseMatrix, r: DenseMatrix) {
    let (m, n) = (a.rows, a.columns)
    precondition(m >= n, "thinQR: expects a tall matrix (rows ≥ columns), got \(m)×\(n)")
    // Column-major working copy: column j is work[j*m ..< (j+1)*m].
    var work = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { work[j * m + i] = Double(a.values[i * n + j]) } }
    var reflectors = [[Double]]()
    reflectors.reserveCapacity(n)
    for j in 0..<n {
        var norm2 = 0.0
        for i in j..<m { norm2 += work[j * m + i] * work[j * m + i] }
        var v = [Double](repeating: 0, count: m - j)
        if norm2 > 0 {
            let x0 = work[j * m + j]
            let alpha = x0 >= 0 ? -norm2.squareRoot() : norm2.squareRoot()
            for i in j..<m { v[i - j] = work[j * m + i] }
            v[0] -= alpha
            var vnorm2 = 0.0
            for e in v { vnorm2 += e * e }
            if vnorm2 > 0 {
                let scale = 1 / vnorm2.squareRoot()
                for i in 0..<v.count { v[i] *= scale }
                for c in j..<n { applyReflector(v, to: &work, offset: c * m + j) }
            }
        }
        reflectors.append(v)
    }
    var q = [Double](repeating: 0, count: m * n)  // column-major
    for j in 0..<n { q[j * m + j] = 1 }
    for j in stride(from: n - 1, through: 0, by: -1) {
        for c in j..<n { applyReflector(reflectors[j], to: &q, offset: c * m + j) }
    }
    var qOut = DenseMatrix(rows: m, columns: n)
    var rOut = DenseMatrix(rows: n, columns: n)
    for j in 0..<n {
        let sign: Double = work[j * m + j] < 0 ? -1 : 1
        for c in j..<n { rOut[j, c] = Float(sign * work[c * m + j]) }
        for i in 0..<m { qOut[i, j] = Float(sign * q[j * m + i]) }
    }
    return (qOut, rOut)
}

/// Applies `H = I − 2vvᵀ` (unit `v`) to the vector stored at `vector[offset ..< offset + v.count]`.
private func applyReflector(_ v: [Double], to vector: inout [Double], offset: Int) {
    var projection = 0.0
    for i in 0..<v.count { projection += v[i] * vector[offset + i] }
    projection *= 2
    for i in 0..<v.count { vector[offset + i] -= projection * v[i] }
}

/// Eigen-decomposition `A = V·diag(λ)·Vᵀ` of a symmetric `n × n` matrix (row-major `Double`) by cyclic Jacobi rotations.
///
/// Returns the eigenvalues in descending order and the eigenvectors as the columns of a row-major
/// `n × n` array: component `i` of eigenvector `j` is `vectors[i * n + j]`. Each eigenvector's
/// largest-magnitude component is made positive, so the output is deterministic.
public func symmetricEigen(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
    precondition(a.count == n * n, "symmetricEigen: \(a.count) values for a \(n)×\(n) matrix")
    var m = a
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    var total = 0.0
    for x in m { total += x * x }
    for _ in 0..<100 {
        var off = 0.0
        for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += m[p * n + q] * m[p * n + q] } }
        if off <= 1e-30 * total || off == 0 { break }
        for p in 0..<n {
            for q in (p + 1)..<max(p + 1, n) {
                let apq = m[p * n + q]
                if apq == 0 { continue }
                let theta = (m[q * n + q] - m[p * n + p]) / (2 * apq)
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot()
                let s = t * c
                for k in 0..<n {
                    let (kp, kq) = (m[k * n + p], m[k * n + q])
                    m[k * n + p] = c * kp - s * kq
                    m[k * n + q] = s * kp + c * kq
                }
                for k in 0..<n {
                    let (pk, qk) = (m[p * n + k], m[q * n + k])
                    m[p * n + k] = c * pk - s * qk
                    m[q * n + k] = s * pk + c * qk
                }
                m[p * n + q] = 0
                m[q * n + p] = 0
                for k in 0..<n {
                    let (kp, kq) = (v[k * n + p], v[k * n + q])
                    v[k * n + p] = c * kp - s * kq
                    v[k * n + q] = s * kp + c * kq
                }
            }
        }
    }
    let order = (0..<n).sorted { (m[$0 * n + $0], -$0) > (m[$1 * n + $1], -$1) }
    var values = [Double](repeating: 0, count: n)
    var vectors = [Double](repeating: 0, count: n * n)
    for (j, source) in order.enumerated() {
        values[j] = m[source * n + source]
        var column = (0..<n).map { v[$0 * n + source] }
        if largestMagnitudeIsNegative(column) { column = column.map { -$0 } }
        for i in 0..<n { vectors[i * n + j] = column[i] }
    }
    return (values, vectors)
}

/// True when the first entry of largest magnitude is negative (the deterministic sign convention).
func largestMagnitudeIsNegative<T: FloatingPoint>(_ column: [T]) -> Bool {
    var best = T.zero
    for x in column where abs(x) > abs(best) { best = x }
    return best < 0
}

/// The full thin SVD `A = U·diag(σ)·Vᵀ` of an `m × n` matrix, by one-sided (Hestenes) Jacobi in `Double`.
///
/// With `k = min(m, n)`: `U` is `m × k`, `σ` has `k` descending entries, `V` is `n × k`, and both `U` and
/// `V` have orthonormal columns. Columns of `U` for zero singular values are completed to an orthonormal
/// set deterministically. Signs follow the convention "largest-magnitude entry of each `V` column is positive".
/// This is the exact reference path; its cost is O(m·n·min(m, n)) per sweep, so use it for small matrices.
public func denseSVD(_ a: DenseMatrix) -> TruncatedSVDResult {
    if a.rows < a.columns {
        let t = jacobiSVD(a.transposed())
        return signFixed(u: t.v, singularValues: t.singularValues, v: t.u)
    }
    let r = jacobiSVD(a)
    return signFixed(u: r.u, singularValues: r.singularValues, v: r.v)
}

/// One-sided Jacobi for a tall matrix (`m ≥ n`); returns `U` (`m × n`), `σ`, `V` (`n × n`) in `Double`.
private func jacobiSVD(_ a: DenseMatrix) -> (u: [[Double]], singularValues: [Double], v: [[Double]]) {
    let (m, n) = (a.rows, a.columns)
    var w = (0..<n).map { j in (0..<m).map { Double(a.values[$0 * n + j]) } }
    var v = (0..<n).map { j in (0..<n).map { $0 == j ? 1.0 : 0.0 } }
    for _ in 0..<80 {
        var rotated = false
        for p in 0..<n {
            for q in (p + 1)..<max(p + 1, n) {
                var alpha = 0.0, beta = 0.0, gamma = 0.0
                for i in 0..<m {
                    alpha += w[p][i] * w[p][i]
                    beta += w[q][i] * w[q][i]
                    gamma += w[p][i] * w[q][i]
                }
                if gamma == 0 || abs(gamma) <= 1e-15 * (alpha * beta).squareRoot() { continue }
                rotated = true
                let zeta = (beta - alpha) / (2 * gamma)
                let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (1 + zeta * zeta).squareRoot())
                let c = 1 / (1 + t * t).squareRoot()
                let s = c * t
                for i in 0..<m {
                    let (x, y) = (w[p][i], w[q][i])
                    w[p][i] = c * x - s * y
                    w[q][i] = s * x + c * y
                }
                for i in 0..<n {
                    let (x, y) = (v[p][i], v[q][i])
                    v[p][i] = c * x - s * y
                    v[q][i] = s * x + c * y
                }
            }
        }
        if !rotated { break }
    }
    let norms = w.map { column in column.reduce(0.0) { $0 + $1 * $1 }.squareRoot() }
    let order = (0..<n).sorted { (norms[$0], -$0) > (norms[$1], -$1) }
    let largest = order.first.map { norms[$0] } ?? 0
    let tolerance = Double(max(m, n)) * 2.2e-16 * largest
    var u = [[Double]]()
    for j in order {
        if norms[j] > tolerance {
            u.append(w[j].map { $0 / norms[j] })
        } else {
            u.append(orthonormalCompletion(of: u, length: m))
        }
    }
    return (u, order.map { norms[$0] }, order.map { v[$0] })
}

/// A unit vector orthogonal to every vector in `basis`: the first standard basis vector whose
/// component outside the span (two Gram–Schmidt passes) is large enough.
private func orthonormalCompletion(of basis: [[Double]], length: Int) -> [Double] {
    for i in 0..<length {
        var x = [Double](repeating: 0, count: length)
        x[i] = 1
        for _ in 0..<2 {
            for b in basis {
                var projection = 0.0
                for t in 0..<length { projection += b[t] * x[t] }
                for t in 0..<length { x[t] -= projection * b[t] }
            }
        }
        let norm = x.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0.5 { return x.map { $0 / norm } }
    }
    return [Double](repeating: 0, count: length)
}

/// Packs column lists into a result, flipping each (u, v) pair so the largest-|·| entry of `v` is positive.
private func signFixed(u: [[Double]], singularValues: [Double], v: [[Double]]) -> TruncatedSVDResult {
    let k = singularValues.count
    let m = u.first?.count ?? 0
    let n = v.first?.count ?? 0
    var uOut = DenseMatrix(rows: m, columns: k)
    var vOut = DenseMatrix(rows: n, columns: k)
    for j in 0..<k {
        let sign: Double = largestMagnitudeIsNegative(v[j]) ? -1 : 1
        for i in 0..<m { uOut[i, j] = Float(sign * u[j][i]) }
        for i in 0..<n { vOut[i, j] = Float(sign * v[j][i]) }
    }
    return TruncatedSVDResult(u: uOut, singularValues: singularValues.map { Float($0) }, v: vOut)
}
