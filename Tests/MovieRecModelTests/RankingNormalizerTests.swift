@testable import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Ranking normalizers W̄ and Ī, saved with the model")
struct RankingNormalizerTests {
    @Test("W̄ is the mean watch score of the user's films (a plain Double sum); Ī is the one-user computation's")
    func savedValues() throws {
        let model = try Model.train(data: syntheticData(users: 90, movies: 70, density: 0.3, seed: 41),
                                    parameters: smallParameters())
        let normalizers = model.rankingNormalizers
        #expect(normalizers.meanWatch.count == model.userCount && normalizers.meanMovies.count == model.userCount)
        let vectors = model.rankingMovieVectors
        var work = RatedMovieWork()
        for user in 0..<model.userCount {
            let context = try model.context(.trained(user))
            var total = 0.0
            for movie in context.movies {
                for c in 0..<vectors.columns {
                    total += Double(context.watch[c]) * Double(vectors.values[Int(movie) * vectors.columns + c])
                }
            }
            let expected = total / Double(max(context.movies.count, 1))
            #expect(abs(Double(normalizers.meanWatch[user]) - expected) <= 1e-5 * max(1, abs(expected)), "user \(user)")
            #expect(normalizers.meanMovies[user]
                    == model.meanMovieAttention(context, values: model.movieValues(context), work: &work), "user \(user)")
            #expect(normalizers.meanMovies[user] > 0, "user \(user): positive ratings give a positive Ī")
        }
    }

    @Test("a reconfigured model keeps them unless τ_m or the attended-film limit changes; either way they equal a retrained model's")
    func carriedOrRecomputed() throws {
        let data = syntheticData(users: 90, movies: 70, density: 0.3, seed: 41)
        let model = try Model.train(data: data, parameters: smallParameters())
        var changes: [(String, (inout ModelParameters) -> Void, carried: Bool)] = []
        changes.append(("λ", { $0.attentionRankingWeight = 0.8 }, true))
        changes.append(("λ_m", { $0.movieRankingWeight = 0 }, true))
        changes.append(("τ_m", { $0.movieRankingTemperature = 0.5 }, false))
        changes.append(("L", { $0.attendedMovieLimit = 5 }, false))
        for (name, change, carried) in changes {
            var parameters = smallParameters()
            change(&parameters)
            let reconfigured = try model.reconfigured(parameters)
            let retrained = try Model.train(data: data, parameters: parameters)
            #expect(reconfigured.rankingNormalizers == retrained.rankingNormalizers, "\(name)")
            #expect((reconfigured.rankingNormalizers == model.rankingNormalizers) == carried, "\(name)")
            for user in [0, 45, 89] {
                #expect(try Recommender(model: reconfigured).topN(user: user, count: 6)
                        == Recommender(model: retrained).topN(user: user, count: 6), "\(name), user \(user)")
            }
        }
    }
}
