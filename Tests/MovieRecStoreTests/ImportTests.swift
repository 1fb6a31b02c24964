import Foundation
import GRDB
import Testing
import MovieRecStore

@Suite("Importing into a database")
struct ImportTests {
    private let header = "userId,movieId,rating,timestamp\n"

    @Test("import creates the database with users, movies, ratings, log and version 1")
    func firstImport() throws {
        let scratch = try Scratch()
        let ratings = try scratch.write("ratings.csv", header + "2,10,4.0,100\n1,10,3.5,101\n1,20,5,102\n")
        let movies = try scratch.write("movies.csv", "movieId,title,genres\n10,\"Heat (1995)\",Action|Crime\n30,Unrated (2000),Drama\n")
        let db = scratch.path("store.sqlite")
        let summary = try RatingsImporter(databasePath: db, options: ImportOptions(moviesFile: movies)).run(ratingsFile: ratings)
        #expect(summary.createdDatabase)
        #expect([summary.read, summary.inserted, summary.updated, summary.unchanged, summary.skipped] == [3, 3, 0, 0, 0] as [Int])
        #expect([summary.users, summary.movies, summary.ratings] == [2, 3, 3] as [Int])
        #expect(summary.ratingsVersion == 1)
        #expect(!FileManager.default.fileExists(atPath: db + ".importing"))

        let store = try RatingStore(path: db, createIfMissing: false)
        let table = try store.loadRatings()
        // Users get ids in external-id order, so user "1" is dense index 0.
        #expect(table.userExternalIDs == ["1", "2"])
        #expect(table.movieExternalIDs == ["10", "20", "30"])
        #expect(table.userIndex == [0, 0, 1])
        #expect(table.movieIndex == [0, 1, 0])
        #expect(table.rating == [3.5, 5, 4])
        #expect(table.timestamp == [101, 102, 100])
        let found = try store.findMovies(matching: "heat")
        #expect(found.map(\.title) == ["Heat (1995)"])
        #expect(found.first?.year == 1995)
        #expect(found.first?.genres == ["Action", "Crime"])
        let byID = try store.movies(internalIDs: table.movieIDs)
        #expect(byID[table.movieIDs[1]]?.title == nil)   // movie 20 is only known from a rating
        #expect(byID[table.movieIDs[2]]?.title == "Unrated (2000)")
    }

    @Test("re-importing the same file changes nothing and reports 0 inserted")
    func reimportIsIdempotent() throws {
        let scratch = try Scratch()
        let ratings = try scratch.write("ratings.csv", header + "1,1,4,1\n1,2,3,2\n2,1,5,3\n")
        let db = scratch.path("store.sqlite")
        let importer = RatingsImporter(databasePath: db)
        _ = try importer.run(ratingsFile: ratings)
        let before = try contentDump(ofDatabaseAt: db).components(separatedBy: "## ratings")[1]
        let second = try importer.run(ratingsFile: ratings)
        #expect(!second.createdDatabase)
        #expect([second.read, second.inserted, second.updated, second.unchanged] == [3, 0, 0, 3] as [Int])
        #expect(second.ratings == 3)
        #expect(second.ratingsVersion == 1)   // nothing changed, so the version stays
        let after = try contentDump(ofDatabaseAt: db).components(separatedBy: "## ratings")[1]
        #expect(after.components(separatedBy: "## store_state")[0] == before.components(separatedBy: "## store_state")[0])
    }

