import MovieRecModel
import Testing

@Suite("Ranking with a candidate filter: applied before the top-N cut")
struct CandidateFilterTests {
    @Test("N films that pass the filter: the unfiltered full ranking, filtered, cut at N")
    func filterBeforeCut() throws {
        let model = try Model.train(data: syntheticData(), parameters: smallParameters())
        let recommender = Recommender(model: model)
        // Every third film may be listed.
        let allowed = (0..<model.movieCount).map { $0 % 3 == 0 }
        for user in [0, 7, 41] {
            let full = try recommender.topN(user: user, count: model.movieCount, floor: .off)
            let expected = full.filter { allowed[$0.movie] }.prefix(5)
            let filtered = try recommender.topN(.trained(user), count: 5, candidates: CandidateFilter(allowed: allowed),
                                                floor: .off)
            #expect(filtered.count == 5)
            #expect(filtered.map(\.movie) == expected.map(\.movie))
            #expect(filtered.map(\.score) == expected.map(\.score))
        }
    }

    @Test("includeRated lists rated films too: asking for every film gives every film; the default never does")
    func includeRated() throws {
        let model = try Model.train(data: syntheticData(), parameters: smallParameters())
        let recommender = Recommender(model: model)
        let user = 12
        let rated = Set(model.ratings.userRange(user).map { Int(model.ratings.byUser.columnIndices[$0]) })
        let all = try recommender.topN(.trained(user), count: model.movieCount, candidates: CandidateFilter(includeRated: true),
                                       floor: .off)
        #expect(Set(all.map(\.movie)) == Set(0..<model.movieCount))
        // Scores are in descending order, and rated films keep the score the ranking formula gives them.
        #expect(zip(all, all.dropFirst()).allSatisfy { $0.score >= $1.score })
        let unrated = try recommender.topN(user: user, count: model.movieCount, floor: .off)
        #expect(all.filter { !rated.contains($0.movie) }.map(\.movie) == unrated.map(\.movie))
        // Rated films only, by excluding all others.
        let mask = (0..<model.movieCount).map { rated.contains($0) }
        let onlyRated = try recommender.topN(.trained(user), count: 3, candidates: CandidateFilter(allowed: mask, includeRated: true),
                                             floor: .off)
        #expect(onlyRated.map(\.movie) == all.filter { rated.contains($0.movie) }.prefix(3).map(\.movie))
        #expect(try recommender.topN(.trained(user), count: 3, candidates: CandidateFilter(allowed: mask)).isEmpty)
    }

    @Test("a mask that is not one flag per film is an error")
    func wrongMask() throws {
        let model = try Model.train(data: syntheticData(), parameters: smallParameters())
        #expect(throws: ModelError.self) {
            try Recommender(model: model).topN(.trained(0), count: 3, candidates: CandidateFilter(allowed: [true]))
        }
    }
}
