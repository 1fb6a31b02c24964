import Foundation
import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Ranking: top-N over unrated films")
struct RecommenderTests {
    @Test("top-N never returns a rated film: asking for every film returns exactly the unrated ones")
    func neverRated() throws {
        let data = syntheticData()
        let model = try Model.train(data: data, parameters: smallParameters())
        let recommender = Recommender(model: model)
        for user in 0..<data.userCount {
            let rated = Set(model.ratings.userRange(user).map { Int(model.ratings.byUser.columnIndices[$0]) })
            let all = try recommender.topN(user: user, count: data.movieCount)
            #expect(Set(all.map(\.movie)) == Set(0..<data.movieCount).subtracting(rated))
            #expect(all.count == data.movieCount - rated.count)
        }
    }

    @Test("scores are Σ_c y_uc·(σ_c/σ₁)^ρ·V_w[i,c] + γ·(b_i + p_u·q_i), best first; predicted ratings match predict",
          arguments: [0, 0.3] as [Float])
    func scoresMatchReference(gamma: Float) throws {
        var parameters = smallParameters()
        parameters.ratingScoreWeight = gamma
        let model = try Model.train(data: syntheticData(), parameters: parameters)
        let (watch, factors) = (model.watchFactors, model.factors)
        for user in [4, 33] {
            let list = try Recommender(model: model).topN(user: user, count: 10, explain: true)
            let rated = Set(model.ratings.userRange(user).map { Int(model.ratings.byUser.columnIndices[$0]) })
            var reference: [(Int, Float)] = []
            for i in 0..<model.movieCount where !rated.contains(i) {
                var w: Float = 0, s: Float = 0
                for c in 0..<watch.rank {
                    let filter = Float(Foundation.pow(Double(watch.singularValues[c] / watch.singularValues[0]),
                                                           Double(model.parameters.watchSpectralExponent)))
                    w += watch.userVectors[user, c] * filter * watch.movieVectors[i, c]
                }
                for c in 0..<factors.rank { s += factors.userVectors[user, c] * factors.movieVectors[i, c] }
                reference.append((i, w + gamma * (model.baseline.movieBias[i] + s)))
            }
            reference.sort { $0.1 > $1.1 }
            #expect(list.count == 10)
            for (entry, expected) in zip(list, reference) { #expect(abs(entry.score - expected.1) < 1e-4) }
            for entry in list {
                #expect(entry.predictedRating == (try model.predict(user: user, movie: entry.movie)))
                let explanation = try #require(entry.explanation)
                #expect(!explanation.neighbours.isEmpty)
                let total = explanation.neighbours.map(\.weight).reduce(0, +)
                #expect(total <= 2 + 1e-5)
            }
        }
    }

    @Test("a folded-in user gets films they did not rate, and the same list as the trained twin")
    func foldedUser() throws {
        let model = try Model.train(data: syntheticData(), parameters: smallParameters())
        let recommender = Recommender(model: model)
        let ratings = model.ratings.userRange(12).map {
            (movie: model.ratings.byUser.columnIndices[$0], rating: model.ratings.byUser.values[$0])
        }
        let folded = try model.foldIn(ratings: ratings)
        let list = try recommender.topN(folded: folded, count: 15)
        #expect(list.count == 15)
        #expect(Set(list.map(\.movie)).isDisjoint(with: Set(ratings.map { Int($0.movie) })))
        #expect(list.map(\.movie) == (try recommender.topN(user: 12, count: 15)).map(\.movie))
        #expect(list.allSatisfy { $0.explanation == nil })
    }

    @Test("same seed → identical model and output; input order does not matter")
    func deterministic() throws {
        let data = syntheticData()
        let shuffled = RatingData(userCount: data.userCount, movieCount: data.movieCount,
                                  userIndex: data.userIndex.reversed(), movieIndex: data.movieIndex.reversed(),
                                  rating: data.rating.reversed())
        let first = try Model.train(data: data, parameters: smallParameters())
        let second = try Model.train(data: shuffled, parameters: smallParameters())
        #expect(first.encode() == second.encode())
        #expect(try Recommender(model: first).topN(user: 3, count: 10, explain: true)
                == Recommender(model: second).topN(user: 3, count: 10, explain: true))
        #expect(try first.mostSimilarUsers(to: 3, count: 5) == second.mostSimilarUsers(to: 3, count: 5))
    }
}
