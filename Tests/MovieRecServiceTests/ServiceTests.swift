import Foundation
import MovieRecModel
import MovieRecService
import MovieRecStore
import Testing

/// The application layer on the worked example of the design (data/worked-example).
@Suite("MovieRecService: sessions, new users, catalogue, edits")
struct ServiceTests {
    static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data/worked-example")

    /// A scratch directory with the worked example imported into db.sqlite.
    final class Scratch {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("movierec-service-\(UUID().uuidString)")
        var path: String { url.appendingPathComponent("db.sqlite").path }
        init() throws {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            _ = try RatingsImporter(databasePath: path,
                                    options: ImportOptions(moviesFile: ServiceTests.data.appendingPathComponent("movies.csv").path))
                .run(ratingsFile: ServiceTests.data.appendingPathComponent("ratings.csv").path)
        }
        func write(_ name: String, _ text: String) throws -> String {
            let file = url.appendingPathComponent(name).path
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    private func parameters(rank: Int) -> ModelParameters {
        var parameters = ModelParameters()
        parameters.rank = rank
        parameters.baselineMode = .none
        return parameters
    }

    @Test("no model: .noModel saying what to run; trainIfNeeded trains; the model owns the rank (6 → 5)")
    func lifecycle() throws {
        let scratch = try Scratch()
        #expect { try ModelSession.open(path: scratch.path, policy: ModelPolicy()) } throws: {
            let error = $0 as? ServiceError
            return error?.kind == .noModel && error?.message.contains("movierec train") == true
        }
        let trained = try ModelSession.train(databasePath: scratch.path, parameters: parameters(rank: 6))
        #expect(trained.trainReport.rank == 5 && trained.model.parameters.rank == 5)   // min(7 users, 5 films)
        let reopened = try ModelSession.open(path: scratch.path, policy: ModelPolicy())
        #expect(reopened.info.id == trained.info.id)
    }

    @Test("the design's fold-in: P8 and P9 share no film, latent cosine 0.9926, fold-in cosine 0.9877")
    func foldInWorkedExample() throws {
        let scratch = try Scratch()
        let session = try ModelSession.train(databasePath: scratch.path, parameters: parameters(rank: 2))
        let p8 = try session.newUser(ratingsFile: Self.data.appendingPathComponent("new-user-P8.csv").path)
        let p9 = try session.newUser(NewUserRatings(source: "request", rows: [.init(movie: "2", rating: 4, line: 1),
                                                                              .init(movie: "3", rating: 5, line: 2)]),
                                     label: "me")
        let report = try session.compare(p8, p9, count: 3)
        #expect(abs(report.latentCosine - 0.9926) < 1e-3 && abs(report.foldInCosine - 0.9877) < 1e-3)
        #expect(report.commonMovies == 0 && report.b == "me")
    }

