import Foundation
import MovieRecModel
import MovieRecNumerics
import Testing

/// Exact values of section 1 of the worked example (`baseline none`).
@Suite("Worked example: truncated SVD, latent cosines, fold-in")
struct WorkedExampleTests {
    @Test("singular values 12.4810, 9.5086, 1.3456")
    func singularValues() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 3))
        let expected: [Float] = [12.4810, 9.5086, 1.3456]
        for (value, reference) in zip(model.factors.singularValues, expected) {
            #expect(abs(value - reference) < 1e-3)
        }
        #expect(model.factors.rank == 3)
    }

    @Test("user vectors U_k·S_k match the worked example up to the sign of each column")
    func userVectors() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 2))
        let expected: [[Float]] = [[1.7174, 0.2245], [5.1521, 0.6735], [6.8695, 0.8980], [8.5869, 1.1226],
                                   [1.9068, -5.6206], [0.9013, -6.9538], [0.9534, -2.8103]]
        let vectors = model.factors.userVectors
        for column in 0..<2 {
            let sign: Float = vectors[0, column] * expected[0][column] < 0 ? -1 : 1
            for user in 0..<7 {
                #expect(abs(sign * vectors[user, column] - expected[user][column]) < 2e-3,
                        "P\(user + 1), column \(column)")
            }
        }
    }

    @Test("latent cosines: P1–P4 1.0, P5–P6 0.9804, P1–P5 0.1958, P1–P6 −0.0011")
    func latentCosines() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 2))
        func cosine(_ a: Int, _ b: Int) throws -> Float { try model.latentCosine(.trained(a - 1), .trained(b - 1)) }
        #expect(abs(try cosine(1, 4) - 1) < 1e-4)
        #expect(abs(try cosine(2, 3) - 1) < 1e-4)
        #expect(abs(try cosine(5, 7) - 1) < 1e-3)
        #expect(abs(try cosine(5, 6) - 0.9804) < 1e-4)
        #expect(abs(try cosine(1, 5) - 0.1958) < 1e-4)
        #expect(abs(try cosine(1, 6) - -0.0011) < 1e-4)
    }

    @Test("P8/P9: raw cosine 0 (no common film), fold-in cosine 0.9877 in U space and 0.9926 scaled")
    func foldInOfNewUsers() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 2))
        let p8 = try model.foldIn(ratings: WorkedExample.p8)
        let p9 = try model.foldIn(ratings: WorkedExample.p9)
        let comparison = try model.compare(.folded(p8), .folded(p9))
        #expect(comparison.rawCosine.value == 0)
        #expect(comparison.rawCosine.commonMovies == 0)
        #expect(!comparison.rawCosine.hasEnoughOverlap)
        #expect(abs(referenceCosine(p8.latentCoordinates, p9.latentCoordinates) - 0.9877) < 1e-4)
        #expect(abs(referenceCosine(p8.similarityVector, p9.similarityVector) - 0.9926) < 1e-4)
        #expect(abs(comparison.latentCosine - 0.9926) < 1e-4)
        // The scaled vector is u·S_k.
        for c in 0..<2 {
            #expect(abs(p9.latentCoordinates[c] * model.factors.singularValues[c] - p9.similarityVector[c]) < 1e-4)
        }
    }

    @Test("fold-in of a trained user's own row reproduces the trained vector (baseline none)")
    func foldInOfExistingUsers() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 2))
        for (user, row) in WorkedExample.matrix.enumerated() {
            let ratings = row.enumerated().filter { $0.element != 0 }.map { (movie: Int32($0.offset), rating: $0.element) }
            let folded = try model.foldIn(ratings: ratings)
            for c in 0..<2 {
                #expect(abs(folded.similarityVector[c] - model.factors.userVectors[user, c]) < 1e-4)
            }
            #expect(folded.bias == 0)
        }
    }
}

