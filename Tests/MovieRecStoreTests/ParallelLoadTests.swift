import Foundation
import Testing
@testable import MovieRecStore

@Suite("Loading ratings with two connections")
struct ParallelLoadTests {
    @Test("the two-connection load gives the same table as the one-connection load, in (user, movie) order")
    func sameTable() throws {
        let scratch = try Scratch()
        // 7 users with interleaved ids, 5 films; user 30 has no rating of film 5.
        var lines = ["userId,movieId,rating,timestamp"]
        for (n, user) in [30, 4, 17, 8, 25, 11, 2].enumerated() {
            for movie in [5, 1, 9, 3, 7] where !(user == 30 && movie == 5) {
                lines.append("\(user),\(movie),\(Double((n + movie) % 10 + 1) / 2),\(1000 + n * 10 + movie)")
            }
        }
        let file = try scratch.write("r.csv", lines.joined(separator: "\n") + "\n")
        _ = try RatingsImporter(databasePath: scratch.path("s.sqlite")).run(ratingsFile: file)
        let store = try RatingStore(path: scratch.path("s.sqlite"), createIfMissing: false)
        let serial = try store.loadRatings(parallelAbove: .max)
        let parallel = try store.loadRatings(parallelAbove: 0)
        #expect(parallel == serial)
        #expect(serial.count == 34)
        // Rows sorted by (user, movie) dense index, as the model's CSR fast path expects.
        let keys = zip(serial.userIndex, serial.movieIndex).map { [$0, $1] }
        #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) })
        // Spot check against the file: user "8" (4th listed, n = 3) rated film "9".
        let u = try #require(serial.userExternalIDs.firstIndex(of: "8"))
        let m = try #require(serial.movieExternalIDs.firstIndex(of: "9"))
        let row = try #require((0..<serial.count).first { serial.userIndex[$0] == u && serial.movieIndex[$0] == m })
        #expect(serial.timestamp[row] == 1039)
        #expect(serial.rating[row] == Float(Double((3 + 9) % 10 + 1) / 2))
        // Without timestamps (what the model loads): the same rows, no timestamp column, both load paths.
        for lean in [try store.loadRatings(parallelAbove: .max, includeTimestamps: false),
                     try store.loadRatings(parallelAbove: 0, includeTimestamps: false)] {
            #expect(lean.timestamp.isEmpty)
            #expect(lean.userIndex == serial.userIndex && lean.movieIndex == serial.movieIndex && lean.rating == serial.rating)
            #expect(lean.userExternalIDs == serial.userExternalIDs && lean.movieIDs == serial.movieIDs)
        }
    }
}