    @Test("the newer timestamp wins across imports; ties go to the later import; older rows are unchanged")
    func newerTimestampWins() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        let importer = RatingsImporter(databasePath: db)
        _ = try importer.run(ratingsFile: scratch.write("a.csv", header + "1,1,4,100\n1,2,3,100\n1,3,2,100\n"))
        let summary = try importer.run(ratingsFile: scratch.write("b.csv", header + "1,1,1,200\n1,2,5,50\n1,3,4.5,100\n1,4,3,1\n"))
        #expect([summary.inserted, summary.updated, summary.unchanged] == [1, 2, 1] as [Int])
        #expect(summary.read == summary.inserted + summary.updated + summary.unchanged + summary.skipped)
        #expect(summary.ratingsVersion == 2)
        let stored = try storedRatings(ofDatabaseAt: db)
        #expect(stored["1/1"]?.rating == 1)     // newer
        #expect(stored["1/1"]?.timestamp == 200)
        #expect(stored["1/2"]?.rating == 3)     // incoming is older: kept
        #expect(stored["1/3"]?.rating == 4.5)   // tie: the later row wins
        #expect(stored.count == 4)
    }

    @Test("a file that repeats a pair keeps one row: newer timestamp, else the later line")
    func duplicatesWithinAFile() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        let file = try scratch.write("dup.csv", header + "1,1,2,300\n1,1,5,100\n1,2,1,7\n1,2,2,7\n1,2,2,7\n")
        let summary = try RatingsImporter(databasePath: db).run(ratingsFile: file)
        // 1/1: insert (2@300), then 5@100 is older → unchanged.
        // 1/2: insert (1@7), 2@7 ties and differs → updated, identical 2@7 → unchanged.
        #expect([summary.read, summary.inserted, summary.updated, summary.unchanged] == [5, 2, 1, 2] as [Int])
        let stored = try storedRatings(ofDatabaseAt: db)
        #expect(stored.count == 2)
        #expect(stored["1/1"]?.rating == 2)
        #expect(stored["1/2"]?.rating == 2)
    }

    @Test("a bad row aborts and leaves the database content exactly as before")
    func abortLeavesDatabaseUnchanged() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        let importer = RatingsImporter(databasePath: db)
        _ = try importer.run(ratingsFile: scratch.write("good.csv", header + "1,1,4,1\n2,2,3,1\n"))
        let before = try contentDump(ofDatabaseAt: db)
        let bad = try scratch.write("bad.csv", header + "1,1,5,9\n3,3,4,9\n3,4,7,9\n")
        do {
            _ = try importer.run(ratingsFile: bad)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.line == 4)
            #expect(error.field == "rating")
            #expect(error.description.contains("bad.csv:4: field rating: \"7\" is outside the rating scale"))
        }
        #expect(try contentDump(ofDatabaseAt: db) == before)
        #expect(!FileManager.default.fileExists(atPath: importer.rejectsPath))
    }

    @Test("a bad first import creates no database at all")
    func abortOnNewDatabaseCreatesNothing() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        #expect(throws: StoreError.self) {
            try RatingsImporter(databasePath: db).run(ratingsFile: scratch.write("bad.csv", header + "1,1,x,1\n"))
        }
        #expect(!FileManager.default.fileExists(atPath: db))
        #expect(!FileManager.default.fileExists(atPath: db + ".importing"))
    }

    @Test("skip imports the good rows and writes every bad one to the rejects file")
    func skipWritesRejects() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        let importer = RatingsImporter(databasePath: db, options: ImportOptions(onError: .skip))
        let file = try scratch.write("mixed.csv", header + "1,1,4,1\n1,2,NaN,1\n1,3,3,1,extra\n2,1,\"oops\",1\n2,2,2,1\n")
        let summary = try importer.run(ratingsFile: file)
        #expect([summary.read, summary.inserted, summary.skipped] == [5, 2, 3] as [Int])
        #expect(summary.rejectsFile == importer.rejectsPath)
        #expect(summary.firstRejects.count == 3)
        let rejects = try String(contentsOfFile: importer.rejectsPath, encoding: .utf8)
        let lines = rejects.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0] == "file,line,field,reason,raw")
        #expect(lines[1].contains(",3,rating,") && lines[1].hasSuffix(",\"1,2,NaN,1\""))
        #expect(lines[2].contains(",4,columns,"))
        #expect(lines[3].contains(",5,rating,") && lines[3].hasSuffix(",\"2,1,\"\"oops\"\",1\""))
        #expect(try storedRatings(ofDatabaseAt: db).count == 2)
    }

    @Test("a missing input file or an unwritable database path fails before touching anything")
    func missingFileAndUnwritablePath() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        do {
            _ = try RatingsImporter(databasePath: db).run(ratingsFile: scratch.path("nope.csv"))
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.kind == .fileNotFound)
            #expect(error.file == scratch.path("nope.csv"))
        }
        #expect(!FileManager.default.fileExists(atPath: db))
        let file = try scratch.write("r.csv", header + "1,1,4,1\n")
        do {
            _ = try RatingsImporter(databasePath: scratch.path("no/such/dir/x.sqlite")).run(ratingsFile: file)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.kind == .unwritableDatabase)
            #expect(error.description.contains("does not exist"))
        }
        do {
            _ = try RatingsImporter(databasePath: scratch.directory.path).run(ratingsFile: file)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.kind == .unwritableDatabase)
        }
    }

    @Test("a stale temporary file from a killed import does not break the next import")
    func staleTemporaryFile() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        let importer = RatingsImporter(databasePath: db)
        try scratch.write("store.sqlite.importing", "garbage, not a database")
        let summary = try importer.run(ratingsFile: scratch.write("r.csv", header + "1,1,4,1\n"))
        #expect(summary.ratings == 1)
        #expect(!FileManager.default.fileExists(atPath: importer.temporaryPath))
    }

    @Test("statistics match a reference computed from the rows")
    func statistics() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        let rows: [(user: Int, movie: Int, rating: Double)] = [
            (1, 1, 4), (1, 2, 3), (2, 1, 5), (3, 1, 4), (3, 3, 0.5), (2, 3, 4),
        ]
        let text = header + rows.map { "\($0.user),\($0.movie),\($0.rating),1" }.joined(separator: "\n")
        let movies = try scratch.write("m.csv", "movieId,title,genres\n1,One (1990),Drama\n2,Two (1991),Drama\n3,Three (1992),Drama\n4,Four (1993),Drama\n")
        _ = try RatingsImporter(databasePath: db, options: ImportOptions(moviesFile: movies))
            .run(ratingsFile: scratch.write("r.csv", text))
        let stats = try RatingStore(path: db).statistics(topMovies: 2)
        #expect([stats.users, stats.movies, stats.ratedMovies, stats.ratings] == [3, 4, 3, 6] as [Int])
        #expect(abs(stats.density - 6.0 / 12.0) < 1e-12)
        #expect(abs(stats.meanRating - rows.map(\.rating).reduce(0, +) / 6) < 1e-12)
        #expect(stats.distribution.map(\.from) == [0.5, 3, 4, 5])
        #expect(stats.distribution.map(\.count) == [1, 1, 3, 1])
        #expect(stats.mostRated.map(\.movie.title) == ["One (1990)", "Three (1992)"])
        #expect(stats.mostRated.map(\.ratings) == [3, 2])
        #expect(abs(stats.mostRated[0].meanRating - 13.0 / 3) < 1e-12)
    }

    @Test("a generic tab-separated file with text ids, a 1–10 scale and no timestamps")
    func genericFile() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        let spec = ColumnSpec(user: .name("who"), movie: .name("film"), rating: .name("stars"),
                              delimiter: .byte(UInt8(ascii: "\t")))
        let file = try scratch.write("mine.tsv", "who\tfilm\tstars\nalice\ttt0114709\t9\nbob\ttt0114709\t10\nalice\ttt0113497\t1\n")
        let summary = try RatingsImporter(databasePath: db, options: ImportOptions(format: .csv(spec), bounds: 1...10))
            .run(ratingsFile: file)
        #expect(summary.inserted == 3)
        let stored = try storedRatings(ofDatabaseAt: db)
        #expect(stored["alice/tt0114709"]?.rating == 9)
        #expect(stored["bob/tt0114709"]?.timestamp == nil)
        #expect(stored["alice/tt0113497"]?.rating == 1)
    }

    @Test("a large import into an existing database upserts in one transaction; ratings keep no secondary index")
    func largeImportIntoExistingDatabase() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        let importer = RatingsImporter(databasePath: db)
        _ = try importer.run(ratingsFile: scratch.write("small.csv", header + "1,1,4,1\n1,2,3,1\n"))
        var text = header
        for user in 1...2_500 {
            for movie in 1...100 { text += "\(user),\(movie),\(Double(movie % 10 + 1) / 2),\(user + movie)\n" }
        }
        let summary = try importer.run(ratingsFile: scratch.write("large.csv", text))
        // Users 1's movies 1 and 2 existed with timestamp 1; the new rows are newer (2 and 3) with new values.
        #expect([summary.read, summary.inserted, summary.updated, summary.unchanged] == [250_000, 249_998, 2, 0] as [Int])
        #expect(summary.ratings == 250_000)
        let stored = try storedRatings(ofDatabaseAt: db)
        #expect(stored["1/1"]?.rating == 1 && stored["1/1"]?.timestamp == 2)
        #expect(stored["2500/100"]?.rating == 0.5 && stored["2500/100"]?.timestamp == 2_600)
        let queue = try DatabaseQueue(path: db)
        try queue.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ratings'")
            #expect(indexes.isEmpty)
        }
        try queue.close()
    }

    @Test("a file already in key order and the same rows shuffled give the same database")
    func sortedAndShuffledFilesAgree() throws {
        let scratch = try Scratch()
        var rows: [String] = []
        for user in 1...30 {
            for movie in stride(from: user % 3 + 1, through: 40, by: 3) {
                rows.append("\(user),\(movie),\(Double((user * movie) % 10 + 1) / 2),\(user * 100 + movie)")
            }
        }
        // A repeated pair, adjacent in the sorted file: the later row (newer timestamp) must win in both files.
        rows.insert("5,3,1.5,1", at: rows.firstIndex(of: "5,3,\(Double(15 % 10 + 1) / 2),503")!)
        var shuffled = rows
        var state: UInt64 = 99
        for index in stride(from: shuffled.count - 1, to: 0, by: -1) {
            state = state &* 6_364_136_223_846_793_005 &+ 1
            shuffled.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
        }
        let sortedDB = scratch.path("sorted.sqlite")
        let shuffledDB = scratch.path("shuffled.sqlite")
        let first = try RatingsImporter(databasePath: sortedDB)
            .run(ratingsFile: scratch.write("sorted.csv", header + rows.joined(separator: "\n")))
        let second = try RatingsImporter(databasePath: shuffledDB)
            .run(ratingsFile: scratch.write("shuffled.csv", header + shuffled.joined(separator: "\n")))
        #expect([first.inserted, first.updated, first.unchanged] == [rows.count - 1, 1, 0] as [Int])
        // In the shuffled file the older row may come first (then updated) or second (then unchanged).
        #expect(second.inserted == rows.count - 1)
        #expect(second.updated + second.unchanged == 1)
        func ratingsPart(_ path: String) throws -> String {
            let dump = try contentDump(ofDatabaseAt: path)
            return dump.components(separatedBy: "## movies")[1].components(separatedBy: "## store_state")[0]
        }
        #expect(try ratingsPart(sortedDB) == ratingsPart(shuffledDB))
        #expect(try storedRatings(ofDatabaseAt: sortedDB)["5/3"]?.rating == Double(15 % 10 + 1) / 2)
    }

    @Test("title search orders several matches by rating count, then id, without a movie index")
    func titleSearchOrder() throws {
        let scratch = try Scratch()
        let db = scratch.path("store.sqlite")
        let movies = try scratch.write("m.csv", """
            movieId,title,genres
            1,Heat (1995),Action
            2,Heat Wave (2000),Drama
            3,The Heat (2013),Comedy
            4,Cold (2001),Drama
            5,Heatless (1999),Drama
            """)
        let ratings = "1,1,4,1\n1,2,4,1\n2,2,3,1\n3,2,2,1\n1,3,5,1\n2,3,5,1\n1,4,1,1\n2,4,1,1\n3,4,1,1\n"
        _ = try RatingsImporter(databasePath: db, options: ImportOptions(moviesFile: movies))
            .run(ratingsFile: scratch.write("r.csv", header + ratings))
        let store = try RatingStore(path: db)
        // Counts: Heat Wave 3, The Heat 2, Heat 1, Heatless 0.
        #expect(try store.findMovies(matching: "heat").map(\.externalID) == ["2", "3", "1", "5"])
        #expect(try store.findMovies(matching: "HEAT (1995)").map(\.externalID) == ["1"])
        let stats = try store.statistics(topMovies: 10)
        #expect(stats.mostRated.map(\.movie.externalID) == ["2", "4", "3", "1"])
        #expect(stats.mostRated.map(\.ratings) == [3, 3, 2, 1])
        #expect(stats.ratedMovies == 4)
    }

    @Test("RatingStore without createIfMissing reports a missing database")
    func missingDatabase() throws {
        let scratch = try Scratch()
        do {
            _ = try RatingStore(path: scratch.path("none.sqlite"), createIfMissing: false)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.kind == .databaseNotFound)
        }
    }

    @Test("ml-latest-small: 100,836 ratings, 610 users, 9,742 movies, titles intact",
          .enabled(if: SharedData.movieLensSmall != nil, "shared/data/ml-latest-small not found next to the repository"))
    func movieLensSmall() throws {
        let data = try #require(SharedData.movieLensSmall)
        let scratch = try Scratch()
        let db = scratch.path("ml.sqlite")
        let summary = try RatingsImporter(
            databasePath: db, options: ImportOptions(moviesFile: data.appendingPathComponent("movies.csv").path)
        ).run(ratingsFile: data.appendingPathComponent("ratings.csv").path)
        #expect([summary.read, summary.inserted, summary.skipped] == [100_836, 100_836, 0] as [Int])
        #expect([summary.users, summary.movies, summary.ratings] == [610, 9_742, 100_836] as [Int])
        let store = try RatingStore(path: db)
        let table = try store.loadRatings()
        #expect(table.count == 100_836)
        #expect(table.userIDs.count == 610)
        #expect(table.movieIDs.count == 9_742)
        let president = try store.findMovies(matching: "American President, The (1995)")
        #expect(president.map(\.externalID) == ["11"])
        #expect(president.first?.year == 1995)
        // Spot-check against the file: user 1 rated movie 1 with 4.0 at 964982703 (its first data line).
        #expect(table.userExternalIDs[Int(table.userIndex[0])] == "1")
        #expect(table.movieExternalIDs[Int(table.movieIndex[0])] == "1")
        #expect(table.rating[0] == 4.0)
        #expect(table.timestamp[0] == 964_982_703)
    }
}
