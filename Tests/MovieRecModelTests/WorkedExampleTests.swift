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
            #expect(abs(ranking.attention + ranking.watch - entry.score) <= 1e-6 * abs(entry.score))
            let first = ranking.reasons[0]
            #expect(ranking.reasons.allSatisfy { abs($0.contribution - first.contribution) <= 1e-6 * first.contribution })
            #expect(ranking.reasons.allSatisfy { abs($0.cosine - first.cosine) < 1e-5 })
            // The weights are the softmax of √d·cos/τ over the six neighbours and the null key (logit 0):
            // the four of P1–P4 plus those of P6, P7 (who did not rate the film) and the null key sum to 1.
            #expect(abs(ranking.share(of: first) * (ranking.attention + max(ranking.watch, 0)) - first.contribution) < 1e-6)
            #expect(ranking.reasons.map { ranking.share(of: $0) }.reduce(0, +) <= 1 + 1e-6)
            #expect(first.weight < 0.25 && first.weight > 0)
            #expect(abs(first.weight - Foundation.exp(scale * first.cosine) / (1 + 4 * Foundation.exp(scale * first.cosine)
                + otherWeightsSum(model: model, scale: scale))) < 1e-5)
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
