import Foundation
import GRDB
import Testing
@testable import MovieRecStore

/// The input and store faults of issue 12 ("Why"), each reproduced exactly.
@Suite("Input faults: ids kept exactly, other databases left alone, bounded messages, links, readers")
struct InputFaultTests {
    private let header = "userId,movieId,rating,timestamp\n"

    @Test("two ids with a NUL byte: a bad row with file:line:field, never a UNIQUE constraint; skip skips and logs both")
    func nulIDs() throws {
        let scratch = try Scratch()
        let ratings = try scratch.write("nul.csv", bytes: Array(header.utf8) + Array("1,a".utf8) + [0] + Array("b,4,1\n1,a".utf8)
                                        + [0] + Array("c,3,2\n2,x,5,3\n".utf8))
        let db = scratch.path("n.sqlite")
        do {
            _ = try RatingsImporter(databasePath: db).run(ratingsFile: ratings)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.kind == .invalidRow)
            #expect(error.line == 2)
            #expect(error.field == "movie")
            #expect(error.description.hasSuffix("nul.csv:2: field movie: the movie id contains a NUL byte (at byte 2): expected text without control characters"))
            #expect(!error.description.contains("UNIQUE"))
        }
        #expect(!FileManager.default.fileExists(atPath: db))
        let summary = try RatingsImporter(databasePath: db, options: ImportOptions(onError: .skip)).run(ratingsFile: ratings)
        #expect([summary.read, summary.inserted, summary.skipped] == [3, 1, 2] as [Int])
        #expect(summary.firstRejects.count == 2)
        #expect(summary.firstRejects.last?.contains("nul.csv:3: field movie") == true)
        let rejects = try String(contentsOfFile: summary.rejectsFile!, encoding: .utf8)
        #expect(rejects.contains("\"1,a\\0b,4,1\""))   // the raw line, with the NUL shown escaped
        #expect(try storedRatings(ofDatabaseAt: db).keys.sorted() == ["2/x"])
    }

    @Test("latin-1 ids: rejected as not UTF-8 by default; with --encoding latin1 élodie and èlodie stay two users")
    func latin1IDs() throws {
        let scratch = try Scratch()
        let bytes = Array(header.utf8) + [0xE9] + Array("lodie,1,4,1\n".utf8) + [0xE8] + Array("lodie,1,3,2\n".utf8)
        let ratings = try scratch.write("l1.csv", bytes: bytes)
        let db = scratch.path("l.sqlite")
        do {
            _ = try RatingsImporter(databasePath: db).run(ratingsFile: ratings)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.line == 2)
            #expect(error.field == "user")
            #expect(error.description.contains("is not valid UTF-8 (byte 0xE9 at byte 1)"))
            #expect(error.description.contains("--encoding latin1"))
        }
        let summary = try RatingsImporter(databasePath: db, options: ImportOptions(encoding: .latin1)).run(ratingsFile: ratings)
        #expect([summary.inserted, summary.updated, summary.users] == [2, 0, 2] as [Int])
        #expect(try RatingStore(path: db, createIfMissing: false).loadRatings().userExternalIDs.sorted() == ["èlodie", "élodie"])
        // The parser alone, straight from the bytes: the same two ids.
        let parsed = try ParsedRatings(contentsOf: ratings, encoding: .latin1)
        #expect(parsed.userExternalIDs == ["élodie", "èlodie"])
    }

    @Test("control characters in ids and titles are bad rows; titles not UTF-8 need --encoding latin1")
    func controlCharactersAndTitles() throws {
        let scratch = try Scratch()
        let ratings = try scratch.write("r.csv", header + "u\u{7}1,1,4,1\nu2,1,4,1\n")
        #expect(throws: StoreError.self) { try ParsedRatings(contentsOf: ratings) }
        let skipped = try ParsedRatings(contentsOf: ratings, policy: .skip)
        #expect(skipped.rejects.map(\.field) == ["user"])
        #expect(skipped.rejects.first?.reason.contains("control character 0x07") == true)

        let movies = try scratch.write("movies.csv", bytes: Array("movieId,title,genres\n1,Caf".utf8) + [0xE9]
                                       + Array(" (1995),Drama\n2,Tab\there (2000),Drama\n3,Fine (2001),Drama\n".utf8))
        let strict = try ParsedMovies(contentsOf: movies, policy: .skip)
        #expect(strict.movies.map(\.externalID) == ["3"])
        #expect(strict.rejects.map(\.line) == [2, 3])
        #expect(strict.rejects.map(\.field) == ["title", "title"])
        do {
            _ = try ParsedMovies(contentsOf: movies)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.description.contains("movies.csv:2: field title: the title is not valid UTF-8"))
        }
        let latin1 = try ParsedMovies(contentsOf: movies, policy: .skip, encoding: .latin1)
        #expect(latin1.movies.map(\.title) == ["Café (1995)", "Fine (2001)"])
    }

    @Test("a read command on another program's database refuses it and leaves every byte as it was")
    func foreignDatabase() throws {
        let scratch = try Scratch()
        let path = scratch.path("other.sqlite")
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE users(name TEXT); CREATE TABLE movies(x); INSERT INTO users VALUES ('z')")
        }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            _ = try RatingStore(path: path, createIfMissing: false)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.kind == .notMovieRecDatabase)
            #expect(error.description.contains("not a movierec database (tables \"movies\", \"users\")"))
            #expect(!error.description.contains("CREATE"))
            #expect(error.description.count < 250)
        }
        let ratings = try scratch.write("r.csv", header + "1,1,4,1\n")
        #expect(throws: StoreError.self) { try RatingsImporter(databasePath: path).run(ratingsFile: ratings) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        // Another program's application id is refused even without tables.
        let stamped = scratch.path("stamped.sqlite")
        let other = try DatabaseQueue(path: stamped)
        try other.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA application_id = 1234") }
        try other.close()
        do {
            _ = try RatingStore(path: stamped)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.kind == .notMovieRecDatabase)
            #expect(error.description.contains("application_id 0x000004D2"))
        }
    }

    @Test("read-only opening writes nothing; import stamps application_id, user_version and WAL")
    func readOnlyAndStamp() throws {
        let scratch = try Scratch()
        let db = scratch.path("s.sqlite")
        _ = try RatingsImporter(databasePath: db).run(ratingsFile: scratch.write("r.csv", header + "1,1,4,1\n2,1,3,1\n"))
        let probe = try DatabaseQueue(path: db, configuration: { var c = Configuration(); c.readonly = true; return c }())
        #expect(try probe.read { try Int32.fetchOne($0, sql: "PRAGMA application_id") } == StoreSchema.applicationID)
        #expect(try probe.read { try Int32.fetchOne($0, sql: "PRAGMA user_version") } == StoreSchema.schemaVersion)
        #expect(try probe.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        try probe.close()
        let store = try RatingStore(path: db, createIfMissing: false)
        #expect(store.isReadOnly)
        let repository = try ModelRepository(store: store)
        #expect(try repository.latestInfo() == nil)
        #expect(try store.statistics().ratings == 2)
        // No models table was created by opening the repository read-only.
        #expect(try store.databaseReader.read { try RatingStore.tableExists($0, "models") } == false)
        // An empty SQLite file is not a database to read from.
        let empty = try scratch.write("empty.sqlite", "")
        #expect { try RatingStore(path: empty, createIfMissing: false) } throws: { ($0 as? StoreError)?.kind == .notMovieRecDatabase }
    }

    @Test("a movierec database from before application_id is read as it is and upgraded by the next import")
    func legacyDatabase() throws {
        let scratch = try Scratch()
        let db = scratch.path("old.sqlite")
        // The schema as it was: migration v1 only, no application id, no link columns.
        try writeOldDatabase(at: db, upTo: StoreSchema.initialMigration, """
            INSERT INTO users(id, external_id) VALUES (1, 'u');
            INSERT INTO movies(id, external_id, title) VALUES (1, '1', 'Heat (1995)');
            INSERT INTO ratings VALUES (1, 1, 4.0, 1);
            UPDATE store_state SET ratings_version = 1;
            """)
        let store = try RatingStore(path: db, createIfMissing: false)
        #expect(try store.statistics().ratings == 1)
        #expect(try store.movieLinks().isEmpty)
        let links = try scratch.write("links.csv", "movieId,imdbId,tmdbId\n1,0113277,949\n")
        let summary = try RatingsImporter(databasePath: db, options: ImportOptions(linksFile: links))
            .run(ratingsFile: scratch.write("r.csv", header + "v,1,5,2\n"))
        #expect(summary.linksApplied == 1)
        let upgraded = try RatingStore(path: db, createIfMissing: false)
        #expect(try upgraded.movieLinks()["1"] == MovieLinks(externalID: "1", imdbID: "tt0113277", tmdbID: 949))
        #expect(try upgraded.databaseReader.read { try Int32.fetchOne($0, sql: "PRAGMA application_id") } == StoreSchema.applicationID)
    }

    @Test("links: IMDb and TMDb ids stored per movie, found by IMDb id; unknown movies counted; bad rows located")
    func links() throws {
        let scratch = try Scratch()
        let db = scratch.path("l.sqlite")
        let movies = try scratch.write("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Animation\n2,Jumanji (1995),Adventure\n")
        let links = try scratch.write("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n2,tt0113497,\n99,0000001,5\n")
        let summary = try RatingsImporter(databasePath: db, options: ImportOptions(moviesFile: movies, linksFile: links))
            .run(ratingsFile: scratch.write("r.csv", header + "1,1,4,1\n"))
        #expect([summary.linksRead, summary.linksApplied, summary.linksUnknownMovie, summary.linksSkipped] == [3, 2, 1, 0] as [Int])
        let store = try RatingStore(path: db, createIfMissing: false)
        #expect(try store.movieLinks() == [
            "1": MovieLinks(externalID: "1", imdbID: "tt0114709", tmdbID: 862),
            "2": MovieLinks(externalID: "2", imdbID: "tt0113497", tmdbID: nil),
        ])
        #expect(try store.movies(imdbID: "tt0114709").map(\.title) == ["Toy Story (1995)"])
        #expect(try store.movies(imdbID: "114709").map(\.externalID) == ["1"])
        #expect(try store.movies(imdbID: "tt9999999").isEmpty)
        #expect(MovieLinks.canonicalIMDbID("abc") == nil)

        let bad = try scratch.write("bad.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n2,t0113497,\n")
        do {
            _ = try ParsedLinks(contentsOf: bad)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.description.hasSuffix("bad.csv:3: field imdbId: \"t0113497\" is not an IMDb id: expected digits such as 0114709 or tt0114709"))
        }
        #expect(throws: StoreError.self) { try ParsedLinks(contentsOf: scratch.write("h.csv", "movieId,title\n1,x\n")) }
    }

    @Test("ml-latest-small with links.csv: every film gets its IMDb id (Toy Story tt0114709, TMDb 862)",
          .enabled(if: SharedData.movieLensSmall != nil, "shared/data/ml-latest-small not found next to the repository"))
    func movieLensSmallLinks() throws {
        let data = try #require(SharedData.movieLensSmall)
        let scratch = try Scratch()
        let db = scratch.path("ml.sqlite")
        let summary = try RatingsImporter(databasePath: db, options: ImportOptions(
            moviesFile: data.appendingPathComponent("movies.csv").path,
            linksFile: data.appendingPathComponent("links.csv").path)
        ).run(ratingsFile: data.appendingPathComponent("ratings.csv").path)
        #expect([summary.linksRead, summary.linksApplied, summary.linksUnknownMovie, summary.linksSkipped] == [9_742, 9_742, 0, 0] as [Int])
        let links = try RatingStore(path: db, createIfMissing: false).movieLinks()
        #expect(links.count == 9_742)
        #expect(links["1"] == MovieLinks(externalID: "1", imdbID: "tt0114709", tmdbID: 862))
        #expect(links.values.filter { $0.tmdbID == nil }.count == 8)   // 8 rows of links.csv have no TMDb id
    }

    @Test("a 10 MB field without a newline fails at once with a message of bounded length")
    func overlongLine() throws {
        let scratch = try Scratch()
        let field = String(repeating: "x", count: 10_000_000)
        for (name, text) in [("a.csv", header + "1," + field), ("b.csv", field), ("c.csv", header + "1,1,4,1\n" + field + "\n")] {
            let path = try scratch.write(name, text)
            do {
                _ = try RatingsImporter(databasePath: scratch.path(name + ".sqlite")).run(ratingsFile: path)
                Issue.record("expected an error")
            } catch let error as StoreError {
                #expect(error.description.count < 300)
                #expect(error.description.contains("bytes long"))
                #expect(error.description.contains("at most 1048576 bytes"))
            }
        }
        let movies = try scratch.write("m.csv", "movieId,title,genres\n1," + field + ",Drama\n")
        #expect { try ParsedMovies(contentsOf: movies) } throws: { ($0 as? StoreError)?.line == 2 }
    }

    @Test("echoed input is escaped and cut to 80 characters")
    func boundedEcho() throws {
        #expect(StoreError.shortened("a\u{0}b\tc\u{7F}") == "a\\0b\\tc\\u{7F}")
        let long = StoreError.shortened(String(repeating: "é", count: 500))
        #expect(long.count == 80)
        #expect(long.hasSuffix("…"))
        #expect(StoreError.shortened(String(repeating: "\u{1}", count: 100)).count <= 80)
        let scratch = try Scratch()
        let path = try scratch.write("r.csv", header + "1,1," + String(repeating: "9", count: 5000) + "z,1\n")
        do {
            _ = try ParsedRatings(contentsOf: path)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.description.count < 250)
            #expect(error.description.contains("…\" is not a number"))
        }
    }

    @Test("SQLite constraint errors become typed errors without SQL")
    func constraintErrors() throws {
        let raw = DatabaseError(resultCode: .SQLITE_CONSTRAINT, message: "UNIQUE constraint failed: movies.external_id",
                                sql: "INSERT INTO movies(id, external_id) VALUES (?, ?)")
        let wrapped = StoreError.wrapping(raw, database: "x.sqlite", while: "importing")
        #expect(wrapped.kind == .constraintViolation)
        #expect(wrapped.file == "x.sqlite")
        #expect(wrapped.description.contains("movies.external_id"))
        #expect(!wrapped.description.contains("INSERT"))
        let other = StoreError.wrapping(DatabaseError(resultCode: .SQLITE_ERROR, message: "table users already exists",
                                                      sql: "CREATE TABLE users(id INTEGER PRIMARY KEY, external_id TEXT)"),
                                        database: "x.sqlite", while: "opening the database")
        #expect(!other.description.contains("CREATE"))
    }

    @Test("a reader during an uncommitted import sees the old data and does not wait")
    func readerDuringImport() throws {
        let scratch = try Scratch()
        let db = scratch.path("w.sqlite")
        _ = try RatingsImporter(databasePath: db).run(ratingsFile: scratch.write("r.csv", header + "1,1,4,1\n"))
        // A writer holding a large uncommitted transaction (as an import does until its commit), with its page
        // cache spilled to the log.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let writer = try DatabaseQueue(path: db, configuration: configuration)
        let inTransaction = DispatchSemaphore(value: 0)
        let readerDone = DispatchSemaphore(value: 0)
        let writing = DispatchGroup()
        DispatchQueue.global().async(group: writing) {
            try? writer.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA cache_size = 10")
                try db.inTransaction(.immediate) {
                    try db.execute(sql: "INSERT INTO users(id, external_id) VALUES (2, '2')")
                    try db.execute(sql: "INSERT INTO ratings VALUES (2, 1, 3.0, 5)")
                    try db.execute(sql: "CREATE TABLE filler(x BLOB)")
                    for _ in 0..<200 { try db.execute(sql: "INSERT INTO filler VALUES (randomblob(4000))") }
                    inTransaction.signal()
                    readerDone.wait()
                    return .commit
                }
            }
        }
        inTransaction.wait()
        // Were the reader blocked (a rollback journal with the writer's cache spilled into the file), this would
        // throw "database is locked" after the busy timeout.
        let stats = try RatingStore(path: db, createIfMissing: false).statistics()
        readerDone.signal()
        writing.wait()
        let users = stats.users, count = stats.ratings
        #expect(users == 1 && count == 1)
        #expect(try RatingStore(path: db, createIfMissing: false).statistics().ratings == 2)
    }
}
