import MovieRecNumerics

extension Model {
    /// The blend weights `(α_svd, α_user, α_film)` that minimise the squared error on a held-out slice:
    ///
    ///     min_α Σ_{(u,i) ∈ validation} (r_ui − baseline_ui − α_svd·s_ui − α_user·a_ui − α_film·f_ui)²
    ///
    /// where `s`, `a`, `f` are the SVD term and the two attention sums of a model trained (with all
    /// α = 1) on the ratings outside the slice. Each rating is held out with probability
    /// ``ModelParameters/blendValidationShare``, drawn from ``SeededGenerator`` (seed + 2). The 3 × 3
    /// normal equations are solved in `Double`; `nil` when the slice is empty or the system is singular.
    static func fittedBlend(data: RatingData, parameters: ModelParameters) throws -> (svd: Float, user: Float, movie: Float)? {
        var generator = SeededGenerator(seed: parameters.seed &+ 2)
        var held: [Int] = [], kept: [Int] = []
        for t in 0..<data.count {
            if generator.nextUniform() < Double(parameters.blendValidationShare) { held.append(t) } else { kept.append(t) }
        }
        guard !held.isEmpty, !kept.isEmpty else { return nil }
        var inner = parameters
        inner.fitsBlend = false
        inner.svdWeight = 1
        inner.userAttentionWeight = 1
        inner.movieAttentionWeight = 1
        inner.watchRank = 1
        let subset = RatingData(userCount: data.userCount, movieCount: data.movieCount,
                                userIndex: kept.map { data.userIndex[$0] }, movieIndex: kept.map { data.movieIndex[$0] },
                                rating: kept.map { data.rating[$0] })
        let model = try train(data: subset, parameters: inner)
        var normal = [Double](repeating: 0, count: 9), right = [Double](repeating: 0, count: 3)
        for t in held {
            let explanation = try model.explain(.trained(Int(data.userIndex[t])), movie: Int(data.movieIndex[t]), limit: 0)
            let x = [Double(explanation.svd), Double(explanation.userAttention), Double(explanation.movieAttention)]
            let y = Double(data.rating[t] - explanation.baseline)
            for a in 0..<3 {
                right[a] += x[a] * y
                for b in 0..<3 { normal[a * 3 + b] += x[a] * x[b] }
            }
        }
        guard let alpha = solveSymmetric3(normal, right) else { return nil }
        return (Float(alpha[0]), Float(alpha[1]), Float(alpha[2]))
    }
}

/// Solves the 3 × 3 system `A·x = b` (row-major `A`) by Gaussian elimination with partial pivoting;
/// `nil` when a pivot is (relatively) zero.
func solveSymmetric3(_ matrix: [Double], _ rhs: [Double]) -> [Double]? {
    var a = matrix, b = rhs
    let scale = max(abs(a[0]), abs(a[4]), abs(a[8]), .leastNormalMagnitude)
    for column in 0..<3 {
        let pivot = (column..<3).max { abs(a[$0 * 3 + column]) < abs(a[$1 * 3 + column]) }!
        guard abs(a[pivot * 3 + column]) > 1e-12 * scale else { return nil }
        if pivot != column {
            for c in 0..<3 { a.swapAt(pivot * 3 + c, column * 3 + c) }
            b.swapAt(pivot, column)
        }
        for row in (column + 1)..<3 {
            let factor = a[row * 3 + column] / a[column * 3 + column]
            for c in column..<3 { a[row * 3 + c] -= factor * a[column * 3 + c] }
            b[row] -= factor * b[column]
        }
    }
    var x = [Double](repeating: 0, count: 3)
    for row in stride(from: 2, through: 0, by: -1) {
        var sum = b[row]
        for c in (row + 1)..<3 { sum -= a[row * 3 + c] * x[c] }
        x[row] = sum / a[row * 3 + row]
    }
    return x
}
