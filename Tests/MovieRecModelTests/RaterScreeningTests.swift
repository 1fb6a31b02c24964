@testable import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Prediction: the binary16 first pass over a film's raters")
struct RaterScreeningTests {
    /// 700 users rating 30 films at density 0.6: about 420 raters a film, more than 4·K (K = 10), so the
    /// first pass runs for every film.
    @Test("leaves every prediction and explanation exactly as scoring every rater in full precision")
    func screeningChangesNothing() throws {
        let model = try Model.train(data: syntheticData(users: 700, movies: 30, density: 0.6, seed: 31),
                                    parameters: smallParameters())
        var screened = 0
        for user in stride(from: 0, to: 700, by: 7) {
            let context = try model.context(.trained(user))
            for movie in 0..<30 {
                let raters = model.ratings.movieRange(movie).count
                if raters > 4 * model.parameters.neighbours { screened += 1 }
                let fast = model.explanation(for: context, movie: movie, limit: 5, screen: true)
                let full = model.explanation(for: context, movie: movie, limit: 5, screen: false)
                #expect(fast == full, "user \(user), movie \(movie)")
            }
        }
        #expect(screened == 100 * 30)
    }

    @Test("scores again exactly only the raters within the margin of the K-th first-pass score")
    func rescoresFewRaters() throws {
        let model = try Model.train(data: syntheticData(users: 700, movies: 30, density: 0.6, seed: 31),
                                    parameters: smallParameters())
        let context = try model.context(.trained(3))
        let range = model.ratings.movieRange(4)
        let raters = Array(model.ratings.byMovie.columnIndices[range])
        let (screened, full) = raters.withUnsafeBufferPointer { raters in
            (model.raterCosines(context.unitLatent, raters: raters, keep: 10, screen: true),
             model.raterCosines(context.unitLatent, raters: raters, keep: 10, screen: false))
        }
        let kept = Array(zip(screened.positions, screened.cosines))
        let all = Array(zip(full.positions, full.cosines))
        #expect(all.count == raters.count)
        #expect(kept.count >= 10 && kept.count < raters.count / 4, "\(kept.count) of \(raters.count) rescored")
        // The kept cosines are the exact ones, and the best 10 of all are among them.
        let exact = Dictionary(uniqueKeysWithValues: all)
        for (position, cosine) in kept { #expect(exact[position] == cosine) }
        let best = all.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(10).map(\.0)
        #expect(Set(best).isSubset(of: kept.map(\.0)))
    }

    @Test("the saved rater samples are the even samples of the films with more raters than the scan limit; the others are read whole")
    func savedRaterSamples() throws {
        var parameters = smallParameters()
        parameters.raterScanLimit = 120
        let model = try Model.train(data: syntheticData(users: 300, movies: 30, density: 0.4, seed: 33),
                                    parameters: parameters)
        let byMovie = model.ratings.byMovie
        var saved = 0
        for movie in 0..<model.movieCount {
            let range = model.ratings.movieRange(movie)
            let expected = stridedSample(byMovie.columnIndices, ratings: byMovie.values, range: range, scanned: 120,
                                         excluding: -1)
            let (users, ratings) = model.raterSamples.withSample(of: movie, in: byMovie) { (Array($0), Array($1)) }
            #expect(users == expected.values && ratings == expected.ratings, "movie \(movie)")
            if range.count > 120 {
                saved += 1
                #expect(users.count == 120)
            } else {
                #expect(users == Array(byMovie.columnIndices[range]))
            }
        }
        #expect(saved > 0 && saved < model.movieCount, "\(saved) films sampled")
        // A trained user who rated a film is not among its user neighbours (the sample is taken without them).
        for user in 0..<20 {
            let context = try model.context(.trained(user))
            for movie in context.movies.prefix(3).map(Int.init) {
                let explanation = model.explanation(for: context, movie: movie, limit: 100)
                #expect(!explanation.neighbours.contains { $0.kind == .user && $0.index == user })
            }
        }
    }
}
