import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Batched top-N for many users")
struct BatchTopNTests {
    /// Users 0..<97 (fewer than a block), 61 films (not a multiple of the 16-film panel),
    /// λ 0.5, 0 and 1 (both terms, watch alone, attention alone), with the default rating floor.
    @Test("equals the one-user top-N (films and bit-identical scores) with 1 and 2 threads",
          arguments: [0.5, 0, 1] as [Float])
    func matchesOneUserPath(lambda: Float) throws {
        var parameters = smallParameters()
        parameters.attentionRankingWeight = lambda
        let data = syntheticData(users: 97, movies: 61, density: 0.3, seed: 5)
        let model = try Model.train(data: data, parameters: parameters)
        let recommender = Recommender(model: model)
        for threads in [1, 2] {
            let lists = try recommender.topNForUsers(0..<97, count: 7, options: ParallelOptions(threadCount: threads))
            #expect(lists.count == 97)
            for user in 0..<97 {
                let single = try recommender.topN(user: user, count: 7)
                #expect(lists[user].map(\.movie) == single.map(\.movie), "user \(user), \(threads) threads")
                #expect(lists[user].map(\.score) == single.map(\.score), "user \(user), \(threads) threads")
            }
        }
    }

    /// 300 users: two blocks of ``Recommender/batchBlockSize`` (256), the second partial. A rater scan limit of 72
    /// gives films with a saved rater sample and films read in place. The default floor and a high one reject
    /// films, so lists take several rounds of predictions and some (with the high floor) run out of the first
    /// window of 2·(5 + 4) films.
    @Test("equals the one-user top-N through rounds of floor rejections and windows that run out, over two blocks")
    func matchesOneUserPathThroughFloorRounds() throws {
        var parameters = smallParameters()
        parameters.raterScanLimit = 72
        let data = syntheticData(users: 300, movies: 80, density: 0.25, seed: 23)
        let model = try Model.train(data: data, parameters: parameters)
        let recommender = Recommender(model: model)
        var (rejected, pastFirstWindow) = (0, 0)
        for floor in [RatingFloor.automatic, .minimum(3.6)] {
            let lists = try recommender.topNForUsers(0..<300, count: 5, floor: floor,
                                                     options: ParallelOptions(threadCount: 2))
            for user in 0..<300 {
                let single = try recommender.topN(user: user, count: 5, floor: floor)
                #expect(lists[user].map(\.movie) == single.map(\.movie), "user \(user), \(floor)")
                #expect(lists[user].map(\.score) == single.map(\.score), "user \(user), \(floor)")
                let unfloored = try recommender.topN(user: user, count: 18, floor: .off).map(\.movie)
                if lists[user].map(\.movie) != Array(unfloored.prefix(5)) { rejected += 1 }
                if lists[user].contains(where: { !unfloored.contains($0.movie) }) { pastFirstWindow += 1 }
            }
        }
        #expect(rejected > 20, "lists changed by the floor: \(rejected)")
        #expect(pastFirstWindow > 0, "lists reaching past the first window: \(pastFirstWindow)")
        let sampled = (0..<model.movieCount).filter { model.ratings.movieRange($0).count > 72 }.count
        #expect(sampled > 0 && sampled < model.movieCount, "films with a saved sample: \(sampled)")
    }

    @Test("a sub-range lists those users; asking for every film lists exactly each user's unrated films")
    func subRangeAndEveryFilm() throws {
        let data = syntheticData(users: 40, movies: 30, density: 0.4, seed: 9)
        let model = try Model.train(data: data, parameters: smallParameters())
        let recommender = Recommender(model: model)
        let lists = try recommender.topNForUsers(10..<25, count: 30, floor: .off)
        #expect(lists.count == 15)
        for (offset, list) in lists.enumerated() {
            let user = 10 + offset
            let rated = Set(model.ratings.userRange(user).map { Int(model.ratings.byUser.columnIndices[$0]) })
            #expect(Set(list.map(\.movie)) == Set(0..<30).subtracting(rated))
            #expect(zip(list, list.dropFirst()).allSatisfy { $0.score > $1.score || ($0.score == $1.score && $0.movie < $1.movie) })
        }
        #expect(recommender.topNForAllUsers(count: 3).count == 40)
    }

    @Test("a list does not depend on the lists asked before it (the model's reused scratches)")
    func listsIndependentOfOrder() throws {
        let data = syntheticData(users: 60, movies: 200, density: 0.2, seed: 13)
        let model = try Model.train(data: data, parameters: smallParameters())
        let recommender = Recommender(model: model)
        let forward = try (0..<60).map { try recommender.topN(user: $0, count: 8, explain: true) }
        let backward = try (0..<60).reversed().map { try recommender.topN(user: $0, count: 8, explain: true) }
        #expect(forward == Array(backward.reversed()))
        // A fresh model (an empty pool) gives the same lists as the well-used one.
        let fresh = Recommender(model: try Model.train(data: data, parameters: smallParameters()))
        for user in [0, 31, 59] { #expect(try fresh.topN(user: user, count: 8, explain: true) == forward[user]) }
    }

    @Test("a list does not depend on the filters of the lists before it: masked, rated-included and plain lists interleaved in one model's scratches")
    func listsIndependentOfEarlierFilters() throws {
        let data = syntheticData(users: 50, movies: 150, density: 0.25, seed: 17)
        let model = try Model.train(data: data, parameters: smallParameters())
        let recommender = Recommender(model: model)
        let mask = (0..<150).map { $0 % 3 != 1 }
        let filters: [CandidateFilter] = [.unrated, CandidateFilter(allowed: mask), CandidateFilter(includeRated: true),
                                          CandidateFilter(allowed: mask, includeRated: true)]
        // The same user and filter in every order around the others; a fresh model (an empty pool) for reference.
        var calls: [(user: Int, filter: Int)] = []
        for user in [3, 4, 27, 49] { for f in [1, 0, 2, 0, 3, 1, 0] { calls.append((user, f)) } }
        let fresh = try Model.train(data: data, parameters: smallParameters())
        for (user, f) in calls {
            let list = try recommender.topN(.trained(user), count: 9, candidates: filters[f], floor: .off)
            let reference = try Recommender(model: fresh.reconfigured(fresh.parameters))
                .topN(.trained(user), count: 9, candidates: filters[f], floor: .off)
            #expect(list == reference, "user \(user), filter \(f)")
            #expect(!list.isEmpty)
        }
    }

    @Test("users outside the model are rejected")
    func rejectsUnknownUsers() throws {
        let model = try Model.train(data: syntheticData(), parameters: smallParameters())
        #expect(throws: ModelError.self) { try Recommender(model: model).topNForUsers(0..<(model.userCount + 1), count: 5) }
    }
}
