import MovieRecModel
import Testing

@Suite("Baseline: regularised alternating least squares")
struct BaselineTests {
    @Test("one sweep on a 2 × 2 matrix against a hand computation")
    func handComputedSweep() throws {
        // u0: f0 = 4, f1 = 2; u1: f0 = 5.  μ = 11/3, λ_i = λ_u = 1.
        // b_f0 = ((4 − μ) + (5 − μ)) / 3 = 5/9;  b_f1 = (2 − μ) / 2 = −5/6;
        // b_u0 = ((4 − μ − 5/9) + (2 − μ + 5/6)) / 3 = −19/54;  b_u1 = (5 − μ − 5/9) / 2 = 7/18.
        let data = RatingData(userCount: 2, movieCount: 2, userIndex: [0, 0, 1], movieIndex: [0, 1, 0], rating: [4, 2, 5])
        let baseline = BaselineEstimator(movieRegularization: 1, userRegularization: 1, sweeps: 1)
            .fit(try RatingMatrix(data))
        #expect(abs(baseline.globalMean - 11.0 / 3) < 1e-6)
        #expect(abs(baseline.movieBias[0] - 5.0 / 9) < 1e-6)
        #expect(abs(baseline.movieBias[1] - -5.0 / 6) < 1e-6)
        #expect(abs(baseline.userBias[0] - -19.0 / 54) < 1e-6)
        #expect(abs(baseline.userBias[1] - 7.0 / 18) < 1e-6)
        #expect(abs(baseline.estimate(user: 1, movie: 1) - Float(11.0 / 3 + 7.0 / 18 - 5.0 / 6)) < 1e-6)
    }

    @Test("ten sweeps with the Surprise defaults match a straightforward reference implementation")
    func matchesReference() throws {
        let data = syntheticData()
        let baseline = BaselineEstimator().fit(try RatingMatrix(data))
        // Reference: plain loops over the triplets in Double.
        let mu = data.rating.reduce(0.0) { $0 + Double($1) } / Double(data.count)
        var bu = [Double](repeating: 0, count: data.userCount), bi = [Double](repeating: 0, count: data.movieCount)
        for _ in 0..<10 {
            var sum = [Double](repeating: 0, count: data.movieCount), n = sum
            for t in 0..<data.count {
                sum[Int(data.movieIndex[t])] += Double(data.rating[t]) - mu - bu[Int(data.userIndex[t])]
                n[Int(data.movieIndex[t])] += 1
            }
            for i in 0..<data.movieCount { bi[i] = sum[i] / (10 + n[i]) }
            var userSum = [Double](repeating: 0, count: data.userCount), userN = userSum
            for t in 0..<data.count {
                userSum[Int(data.userIndex[t])] += Double(data.rating[t]) - mu - bi[Int(data.movieIndex[t])]
                userN[Int(data.userIndex[t])] += 1
            }
            for u in 0..<data.userCount { bu[u] = userSum[u] / (15 + userN[u]) }
        }
        #expect(abs(Double(baseline.globalMean) - mu) < 1e-5)
        for i in 0..<data.movieCount { #expect(abs(Double(baseline.movieBias[i]) - bi[i]) < 1e-4) }
        for u in 0..<data.userCount { #expect(abs(Double(baseline.userBias[u]) - bu[u]) < 1e-4) }
    }

    @Test("mode none: μ = 0 and all biases 0")
    func noneMode() throws {
        let baseline = BaselineEstimator().fit(try RatingMatrix(WorkedExample.data), mode: .none)
        #expect(baseline.globalMean == 0)
        #expect(baseline.userBias.allSatisfy { $0 == 0 } && baseline.movieBias.allSatisfy { $0 == 0 })
    }

    @Test("a new user's shrunk bias equals a trained user's bias for the same ratings")
    func foldedBiasMatchesTrainedBias() throws {
        let data = syntheticData()
        let model = try Model.train(data: data, parameters: smallParameters())
        for user in [0, 7, 42] {
            let range = model.ratings.userRange(user)
            let ratings = range.map { (movie: model.ratings.byUser.columnIndices[$0], rating: model.ratings.byUser.values[$0]) }
            #expect(model.baseline.userBias(for: ratings, userRegularization: 15) == model.baseline.userBias[user])
        }
    }
}
