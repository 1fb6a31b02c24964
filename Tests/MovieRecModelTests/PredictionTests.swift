import Foundation
import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Prediction: baseline + SVD + attention over user and film neighbours")
struct PredictionTests {
    /// `μ + b_u + b_i + α_svd·p_u·q_i` from the public factors.
    func baselinePlusSVD(_ model: TrainedModel, user: Int, movie: Int) -> Float {
        let k = model.factors.rank
        var svd: Float = 0
        for c in 0..<k { svd += model.factors.userVectors[user, c] * model.factors.movieVectors[movie, c] }
        return model.baseline.estimate(user: user, movie: movie) + model.parameters.svdWeight * svd
    }

    @Test("with no neighbours (K = 0) all weight is on the null key and r̂ = baseline + SVD estimate")
    func nullKeyFallback() throws {
        var parameters = smallParameters()
        parameters.neighbours = 0
        let model = try Model.train(data: syntheticData(), parameters: parameters)
        for (user, movie) in [(0, 0), (3, 17), (50, 59)] {
            let explanation = try model.explain(.trained(user), movie: movie)
            #expect(explanation.userNullWeight == 1 && explanation.movieNullWeight == 1)
            #expect(explanation.userAttention == 0 && explanation.movieAttention == 0)
            #expect(explanation.neighbours.isEmpty)
            let expected = min(max(baselinePlusSVD(model, user: user, movie: movie), 0.5), 5)
            #expect(abs(try model.predict(user: user, movie: movie) - expected) < 1e-5)
        }
    }

    @Test("a film nobody rated, for a user with no ratings: exactly baseline + SVD estimate")
    func filmWithoutNeighbours() throws {
        // Film 3 has no ratings at all.
        let matrix: [[Float]] = [[4, 2, 5, 0], [3, 0, 4, 0], [5, 1, 0, 0], [2, 3, 3, 0]]
        var parameters = smallParameters()
        parameters.rank = 2
        let model = try Model.train(data: ratingData(from: matrix), parameters: parameters)
        let newcomer = try model.foldIn(ratings: [])
        let explanation = try model.explain(.folded(newcomer), movie: 3)
        #expect(explanation.userNullWeight == 1 && explanation.movieNullWeight == 1)
        #expect(explanation.unclippedRating == explanation.baseline + explanation.svd)
        #expect(explanation.baseline == model.baseline.globalMean + model.baseline.movieBias[3])
        // A trained user: no user neighbours for film 3, so that term is exactly 0.
        let trained = try model.explain(.trained(0), movie: 3)
        #expect(trained.userNullWeight == 1 && trained.userAttention == 0)
    }

    /// Film i's row of `V_k·S_k^e` (the film-similarity space), computed in Double from the public factors.
    func scaledMovie(_ model: TrainedModel, _ i: Int) -> [Float] {
        let (factors, e) = (model.factors, Double(model.parameters.movieSimilarityExponent))
        return (0..<factors.rank).map {
            factors.movieVectors[i, $0] * Float(Foundation.pow(Double(factors.singularValues[$0]), e))
        }
    }

    /// The reference attention sum: the `keep` neighbours with the largest cosines, weights softmax(0, √d·cos/τ)
    /// (the 0 is the null key, value 0), in Double.
    func referenceAttention(_ neighbours: [(cosine: Double, residual: Double)], keep: Int, dimension: Int,
                            temperature: Double) -> Double {
        let top = neighbours.sorted { $0.cosine > $1.cosine }.prefix(keep)
        let logits = top.map { Double(dimension).squareRoot() * $0.cosine / temperature }
        let total = 1 + logits.map { Foundation.exp($0) }.reduce(0, +)
        return zip(top, logits).map { $0.residual * Foundation.exp($1) / total }.reduce(0, +)
    }

    @Test("attention terms match a brute-force reference: top-K neighbours, softmax(0, √d·cos/τ), residual values (rater cosines on binary16 rows)")
    func attentionMatchesReference() throws {
        var parameters = smallParameters()
        parameters.neighbours = 4
        parameters.temperature = 1.5
        parameters.userAttentionWeight = 0.7
        parameters.movieAttentionWeight = 0.3
        let model = try Model.train(data: syntheticData(), parameters: parameters)
        let (ratings, baseline, factors) = (model.ratings, model.baseline, model.factors)
        func scaledMovie(_ i: Int) -> [Float] { self.scaledMovie(model, i) }
        func unitRow(_ u: Int) -> [Double] {
            let row = factors.userVectors.row(u).map(Double.init)
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return row.map { $0 / norm }
        }
        func attention(_ neighbours: [(cosine: Double, residual: Double)]) -> Double {
            referenceAttention(neighbours, keep: 4, dimension: factors.rank, temperature: 1.5)
        }
        for (user, movie) in [(2, 9), (30, 1), (77, 40)] {
            // The raters' cosines are taken on binary16 copies of their unit rows (half the bytes read per rater).
            let query = unitRow(user)
            let raters = ratings.movieRange(movie).filter { Int(ratings.byMovie.columnIndices[$0]) != user }.map { p in
                let v = Int(ratings.byMovie.columnIndices[p])
                let halfRow = unitRow(v).map { binary16Rounded(Float($0)) }
                return (cosine: zip(query, halfRow).reduce(0.0) { $0 + $1.0 * Double($1.1) },
                        residual: Double(ratings.byMovie.values[p] - baseline.estimate(user: v, movie: movie)))
            }
            let films = ratings.userRange(user).filter { Int(ratings.byUser.columnIndices[$0]) != movie }.map { p in
                let j = Int(ratings.byUser.columnIndices[p])
                return (cosine: referenceCosine(scaledMovie(movie), scaledMovie(j)),
                        residual: Double(ratings.byUser.values[p] - baseline.estimate(user: user, movie: j)))
            }
            let explanation = try model.explain(.trained(user), movie: movie, limit: 3)
            #expect(abs(Double(explanation.userAttention) - 0.7 * attention(raters)) < 1e-5)
            #expect(abs(Double(explanation.movieAttention) - 0.3 * attention(films)) < 1e-5)
            #expect(abs(explanation.baseline - baseline.estimate(user: user, movie: movie)) < 1e-6)
            #expect(explanation.neighbours.count == 3)
            #expect(zip(explanation.neighbours, explanation.neighbours.dropFirst()).allSatisfy { $0.weight >= $1.weight })
            let prediction = try model.predict(user: user, movie: movie)
            #expect(prediction == min(max(explanation.unclippedRating, 0.5), 5))
        }
    }