@Suite("Worked example: the ranking attention and its reasons")
struct WorkedExampleRankingTests {
    /// P5 (Matrix 2, Mail 4, Titanic 4) gets Star Wars and Iron Man. Every neighbour who rated them (P1–P4)
    /// rated them exactly at their own mean (1, 3, 4, 5), so each value is 1; P1–P4 have parallel watch
    /// vectors, so they share one cosine to P5 and one weight: each brings a quarter of the attention part.
    @Test("the reasons' contributions sum to the attention part, and attention + watch is the ranking score")
    func reasonsReproduceTheScore() throws {
        var parameters = WorkedExample.parameters(rank: 2)
        parameters.rankingNeighbours = 6
        let model = try Model.train(data: WorkedExample.data, parameters: parameters)
        let list = try Recommender(model: model).topN(user: 4, count: 2, explain: true, floor: .off)
        #expect(Set(list.map(\.movie)) == [0, 2])
        let scale = Float(2).squareRoot() / parameters.rankingTemperature
        for entry in list {
            let ranking = try #require(entry.ranking)
            #expect(ranking.reasons.map(\.user).sorted() == [0, 1, 2, 3])
            #expect(ranking.reasons.allSatisfy { $0.value == 1 && $0.rating == [1, 3, 4, 5][$0.user] })
            let total = ranking.reasons.map(\.contribution).reduce(0, +)
            #expect(abs(total - ranking.attention) <= 1e-6 * abs(ranking.attention))
            #expect(abs(ranking.attention + ranking.watch + ranking.ratedMovies - entry.score) <= 1e-6 * abs(entry.score))
            let first = ranking.reasons[0]
            #expect(ranking.reasons.allSatisfy { abs($0.contribution - first.contribution) <= 1e-6 * first.contribution })
            #expect(ranking.reasons.allSatisfy { abs($0.cosine - first.cosine) < 1e-5 })
            // The weights are the softmax of √d·cos/τ over the six neighbours and the null key (logit 0):
            // the four of P1–P4 plus those of P6, P7 (who did not rate the film) and the null key sum to 1.
            let positive = ranking.attention + ranking.ratedMovies + max(ranking.watch, 0)
            #expect(abs(ranking.share(of: first) * positive - first.contribution) < 1e-6)
            let userShares: Float = ranking.reasons.map { ranking.share(of: $0) }.reduce(0, +)
            let movieShares: Float = ranking.movieReasons.map { ranking.share(of: $0) }.reduce(0, +)
            #expect(userShares + movieShares <= 1 + 1e-6)
            #expect(first.weight < 0.25 && first.weight > 0)
            #expect(abs(first.weight - Foundation.exp(scale * first.cosine) / (1 + 4 * Foundation.exp(scale * first.cosine)
                + otherWeightsSum(model: model, scale: scale))) < 1e-5)
        }
    }

    /// P5 rated The Matrix 2, You've Got Mail 4 and Titanic 4 (mean 10/3: values 0.6, 1.2, 1.2). Film cosines in
    /// `V_k·S_k^1.5` (k = 2, from numpy's exact SVD of the matrix): Star Wars–Matrix 0.983677, Star Wars–Mail and
    /// –Titanic 0.043826 (Iron Man's column equals Star Wars'). With τ_m = 1 the weights softmax(0, √2·cos) are
    /// 0.562367, 0.148860, 0.148860, so I = 0.694683; Ī over P5's own films (each without itself) is 0.885142, and
    /// with λ_m = 0.5 the rated-film part is 0.5·I/Ī = 0.392413, made of 0.190602 (Matrix) + 2 × 0.100906.
    @Test("the rated-film reasons: weights, contributions and part match a numpy reference; they sum to the part")
    func ratedFilmReasons() throws {
        var parameters = WorkedExample.parameters(rank: 2)
        parameters.rankingNeighbours = 6
        parameters.movieRankingWeight = 0.5
        parameters.movieRankingTemperature = 1
        let model = try Model.train(data: WorkedExample.data, parameters: parameters)
        let list = try Recommender(model: model).topN(user: 4, count: 2, explain: true, floor: .off)
        #expect(Set(list.map(\.movie)) == [0, 2])
        let p5 = WorkedExample.matrix[4].enumerated().filter { $0.element != 0 }
            .map { (movie: Int32($0.offset), rating: $0.element) }
        let folded = try Recommender(model: model).topN(folded: try model.foldIn(ratings: p5), count: 2, explain: true,
                                                        floor: .off)
        for entry in list + folded {
            let ranking = try #require(entry.ranking)
            #expect(abs(ranking.ratedMovies - 0.392413) < 1e-3)
            #expect(ranking.movieReasons.map(\.movie) == [1, 3, 4])
            let expected: [(weight: Float, cosine: Float, rating: Float, value: Float, contribution: Float)] = [
                (0.562367, 0.983677, 2, 0.6, 0.190602), (0.148860, 0.043826, 4, 1.2, 0.100906),
                (0.148860, 0.043826, 4, 1.2, 0.100906)]
            for (reason, reference) in zip(ranking.movieReasons, expected) {
                #expect(abs(reason.weight - reference.weight) < 1e-3)
                #expect(abs(reason.cosine - reference.cosine) < 1e-3)
                #expect(reason.rating == reference.rating)
                #expect(abs(reason.value - reference.value) < 1e-6)
                #expect(abs(reason.contribution - reference.contribution) < 1e-3)
            }
            // The reasons reproduce the part exactly, and the three parts the score.
            let total = ranking.movieReasons.map(\.contribution).reduce(0, +)
            #expect(abs(total - ranking.ratedMovies) <= 1e-6 * ranking.ratedMovies)
            #expect(abs(ranking.score - entry.score) <= 1e-6 * abs(entry.score))
            let positive = ranking.attention + ranking.ratedMovies + max(ranking.watch, 0)
            #expect(abs(ranking.ratedMovieShare * positive - ranking.ratedMovies) < 1e-6)
        }
        // Without the rated-film term the other two parts keep their whole shares: each is 1/(1 − λ_m) as large.
        var plain = parameters
        plain.movieRankingWeight = 0
        let without = try Recommender(model: try model.reconfigured(plain)).topN(user: 4, count: 2, explain: true,
                                                                                 floor: .off)
        for b in without {
            let a = try #require(list.first { $0.movie == b.movie })
            let (with, alone) = (try #require(a.ranking), try #require(b.ranking))
            #expect(alone.ratedMovies == 0 && alone.movieReasons.isEmpty)
            #expect(abs(alone.attention - 2 * with.attention) <= 1e-5 * abs(alone.attention))
            #expect(abs(alone.watch - 2 * with.watch) <= 1e-5 * abs(alone.watch) + 1e-6)
        }
    }

    /// exp(√d·cos/τ) summed over P6 and P7 for P5, from the model's watch vectors (filtered by (σ_c/σ₁)^ρ).
    private func otherWeightsSum(model: TrainedModel, scale: Float) -> Float {
        let watch = model.watchFactors
        let filter = watch.spectralWeights(exponent: model.parameters.watchSpectralExponent)
        func key(_ u: Int) -> [Float] {
            let row = (0..<watch.rank).map { watch.userVectors[u, $0] * filter[$0] }
            let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
            return row.map { $0 / norm }
        }
        return [5, 6].map { v in Foundation.exp(scale * zip(key(4), key(v)).map { $0 * $1 }.reduce(0, +)) }.reduce(0, +)
    }
}
