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
            let all = try recommender.topN(user: user, count: data.movieCount, floor: .off)
            #expect(Set(all.map(\.movie)) == Set(0..<data.movieCount).subtracting(rated))
            #expect(all.count == data.movieCount - rated.count)
        }
    }

    @Test("scores are (1−λ_m)·(λ·A/Ā + (1−λ)·W/W̄) + λ_m·I/Ī: nearest users by watch cosine, rated films by film cosine (reference in Double)",
          arguments: [Float(0), 0.5])
    func scoresMatchReference(movieShare: Float) throws {
        var parameters = smallParameters()
        parameters.rankingNeighbours = 12
        parameters.movieRankingWeight = movieShare
        parameters.movieRankingTemperature = 0.7
        parameters.movieRankingDepth = 60
        let model = try Model.train(data: syntheticData(), parameters: parameters)
        // Unit rows of V_k·S_k^e: the film-similarity space of the rated-film attention.
        let factors = model.factors
        let k = factors.rank
        let filmKeys: [[Double]] = (0..<model.movieCount).map { i in
            let row = (0..<k).map { Double(factors.movieVectors[i, $0])
                * Foundation.pow(Double(factors.singularValues[$0]), Double(parameters.movieSimilarityExponent)) }
            let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
            return row.map { $0 / norm }
        }
        let watch = model.watchFactors
        let (kw, users) = (watch.rank, model.userCount)
        let filter = (0..<kw).map { Foundation.pow(Double(watch.singularValues[$0] / watch.singularValues[0]),
                                                   Double(parameters.watchSpectralExponent)) }
        let keys: [[Double]] = (0..<users).map { u in
            let row = (0..<kw).map { Double(watch.userVectors[u, $0]) * filter[$0] }
            let norm = row.map { $0 * $0 }.reduce(0, +).squareRoot()
            return row.map { $0 / norm }
        }
        var rating = [[Int: Double]](repeating: [:], count: users)
        for u in 0..<users {
            for p in model.ratings.userRange(u) {
                rating[u][Int(model.ratings.byUser.columnIndices[p])] = Double(model.ratings.byUser.values[p])
            }
        }
        let mean = rating.map { $0.values.reduce(0, +) / Double($0.count) }
        let lambda = Double(parameters.attentionRankingWeight)
        var filmCounts: [Int] = []
        for user in [4, 33] {
            var all: [(user: Int, cosine: Double)] = []
            for v in 0..<users where v != user {
                var c = 0.0
                for t in 0..<kw { c += keys[user][t] * keys[v][t] }
                all.append((v, c))
            }
            all.sort { $0.cosine > $1.cosine || ($0.cosine == $1.cosine && $0.user < $1.user) }
            let cosines = Array(all.prefix(12))
            let logits = cosines.map { Double(kw).squareRoot() * $0.cosine / Double(parameters.rankingTemperature) }
            let denominator = 1 + logits.map { Foundation.exp($0) }.reduce(0, +)
            let weights = logits.map { Foundation.exp($0) / denominator }
            func attention(_ i: Int) -> Double {
                var sum = 0.0
                for (neighbour, w) in zip(cosines, weights) {
                    let value: Double = rating[neighbour.user][i] ?? 0
                    sum += value / mean[neighbour.user] * w
                }
                return sum
            }
            func watchScore(_ i: Int) -> Double {
                (0..<kw).map { Double(watch.userVectors[user, $0]) * filter[$0] * Double(watch.movieVectors[i, $0]) }
                    .reduce(0, +)
            }
            // I_i = Σ_j w_ij·r_uj/r̄_u over the films j ≠ i the user rated, w = softmax(0, √k·cos(i, j)/τ_m, …).
            func ratedFilms(_ i: Int) -> Double {
                let others = rating[user].filter { $0.key != i }
                let logits = others.map { other in
                    Double(k).squareRoot() * zip(filmKeys[i], filmKeys[other.key]).map { $0 * $1 }.reduce(0, +)
                        / Double(parameters.movieRankingTemperature)
                }
                let denominator = 1 + logits.map { Foundation.exp($0) }.reduce(0, +)
                return zip(others, logits).map { Foundation.exp($1) / denominator * $0.value / mean[user] }.reduce(0, +)
            }
            let own = rating[user].keys
            let meanAttention = own.map(attention).reduce(0, +) / Double(own.count)
            let meanWatch = own.map(watchScore).reduce(0, +) / Double(own.count)
            // Ī: over S = min(n, 16) of the user's n films, evenly spaced in ascending film order (t·n/S, t < S).
            let sorted = own.sorted()
            let sample = min(sorted.count, 16)
            filmCounts.append(sorted.count)
            let sampled = (0..<sample).map { sorted[$0 * sorted.count / sample] }
            let meanRated = sampled.map(ratedFilms).reduce(0, +) / Double(sample)
            let share = Double(movieShare)
            // 60 films, M = 60: every unrated film is re-ranked.
            #expect(model.movieCount - own.count <= parameters.movieRankingDepth)
            let reference = (0..<model.movieCount).filter { rating[user][$0] == nil }.map { i in
                (1 - share) * (lambda * attention(i) / meanAttention + (1 - lambda) * watchScore(i) / meanWatch)
                    + share * ratedFilms(i) / meanRated
            }.sorted(by: >)
            let list = try Recommender(model: model).topN(user: user, count: 10, explain: true, floor: .off)
            #expect(list.count == 10)
            for (entry, expected) in zip(list, reference) { #expect(abs(Double(entry.score) - expected) < 1e-4) }
            for entry in list {
                #expect(entry.predictedRating == (try model.predict(user: user, movie: entry.movie)))
                let ranking = try #require(entry.ranking)
                #expect(abs(ranking.score - entry.score) < 1e-5)
                #expect(abs(Double(ranking.attention) - (1 - share) * lambda * attention(entry.movie) / meanAttention)
                        < 1e-4)
                #expect(abs(Double(ranking.ratedMovies) - share * ratedFilms(entry.movie) / meanRated) < 1e-4)
                #expect(ranking.reasons.allSatisfy { $0.contribution > 0 && rating[$0.user][entry.movie] != nil })
                // Each reason carries that neighbour's own rating of the film (looked up once for the whole list).
                #expect(ranking.reasons.allSatisfy { reason in
                    rating[reason.user][entry.movie].map { Float($0) == reason.rating } ?? false
                })
                #expect(ranking.movieReasons.count == (share > 0 ? 5 : 0))
                #expect(ranking.movieReasons.allSatisfy { rating[user][$0.movie] == Double($0.rating) && $0.contribution > 0 })
                #expect(ranking.movieReasons.map(\.contribution) == ranking.movieReasons.map(\.contribution).sorted(by: >))
            }
        }
        #expect(filmCounts.contains { $0 <= 16 } && filmCounts.contains { $0 > 16 })   // both cases of Ī
    }

    @Test("the rated-film term re-ranks only the best max(M, n) films of the other two terms")
    func reRankingDepth() throws {
        var parameters = smallParameters()
        parameters.movieRankingDepth = 0
        let model = try Model.train(data: syntheticData(), parameters: parameters)
        var plain = parameters
        plain.movieRankingWeight = 0
        let without = Recommender(model: try model.reconfigured(plain))
        var changed = 0
        for user in 0..<model.userCount {
            // M = 0: the ten films re-ranked are the ten best of the other two terms, re-sorted by the whole score.
            let list = try Recommender(model: model).topN(user: user, count: 10, explain: true, floor: .off)
            let first = try without.topN(user: user, count: 10, floor: .off)
            #expect(Set(list.map(\.movie)) == Set(first.map(\.movie)))
            #expect(list.map(\.score) == list.map(\.score).sorted(by: >))
            for entry in list { #expect(abs(try #require(entry.ranking).score - entry.score) < 1e-5) }
            if list.map(\.movie) != first.map(\.movie) { changed += 1 }
            // A deeper pool can bring in films from below the first ten.
            var deeper = parameters
            deeper.movieRankingDepth = 30
            let deep = try Recommender(model: try model.reconfigured(deeper)).topN(user: user, count: 10, floor: .off)
            let pool = Set(try without.topN(user: user, count: 30, floor: .off).map(\.movie))
            #expect(Set(deep.map(\.movie)).isSubset(of: pool))
        }
        #expect(changed > 0, "the rated-film term changes some orders")
    }

    @Test("the default floor drops films predicted below max(μ + b_u, μ) − m and keeps the score order")
    func ratingFloor() throws {
        var parameters = smallParameters()
        parameters.predictedRatingMargin = 0
        let model = try Model.train(data: syntheticData(), parameters: parameters)
        let recommender = Recommender(model: model)
        for user in [2, 17, 40] {
            let threshold = max(model.baseline.globalMean + model.baseline.userBias[user], model.baseline.globalMean)
            let everything = try recommender.topN(user: user, count: model.movieCount, floor: .off)
            let expected = everything.filter { $0.predictedRating >= threshold }.prefix(8)
            let filtered = try recommender.topN(user: user, count: 8)
            #expect(filtered.map(\.movie) == expected.map(\.movie))
            #expect(filtered.allSatisfy { $0.predictedRating >= threshold })
            #expect(everything.contains { $0.predictedRating < threshold }, "user \(user): the floor removes something")
            let fixed = try recommender.topN(user: user, count: 8, floor: .minimum(4))
            #expect(fixed.map(\.movie) == everything.filter { $0.predictedRating >= 4 }.prefix(8).map(\.movie))
        }
    }

    @Test("the floor examines only the best d·(N + 4) films by score: a list is the passing films among those")
    func floorDepth() throws {
        var parameters = smallParameters()
        parameters.movieRankingWeight = 0   // one score order for every window
        let model = try Model.train(data: syntheticData(), parameters: parameters)
        var shortened = 0
        for depth in [1, 2, 4] {
            parameters.floorDepth = depth
            let recommender = Recommender(model: try model.reconfigured(parameters))
            for user in [2, 17, 40, 63] {
                let everything = try recommender.topN(user: user, count: model.movieCount, floor: .off)
                // A floor only the 8 films with the highest predicted ratings pass, wherever they rank.
                let floor = everything.map(\.predictedRating).sorted(by: >)[7]
                let examined = everything.prefix(depth * (5 + 4))
                let expected = examined.filter { $0.predictedRating >= floor }.prefix(5)
                let listed = try recommender.topN(user: user, count: 5, floor: .minimum(floor))
                #expect(listed.map(\.movie) == expected.map(\.movie), "depth \(depth), user \(user)")
                if listed.count < everything.filter({ $0.predictedRating >= floor }).prefix(5).count { shortened += 1 }
            }
        }
        #expect(shortened > 0, "some list is cut short by a small depth")
    }

    @Test("an attended-film limit never lets a rated film into a list; the rated-film reasons are among the kept films")
    func attendedMovieLimit() throws {
        var parameters = smallParameters()
        let model = try Model.train(data: syntheticData(), parameters: parameters)
        parameters.attendedMovieLimit = 3
        let recommender = Recommender(model: try model.reconfigured(parameters))
        var changed = 0
        for user in 0..<model.userCount where model.ratings.userRange(user).count > 6 {
            let row = model.ratings.userRange(user).map { Int(model.ratings.byUser.columnIndices[$0]) }
            let kept = Set((0..<3).map { row[$0 * row.count / 3] })
            let all = try recommender.topN(user: user, count: model.movieCount, floor: .off)
            #expect(Set(all.map(\.movie)) == Set(0..<model.movieCount).subtracting(row))
            for pick in try recommender.topN(user: user, count: 5, explain: true) {
                #expect(pick.ranking!.movieReasons.allSatisfy { kept.contains($0.movie) })
            }
            let unlimited = try Recommender(model: model).topN(user: user, count: model.movieCount, floor: .off)
            if unlimited.map(\.movie) != all.map(\.movie) { changed += 1 }
        }
        #expect(changed > 0, "the limit changes some orders")
    }

    @Test("with many candidates (only those whose bound can reach the list are scored) the top 10 are the first 10 of every film scored")
    func boundedScoringKeepsTheList() throws {
        var parameters = smallParameters()
        parameters.movieRankingWeight = 0   // the pool is the 10 asked for, so most candidates can be skipped
        let data = syntheticData(users: 150, movies: 400, density: 0.12, seed: 5)
        let recommender = Recommender(model: try Model.train(data: data, parameters: parameters))
        var candidates = 0
        for user in stride(from: 0, to: data.userCount, by: 7) {
            // Asking for every film scores every candidate exactly: no bound is used.
            let all = try recommender.topN(user: user, count: data.movieCount, floor: .off)
            let top = try recommender.topN(user: user, count: 10, floor: .off)
            #expect(top.map(\.movie) == all.prefix(10).map(\.movie), "user \(user)")
            #expect(top.map(\.score) == all.prefix(10).map(\.score), "user \(user)")
            candidates = max(candidates, all.count)
        }
        #expect(candidates > 40, "more unrated films than 4 × 10, the size beyond which the bound is used")
    }

    @Test("the floor's margin is a share of the rating scale: the same ratings doubled (1–10) give the same lists")
    func marginFollowsTheScale() throws {
        let data = syntheticData()
        var parameters = smallParameters()
        parameters.predictedRatingMargin = 0.05
        let model = try Model.train(data: data, parameters: parameters)
        let doubledData = RatingData(userCount: data.userCount, movieCount: data.movieCount, userIndex: data.userIndex,
                                     movieIndex: data.movieIndex, rating: data.rating.map { 2 * $0 })
        let doubled = try Model.train(data: doubledData, parameters: parameters)
        let width = try #require(data.rating.max()) - (try #require(data.rating.min()))
        var dropped = 0
        for user in 0..<data.userCount {
            // The threshold by hand: max(μ + b_u, μ) − m·(highest − lowest rating).
            let mean = model.baseline.globalMean
            let threshold = max(mean + model.baseline.userBias[user], mean) - 0.05 * width
            let everything = try Recommender(model: model).topN(user: user, count: model.movieCount, floor: .off)
            let expected = everything.filter { $0.predictedRating >= threshold }.prefix(6).map(\.movie)
            let list = try Recommender(model: model).topN(user: user, count: 6)
            #expect(list.map(\.movie) == expected, "user \(user)")
            #expect(try Recommender(model: doubled).topN(user: user, count: 6).map(\.movie) == expected, "user \(user)")
            dropped += everything.prefix(6).map(\.movie) == expected ? 0 : 1
        }
        #expect(dropped > 0, "the floor changes some lists")
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
        #expect(list.allSatisfy { $0.explanation == nil && $0.ranking == nil })
        // The watch part alone is the same for the twins (the folded user's neighbours include the trained twin).
        var watchOnly = model.parameters
        watchOnly.attentionRankingWeight = 0
        let watchRecommender = Recommender(model: try model.reconfigured(watchOnly))
        #expect(try watchRecommender.topN(folded: folded, count: 15, floor: .off).map(\.movie)
                == watchRecommender.topN(user: 12, count: 15, floor: .off).map(\.movie))
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
