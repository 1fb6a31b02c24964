@testable import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("The batch's floor decision without the user neighbours")
struct PredictionBoundTests {
    @Test("each film's residual floor is min(0, lowest residual) over the raters its predictions compare")
    func residualFloors() throws {
        var parameters = smallParameters()
        parameters.raterScanLimit = 20   // some films sampled, some read whole
        let model = try Model.train(data: syntheticData(users: 120, movies: 40, density: 0.2, seed: 51),
                                    parameters: parameters)
        let (mu, byMovie) = (model.baseline.globalMean, model.ratings.byMovie)
        var sampled = 0
        for i in 0..<model.movieCount {
            let range = model.ratings.movieRange(i)
            let sample = stridedSample(byMovie.columnIndices, ratings: byMovie.values, range: range, scanned: 20,
                                       excluding: -1)
            let compared: (values: [Int32], ratings: [Float]) = range.count > 20
                ? (sample.values, sample.ratings)
                : (Array(byMovie.columnIndices[range]), Array(byMovie.values[range]))
            if range.count > 20 { sampled += 1 }
            var lowest: Float = 0
            for (v, rating) in zip(compared.values, compared.ratings) {
                lowest = min(lowest, rating - (mu + model.baseline.userBias[Int(v)] + model.baseline.movieBias[i]))
            }
            #expect(model.raterResidualFloors[i] == lowest, "film \(i)")
        }
        #expect(sampled > 0 && sampled < model.movieCount)
    }

    @Test("a film it passes has a full prediction at or above the threshold; it decides some, never a failing one",
          arguments: [0.0, 0.5, 1.0] as [Float])
    func soundAndUseful(offset: Float) throws {
        let model = try Model.train(data: syntheticData(users: 120, movies: 40, density: 0.3, seed: 52),
                                    parameters: smallParameters())
        var (decided, passing) = (0, 0)
        for u in 0..<model.userCount {
            let context = try model.context(.trained(u))
            // Thresholds around the user's mean rating, as the floor sets them.
            let threshold = model.userMean(context) - offset
            for i in 0..<model.movieCount where !context.movies.contains(Int32(i)) {
                var none: [Neighbour] = []
                let part = model.movieNeighbourAttention(context, movie: i, limit: 0, movieCosines: nil, neighbours: &none)
                let full = model.explanation(for: context, movie: i, limit: 0)
                #expect(model.explanation(for: context, movie: i, limit: 0, movieNeighbours: part) == full)
                let passes = model.clip(full.unclippedRating) >= threshold
                if passes { passing += 1 }
                if model.passesWithoutRaters(context, movie: i, movieNeighbours: part.sum, threshold: threshold) {
                    decided += 1
                    #expect(passes, "user \(u), film \(i): decided to pass, predicted \(full.unclippedRating) < \(threshold)")
                }
            }
        }
        #expect(decided > 0 && decided < passing, "decided \(decided) of \(passing) passing films")
    }
}