    @Test("new users from a request: unknown film, film twice, off scale and an empty list name the row")
    func newUserErrors() throws {
        let scratch = try Scratch()
        let session = try ModelSession.train(databasePath: scratch.path, parameters: parameters(rank: 2))
        func failure(_ rows: [NewUserRatings.Row]) -> ServiceError? {
            do { _ = try session.newUser(try NewUserRatings(source: "body", rows: rows)); return nil } catch { return error as? ServiceError }
        }
        #expect(failure([.init(movie: "1", rating: 5, line: 1), .init(movie: "9", rating: 5, line: 2)])?.description
                .hasPrefix("body:2: unknown movie id \"9\"") == true)
        #expect(failure([.init(movie: "1", rating: 5, line: 1), .init(movie: "1", rating: 4, line: 2)])?.description
                == "body:2: movie 1 is rated again (first on line 1): rate each film once")
        #expect(failure([.init(movie: "1", rating: 5.5, line: 1)])?.kind == .invalidRatings)
        #expect { try NewUserRatings(source: "body", rows: []) } throws: { ($0 as? ServiceError)?.kind == .invalidRatings }
        // A ratings file whose lines match no film: .unknownMovie naming the file, the line and `movierec match`.
        let unmatched = try scratch.write("none.csv", "movie,rating\nCasablanca,5\n")
        #expect { try session.newUser(ratingsFile: unmatched) } throws: {
            ($0 as? ServiceError)?.kind == .unknownMovie && "\($0)".contains("line 2: \"Casablanca\" matches no movie")
                && "\($0)".contains("movierec match")
        }
        // Lines that are all skipped for another reason (here: no rating): .invalidRatings.
        let unrated = try scratch.write("unrated.csv", "Date,Name,Year,Letterboxd URI,Rating\n2024-01-01,Titanic,1997,x,\n")
        #expect { try session.newUser(ratingsFile: unrated) } throws: { ($0 as? ServiceError)?.kind == .invalidRatings }
    }

    @Test("store edits: one transaction each, version bumped only on change, ratings read back in movie order")
    func storeEdits() throws {
        let scratch = try Scratch()
        let store = try RatingStore(path: scratch.path, createIfMissing: false)
        let first = try store.setRating(user: "P6", movie: "1", rating: 2, timestamp: 1)
        #expect(first.changed && first.ratingsVersion == 2 && first.ratings.map(\.movie) == ["1", "4", "5"])
        let same = try store.setRating(user: "P6", movie: "1", rating: 2, timestamp: 2)
        #expect(!same.changed && same.ratingsVersion == 2)
        #expect(try store.setRating(user: "P6", movie: "1", rating: 3, timestamp: 3).ratings.first?.rating == 3)
        #expect { try store.setRating(user: "P6", movie: "77", rating: 3, timestamp: 3) } throws: {
            ($0 as? StoreError)?.kind == .invalidRow
        }
        let deleted = try #require(try store.deleteRating(user: "P6", movie: "1"))
        #expect(deleted.changed && deleted.ratingsVersion == 4 && deleted.ratings.map(\.rating) == [5, 5])
        #expect(try store.deleteRating(user: "P6", movie: "1")?.changed == false)
        #expect(try store.deleteRating(user: "nobody", movie: "1") == nil)
        #expect(try store.statistics().ratings == 20)
    }

    @Test("catalogue search: id or whole title, then prefix, then a word, then anywhere; most-rated first in a class")
    func catalogueSearch() throws {
        let scratch = try Scratch()
        let session = try ModelSession.train(databasePath: scratch.path, parameters: parameters(rank: 2)).withCatalogue()
        let catalogue = try #require(session.catalogue)
        let ids = { (query: String) in catalogue.search(query, limit: 10).map { catalogue.entries[$0].externalID } }
        #expect(ids("ma") == ["2", "3", "4"])     // Matrix (prefix); Iron Man 4 ratings, You've Got Mail 3 (word)
        #expect(ids("The Matrix") == ["2"])
        #expect(ids("4") == ["4"])                // an external id
        #expect(ids("an") == ["3", "5"])          // both inside a word: Iron Man (4 ratings), Titanic (3)
        #expect(ids("zzz").isEmpty)
        #expect(Catalogue.plainTitle("Matrix, The (1999)") == "matrix")
    }

    @Test("fixedDigits prints what printf's %.*f prints, for halves, negatives, zero and a million seeded values")
    func fixedDigitsMatchesPrintf() {
        var state: UInt64 = 42
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
        var values: [Float] = [0, -0, 0.125, 0.375, -0.125, 2.5, 0.005, -0.004, 4.25, 1e-7, 123456.5, -0.0049]
        for _ in 0..<1_000_000 { values.append(Float(Double(next() % 2_000_000) / 1000 - 1000)) }
        for digits in [0, 1, 2, 4] {
            for value in values {
                var expected = String(format: "%.\(digits)f", Double(value))
                if expected.hasPrefix("-") && expected.allSatisfy({ "-0.".contains($0) }) { expected.removeFirst() }
                if fixedDigits(value, digits) != expected {
                    Issue.record("fixedDigits(\(value), \(digits)) = \(fixedDigits(value, digits)), printf: \(expected)")
                    return
                }
            }
        }
    }
}