    @Test("with an attended-film limit L, the film attention is the reference over the films movies[t·n/L] alone")
    func attendedMovieLimitKeepsEvenlySpacedFilms() throws {
        var parameters = smallParameters()
        parameters.neighbours = 4
        parameters.temperature = 1.5
        parameters.movieAttentionWeight = 0.3
        let full = try Model.train(data: syntheticData(), parameters: parameters)
        parameters.attendedMovieLimit = 5
        let limited = try full.reconfigured(parameters)
        let (ratings, baseline, factors) = (full.ratings, full.baseline, full.factors)
        func scaledMovie(_ i: Int) -> [Float] { self.scaledMovie(full, i) }
        func attention(_ neighbours: [(cosine: Double, residual: Double)]) -> Double {
            referenceAttention(neighbours, keep: 4, dimension: factors.rank, temperature: 1.5)
        }
        var checked = 0
        for user in 0..<ratings.userCount where ratings.userRange(user).count > 8 {
            let row = Array(ratings.userRange(user))
            let picks = (0..<5).map { row[$0 * row.count / 5] }
            let movie = (0..<ratings.movieCount).first { i in !row.contains { ratings.byUser.columnIndices[$0] == i } }!
            let films = picks.map { p in
                let j = Int(ratings.byUser.columnIndices[p])
                return (cosine: referenceCosine(scaledMovie(movie), scaledMovie(j)),
                        residual: Double(ratings.byUser.values[p] - baseline.estimate(user: user, movie: j)))
            }
            let explanation = try limited.explain(.trained(user), movie: movie, limit: 20)
            #expect(abs(Double(explanation.movieAttention) - 0.3 * attention(films)) < 1e-5)
            // The user attention and everything else are the full model's.
            let unlimited = try full.explain(.trained(user), movie: movie, limit: 20)
            #expect(explanation.userAttention == unlimited.userAttention && explanation.svd == unlimited.svd)
            #expect(explanation.movieAttention != unlimited.movieAttention)
            let kept = Set(picks.map { Int(ratings.byUser.columnIndices[$0]) })
            #expect(explanation.neighbours.filter { $0.kind == .movie }.allSatisfy { kept.contains($0.index) })
            checked += 1
            if checked == 4 { break }
        }
        #expect(checked == 4)
    }

    @Test("predictions stay within the training rating scale")
    func clipped() throws {
        let data = syntheticData()
        let model = try Model.train(data: data, parameters: smallParameters())
        let (low, high) = (data.rating.min()!, data.rating.max()!)
        for user in stride(from: 0, to: data.userCount, by: 7) {
            for movie in stride(from: 0, to: data.movieCount, by: 5) {
                let r = try model.predict(user: user, movie: movie)
                #expect(r >= low && r <= high)
            }
        }
    }

    @Test("fold-in of a trained user's own row (with biases) reproduces the trained vector and predictions")
    func foldInCloseToTrained() throws {
        let model = try Model.train(data: syntheticData(), parameters: smallParameters())
        for user in [1, 40, 66] {
            let folded = try model.foldIn(ratings: model.ratings.userRange(user).map {
                (movie: model.ratings.byUser.columnIndices[$0], rating: model.ratings.byUser.values[$0])
            })
            let trained = Array(model.factors.userVectors.row(user))
            #expect(folded.bias == model.baseline.userBias[user])
            for (a, b) in zip(folded.similarityVector, trained) { #expect(abs(a - b) <= 1e-5 * max(abs(b), 1)) }
            // A film the user has not rated: for a rated one the trained user is itself one of the film's raters,
            // and so a legitimate user neighbour of its folded-in copy (but never of itself).
            let rated = Set(folded.movies)
            let unrated = try #require((0..<model.movieCount).first { !rated.contains(Int32($0)) })
            #expect(abs(try model.predict(.folded(folded), movie: unrated) - model.predict(user: user, movie: unrated)) < 1e-4)
        }
    }
}
