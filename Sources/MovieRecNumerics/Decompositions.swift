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

/// Eigen-decomposition `A = V·diag(λ)·Vᵀ` of a symmetric `n × n` matrix (row-major `Double`): Householder
/// reduction to tridiagonal form, then the implicit QL algorithm (the EISPACK `tred2`/`tql2` pair), about
/// `9·n³` flops instead of the several sweeps of `1.5·n³` that Jacobi rotations take.
///
/// Returns the eigenvalues in descending order and the eigenvectors as the columns of a row-major
/// `n × n` array: component `i` of eigenvector `j` is `vectors[i * n + j]`. Each eigenvector's
/// largest-magnitude component is made positive, so the output is deterministic (only `+ − × ÷ √`, no
/// library calls whose last bit could differ between platforms).
public func symmetricEigen(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
    precondition(a.count == n * n, "symmetricEigen: \(a.count) values for a \(n)×\(n) matrix")
    guard n > 0 else { return ([], []) }
    var v = a                                   // v[i * n + j]: V[i][j]
    var d = [Double](repeating: 0, count: n)
    var e = [Double](repeating: 0, count: n)
    tridiagonalize(&v, &d, &e, n)
    // The QL sweeps rotate columns of V; work on its transpose so each rotation touches two contiguous rows.
    var w = [Double](repeating: 0, count: n * n)
    for i in 0..<n { for j in 0..<n { w[j * n + i] = v[i * n + j] } }
    diagonalizeTridiagonal(&w, &d, &e, n)
    let order = (0..<n).sorted { (d[$0], -$0) > (d[$1], -$1) }
    var values = [Double](repeating: 0, count: n)
    var vectors = [Double](repeating: 0, count: n * n)
    for (j, source) in order.enumerated() {
        values[j] = d[source]
        var column = Array(w[(source * n)..<(source * n + n)])
        if largestMagnitudeIsNegative(column) { column = column.map { -$0 } }
        for i in 0..<n { vectors[i * n + j] = column[i] }
    }
    return (values, vectors)
}

/// Householder reduction of the symmetric `v` to tridiagonal form (`tred2`): on return `d` is the diagonal,
/// `e[1...]` the subdiagonal and `v` the orthogonal transformation (row-major).
private func tridiagonalize(_ v: inout [Double], _ d: inout [Double], _ e: inout [Double], _ n: Int) {
    for j in 0..<n { d[j] = v[(n - 1) * n + j] }
    for i in stride(from: n - 1, to: 0, by: -1) {
        var scale = 0.0
        var h = 0.0
        for k in 0..<i { scale += abs(d[k]) }
        if scale == 0 {
            e[i] = d[i - 1]
            for j in 0..<i {
                d[j] = v[(i - 1) * n + j]
                v[i * n + j] = 0
                v[j * n + i] = 0
            }
        } else {
            for k in 0..<i {
                d[k] /= scale
                h += d[k] * d[k]
            }
            var f = d[i - 1]
            var g = h.squareRoot()
            if f > 0 { g = -g }
            e[i] = scale * g
            h -= f * g
            d[i - 1] = f - g
            for j in 0..<i { e[j] = 0 }
            for j in 0..<i {
                f = d[j]
                v[j * n + i] = f
                g = e[j] + v[j * n + j] * f
                if j + 1 <= i - 1 {
                    for k in (j + 1)...(i - 1) {
                        g += v[k * n + j] * d[k]
                        e[k] += v[k * n + j] * f
                    }
                }
                e[j] = g
            }
            f = 0
            for j in 0..<i {
                e[j] /= h
                f += e[j] * d[j]
            }
            let hh = f / (h + h)
            for j in 0..<i { e[j] -= hh * d[j] }
            for j in 0..<i {
                f = d[j]
                g = e[j]
                for k in j...(i - 1) { v[k * n + j] -= f * e[k] + g * d[k] }
                d[j] = v[(i - 1) * n + j]
                v[i * n + j] = 0
            }
        }
        d[i] = h
    }
    for i in 0..<(n - 1) {
        v[(n - 1) * n + i] = v[i * n + i]
        v[i * n + i] = 1
        let h = d[i + 1]
        if h != 0 {
            for k in 0...i { d[k] = v[k * n + i + 1] / h }
            for j in 0...i {
                var g = 0.0
                for k in 0...i { g += v[k * n + i + 1] * v[k * n + j] }
                for k in 0...i { v[k * n + j] -= g * d[k] }
            }
        }
        for k in 0...i { v[k * n + i + 1] = 0 }
    }
    for j in 0..<n {
        d[j] = v[(n - 1) * n + j]
        v[(n - 1) * n + j] = 0
    }
    v[(n - 1) * n + n - 1] = 1
    e[0] = 0
}

/// Implicit QL iterations on the tridiagonal matrix (`tql2`): on return `d` holds the eigenvalues (unsorted)
/// and row `j` of `w` (the transposed transformation) the eigenvector of `d[j]`.
private func diagonalizeTridiagonal(_ w: inout [Double], _ d: inout [Double], _ e: inout [Double], _ n: Int) {
    for i in 1..<max(n, 1) { e[i - 1] = e[i] }
    e[n - 1] = 0
    var f = 0.0
    var largest = 0.0
    let eps = Double.ulpOfOne
    func radius(_ x: Double, _ y: Double) -> Double { (x * x + y * y).squareRoot() }
    for l in 0..<n {
        largest = max(largest, abs(d[l]) + abs(e[l]))
        var m = l
        while m < n - 1 && abs(e[m]) > eps * largest { m += 1 }
        if m > l {
            var iterations = 0
            repeat {
                iterations += 1
                var g = d[l]
                var p = (d[l + 1] - g) / (2 * e[l])
                var r = radius(p, 1)
                if p < 0 { r = -r }
                d[l] = e[l] / (p + r)
                d[l + 1] = e[l] * (p + r)
                let dl1 = d[l + 1]
                var h = g - d[l]
                if l + 2 < n { for i in (l + 2)..<n { d[i] -= h } }
                f += h
                p = d[m]
                var c = 1.0
                var c2 = c
                var c3 = c
                let el1 = e[l + 1]
                var s = 0.0
                var s2 = 0.0
                for i in stride(from: m - 1, through: l, by: -1) {
                    c3 = c2
                    c2 = c
                    s2 = s
                    g = c * e[i]
                    h = c * p
                    r = radius(p, e[i])
                    e[i + 1] = s * r
                    s = e[i] / r
                    c = p / r
                    p = c * d[i] - s * g
                    d[i + 1] = h + s * (c * g + s * d[i])
                    w.withUnsafeMutableBufferPointer { rows in
                        let upper = rows.baseAddress! + (i + 1) * n
                        let lower = rows.baseAddress! + i * n
                        for k in 0..<n {
                            let x = upper[k]
                            upper[k] = s * lower[k] + c * x
                            lower[k] = c * lower[k] - s * x
                        }
                    }
                }
                p = -s * s2 * c3 * el1 * e[l] / dl1
                e[l] = s * p
                d[l] = c * p
            } while abs(e[l]) > eps * largest && iterations < 60
        }
        d[l] += f
        e[l] = 0
    }
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
