import Foundation
import Testing
import MovieRecStore

/// Random imports checked against a straightforward in-memory model of the upsert rule.
@Suite("Import agrees with a reference model")
struct ReferenceModelTests {
    /// A tiny deterministic generator (64-bit LCG, high bits), independent of the code under test.
    private struct LCG {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    private struct Rating: Equatable {
        var rating: Double
        var timestamp: Int64
    }

    @Test("three random imports with duplicates, ties and text ids: same final ratings and counts as the model")
    func randomImports() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        var random = LCG(state: 2026)
        var model: [String: Rating] = [:]
        for round in 0..<3 {
            var lines = ["userId,movieId,rating,timestamp"]
            var expected = (inserted: 0, updated: 0, unchanged: 0)
            for _ in 0..<1_500 {
                let user = random.next(4) == 0 ? "u\(random.next(10))" : String(random.next(40) + 1)
                let movie = String(random.next(60) + 1)
                let rating = Double(random.next(10) + 1) / 2
                let timestamp = Int64(random.next(5))
                lines.append("\(user),\(movie),\(rating),\(timestamp)")
                let key = "\(user)/\(movie)"
                let candidate = Rating(rating: rating, timestamp: timestamp)
                if let current = model[key] {
                    if timestamp >= current.timestamp && candidate != current {
                        expected.updated += 1
                        model[key] = candidate
                    } else {
                        expected.unchanged += 1
                    }
                } else {
                    expected.inserted += 1
                    model[key] = candidate
                }
            }
            let file = try scratch.write("round\(round).csv", lines.joined(separator: "\r\n") + "\r\n")
            let summary = try RatingsImporter(databasePath: db).run(ratingsFile: file)
            #expect(summary.read == 1_500)
            #expect(summary.inserted == expected.inserted, "round \(round)")
            #expect(summary.updated == expected.updated, "round \(round)")
            #expect(summary.unchanged == expected.unchanged, "round \(round)")
            #expect(summary.ratings == model.count)

            let stored = try storedRatings(ofDatabaseAt: db)
            #expect(stored.count == model.count)
            for (key, value) in model {
                #expect(stored[key]?.rating == value.rating && stored[key]?.timestamp == value.timestamp, "\(key)")
            }
        }

        let table = try RatingStore(path: db).loadRatings()
        #expect(table.count == model.count)
        #expect(table.userIDs == table.userIDs.sorted())
        #expect(table.movieIDs == table.movieIDs.sorted())
        var previous: (Int32, Int32)?
        for row in 0..<table.count {
            let pair = (table.userIndex[row], table.movieIndex[row])
            if let previous { #expect(previous < pair, "rows must be strictly sorted by (user, movie)") }
            previous = pair
            let key = "\(table.userExternalIDs[Int(pair.0)])/\(table.movieExternalIDs[Int(pair.1)])"
            #expect(Double(table.rating[row]) == model[key]?.rating)
            #expect(table.timestamp[row] == model[key]?.timestamp)
        }
    }
}
