@testable import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Prediction: the cosines to a film's raters, on binary16 rows")
struct RaterCosineTests {
    /// The rows of `U_k·S_k` of `model`, for reference cosines computed from the factors, not the unit copies.
    private func userRow(_ model: TrainedModel, _ user: Int) -> [Float] {
        Array(model.factors.userVectors.row(user))
    }

    /// ``TrainedModel/raterCosines(_:raters:into:)`` as an array.
    private func raterCosines(_ model: TrainedModel, _ query: [Float], _ raters: [Int32]) -> [Float] {
        [Float](unsafeUninitializedCapacity: raters.count) { buffer, initialized in
            raters.withUnsafeBufferPointer { model.raterCosines(query, raters: $0, into: buffer) }
            initialized = raters.count
        }
    }

    @Test("are the query's dot products with the binary16 unit rows, and within halfCosineError of the exact cosines",
          arguments: [8, 16])
    func halfRowDots(rank: Int) throws {
        var parameters = smallParameters()
        parameters.rank = rank
        let model = try Model.train(data: syntheticData(users: 300, movies: 30, density: 0.5, seed: 31),
                                    parameters: parameters)
        var largestError = 0.0
        for user in stride(from: 0, to: 300, by: 11) {
            let context = try model.context(.trained(user))
            let query = context.unitLatent
            let raters = Array(model.ratings.byMovie.columnIndices[model.ratings.movieRange(user % 30)])
            let cosines = raterCosines(model, query, raters)
            #expect(cosines.count == raters.count)
            for (cosine, rater) in zip(cosines, raters.map(Int.init)) {
                // The unit row rounded to binary16, dotted in Double: only the kernel's Float sums differ.
                let unit = Array(model.factors.unitUserVectors.row(rater))
                let half = zip(query, unit).reduce(0.0) { $0 + Double($1.0) * Double(binary16Rounded($1.1)) }
                #expect(abs(Double(cosine) - half) < 1e-5, "user \(user), rater \(rater)")
                let exact = referenceCosine(userRow(model, user), userRow(model, rater))
                largestError = max(largestError, abs(Double(cosine) - exact))
            }
        }
        #expect(largestError <= Double(TrainedModel.halfCosineError))
        #expect(largestError > 0, "binary16 rows should round some cosine")
    }

    @Test("the test's binary16 rounding gives IEEE half values (Python's struct 'e' format)")
    func binary16Reference() {
        #expect(binary16Rounded(Float(1.0 / 3.0)) == 0.333251953125)
        #expect(binary16Rounded(1e-6) == 1.0132789611816406e-06)   // subnormal: 17·2⁻²⁴
        #expect(binary16Rounded(-0.7001) == -0.7001953125)
        #expect(binary16Rounded(65000) == 64992)
        #expect(binary16Rounded(0x1.8p-15) == 0x1.8p-15)
    }

    @Test("choose a prediction's user neighbours: the K raters with the largest of them, with those cosines")
    func neighboursAreTheBestRaters() throws {
        let model = try Model.train(data: syntheticData(users: 300, movies: 30, density: 0.5, seed: 31),
                                    parameters: smallParameters())
        let k = model.parameters.neighbours
        for user in stride(from: 0, to: 300, by: 13) {
            let context = try model.context(.trained(user))
            for movie in 0..<30 where !context.movies.contains(Int32(movie)) {
                let raters = model.raterSamples.withSample(of: movie, in: model.ratings.byMovie) { raters, _ in Array(raters) }
                let cosines = raterCosines(model, context.unitLatent, raters)
                let best = cosines.indices.sorted { (cosines[$0], -$0) > (cosines[$1], -$1) }.prefix(k)
                let expected = Set(best.map { Int(raters[$0]) })
                let explanation = model.explanation(for: context, movie: movie, limit: 4 * k)
                let users = explanation.neighbours.filter { $0.kind == .user }
                #expect(Set(users.map(\.index)) == expected, "user \(user), movie \(movie)")
                for neighbour in users {
                    let position = raters.firstIndex(of: Int32(neighbour.index))!
                    #expect(neighbour.cosine == cosines[position])
                }
            }
        }
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
