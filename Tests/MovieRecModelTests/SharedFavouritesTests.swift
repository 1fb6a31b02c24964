import Foundation
@testable import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Reasons: shared favourites of the user and a neighbour")
struct SharedFavouritesTests {
    /// Films both rated at or above their own means, by min(r_u/mean_u, r_v/mean_v) descending, ties by lower
    /// index: written out from the two rating rows, with no lookup table and no merge.
    func reference(_ model: TrainedModel, user u: Int, neighbour v: Int, limit: Int) -> [Int] {
        func row(_ w: Int) -> [Int: Float] {
            Dictionary(uniqueKeysWithValues: model.ratings.userRange(w).map {
                (Int(model.ratings.byUser.columnIndices[$0]), model.ratings.byUser.values[$0])
            })
        }
        let (mine, theirs) = (row(u), row(v))
        let ratings = model.ratings.userRange(u).map { model.ratings.byUser.values[$0] }
        let userMean = ratings.reduce(0, +) / Float(ratings.count)
        let neighbourMean = model.userMeanRating[v]
        let shared = mine.keys.filter { theirs[$0] != nil && mine[$0]! >= userMean && theirs[$0]! >= neighbourMean }
        let scored = shared.map { ($0, min(mine[$0]! / userMean, theirs[$0]! / neighbourMean)) }
        return scored.sorted { ($0.1, -$0.0) > ($1.1, -$1.0) }.prefix(limit).map(\.0)
    }

    @Test("the lookup through the user's liked films (a branch-free kernel over the neighbour's row) and the merge of both rows give the reference's films, for every user and each of its ranking neighbours")
    func likedLookupMatchesTheMerge() throws {
        let model = try Model.train(data: syntheticData(users: 120, movies: 300, density: 0.15, seed: 9),
                                    parameters: smallParameters())
        var (pairs, nonEmpty, beyondLimit) = (0, 0, 0)
        for u in 0..<model.userCount {
            let context = try model.context(.trained(u))
            let liked = model.likedMovies(context)
            let width = model.rankingNeighbours.width
            for v in model.rankingNeighbours.users[(u * width)..<((u + 1) * width)].map(Int.init) {
                let expected = reference(model, user: u, neighbour: v, limit: 3)
                #expect(model.sharedFavourites(context, neighbour: v, limit: 3, liked: liked) == expected, "user \(u), neighbour \(v)")
                #expect(model.sharedFavourites(context, neighbour: v, limit: 3) == expected, "user \(u), neighbour \(v)")
                pairs += 1
                if !expected.isEmpty { nonEmpty += 1 }
                if reference(model, user: u, neighbour: v, limit: 50).count > 3 { beyondLimit += 1 }
            }
        }
        #expect(pairs > 1000 && nonEmpty > pairs / 2, "\(nonEmpty) of \(pairs) pairs share favourites")
        #expect(beyondLimit > 100, "\(beyondLimit) pairs have more shared favourites than the limit")
    }
}
