import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Blend fitting on a validation slice")
struct BlendFittingTests {
    @Test("fitted α equal a least-squares reference on the documented validation slice")
    func matchesReference() throws {
        let data = syntheticData()
        var parameters = smallParameters()
        parameters.fitsBlend = true
        parameters.blendValidationShare = 0.2
        let model = try Model.train(data: data, parameters: parameters)

        // Reference: the same slice (seed + 2, probability 0.2), a model with α = 1 on the rest,
        // then the 3 × 3 normal equations solved by Cramer's rule.
        var generator = SeededGenerator(seed: parameters.seed &+ 2)
        let held = (0..<data.count).map { _ in generator.nextUniform() < 0.2 }
        let kept = (0..<data.count).filter { !held[$0] }
        var inner = smallParameters()
        (inner.svdWeight, inner.userAttentionWeight, inner.movieAttentionWeight, inner.watchRank) = (1, 1, 1, 1)
        let reference = try Model.train(
            data: RatingData(userCount: data.userCount, movieCount: data.movieCount,
                             userIndex: kept.map { data.userIndex[$0] }, movieIndex: kept.map { data.movieIndex[$0] },
                             rating: kept.map { data.rating[$0] }),
            parameters: inner)
        var a = [[Double]](repeating: [0, 0, 0], count: 3), b = [0.0, 0, 0]
        for t in 0..<data.count where held[t] {
            let e = try reference.explain(.trained(Int(data.userIndex[t])), movie: Int(data.movieIndex[t]), limit: 0)
            let x = [Double(e.svd), Double(e.userAttention), Double(e.movieAttention)]
            for i in 0..<3 {
                b[i] += x[i] * Double(data.rating[t] - e.baseline)
                for j in 0..<3 { a[i][j] += x[i] * x[j] }
            }
        }
        func determinant(_ m: [[Double]]) -> Double {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        }
        let d = determinant(a)
        let alpha = (0..<3).map { column -> Double in
            var replaced = a
            for row in 0..<3 { replaced[row][column] = b[row] }
            return determinant(replaced) / d
        }
        let fitted = [model.parameters.svdWeight, model.parameters.userAttentionWeight, model.parameters.movieAttentionWeight]
        for (value, expected) in zip(fitted, alpha) { #expect(abs(Double(value) - expected) < 1e-3 * max(1, abs(expected))) }
        // The final model uses the fitted weights.
        let explanation = try model.explain(.trained(5), movie: 2)
        var svd: Float = 0
        for c in 0..<model.factors.rank { svd += model.factors.userVectors[5, c] * model.factors.movieVectors[2, c] }
        #expect(abs(explanation.svd - model.parameters.svdWeight * svd) < 1e-5)
    }
}
