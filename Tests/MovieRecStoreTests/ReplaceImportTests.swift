import Foundation
import GRDB
import Testing
import MovieRecStore

/// ``ImportMode/replace``: the file is a snapshot of every rating (what `train --ratings-source` takes from
/// PostgreSQL). Expected stores and counts worked out by hand from the files below.
@Suite("Importing a snapshot that replaces the stored ratings")
struct ReplaceImportTests {
    private let header = "userId,movieId,rating,timestamp\n"
    /// Users 1, 2 and 3; movies 1–4 with titles (movie 4 unrated).
    private let first = "1,1,4,100\n1,2,3,100\n1,3,2,100\n2,1,5,100\n2,2,1,100\n3,1,3,100\n"
    private let movies = "movieId,title,genres\n1,One (1990),Drama\n2,Two (1991),Drama\n3,Three (1992),Drama\n4,Four (1993),Drama\n"
    /// 1/1 kept; 1/2 changed to an *older* row (still applied: the snapshot is the truth); 1/3 missing
    /// (removed); 1/4 new (added); user 2 missing altogether (2 ratings removed); 3/1 twice, the newer row
    /// equal to the stored one (kept) and the older one a duplicate (unchanged).
    private let snapshot = "1,1,4,100\n1,2,2,50\n1,4,3,10\n3,1,1,90\n3,1,3,100\n"

    private func store(_ scratch: Scratch) throws -> String {
        let db = scratch.path("store.sqlite")
        let ratings = try scratch.write("first.csv", header + first)
        let catalogue = try scratch.write("movies.csv", movies)
        _ = try RatingsImporter(databasePath: db, options: ImportOptions(moviesFile: catalogue)).run(ratingsFile: ratings)
        return db
    }

    @Test("the store ends with exactly the snapshot's pairs; kept, updated, added and removed are counted")
    func replaceMakesTheStoreTheSnapshot() throws {
        let scratch = try Scratch()
        let db = try store(scratch)
        let file = try scratch.write("snapshot.csv", header + snapshot)
        let summary = try RatingsImporter(databasePath: db, options: ImportOptions(mode: .replace)).run(ratingsFile: file)
        #expect([summary.read, summary.inserted, summary.updated, summary.unchanged, summary.skipped, summary.removed]
                == [5, 1, 1, 3, 0, 3] as [Int])
        #expect(summary.read == summary.inserted + summary.updated + summary.unchanged + summary.skipped)
        #expect(summary.ratings == 4)
        #expect(summary.ratingsVersion == 2)
        let stored = try storedRatings(ofDatabaseAt: db)
        #expect(stored.keys.sorted() == ["1/1", "1/2", "1/4", "3/1"])
        #expect(stored["1/1"]?.rating == 4 && stored["1/1"]?.timestamp == 100)
        #expect(stored["1/2"]?.rating == 2 && stored["1/2"]?.timestamp == 50)
        #expect(stored["1/4"]?.rating == 3 && stored["1/4"]?.timestamp == 10)
        #expect(stored["3/1"]?.rating == 3 && stored["3/1"]?.timestamp == 100)
        // Titles stay, also of the movie that lost its only rating.
        let titles = try RatingStore(path: db, createIfMissing: false).findMovies(matching: "three").map(\.title)
        #expect(titles == ["Three (1992)"])
    }

    @Test("replacing with the same snapshot again changes nothing and keeps the ratings version")
    func replaceIsIdempotent() throws {
        let scratch = try Scratch()
        let db = try store(scratch)
        let file = try scratch.write("snapshot.csv", header + snapshot)
        let importer = RatingsImporter(databasePath: db, options: ImportOptions(mode: .replace))
        _ = try importer.run(ratingsFile: file)
        let before = try contentDump(ofDatabaseAt: db).components(separatedBy: "## import_log")[0]
        let again = try importer.run(ratingsFile: file)
        #expect([again.inserted, again.updated, again.unchanged, again.removed] == [0, 0, 5, 0] as [Int])
        #expect(again.ratingsVersion == 2)
        #expect(try contentDump(ofDatabaseAt: db).components(separatedBy: "## import_log")[0] == before)
    }

    @Test("merging the same snapshot instead keeps what it lacks and the newer stored rating")
    func mergeDiffersFromReplace() throws {
        let scratch = try Scratch()
        let db = try store(scratch)
        let file = try scratch.write("snapshot.csv", header + snapshot)
        let summary = try RatingsImporter(databasePath: db).run(ratingsFile: file)
        #expect(summary.removed == 0)
        #expect(summary.ratings == 7)   // 6 stored + 1/4
        #expect(try storedRatings(ofDatabaseAt: db)["1/2"]?.rating == 3)   // the snapshot's row is older
    }

    @Test("a bad row aborts the replace and leaves every stored rating in place")
    func badRowLeavesTheStoreUnchanged() throws {
        let scratch = try Scratch()
        let db = try store(scratch)
        let before = try contentDump(ofDatabaseAt: db)
        let file = try scratch.write("bad.csv", header + "1,1,4,100\n1,2,oops,100\n")
        #expect(throws: StoreError.self) {
            try RatingsImporter(databasePath: db, options: ImportOptions(mode: .replace)).run(ratingsFile: file)
        }
        #expect(try contentDump(ofDatabaseAt: db) == before)
    }

    @Test("under skip a bad row's pair is not in the snapshot, so its stored rating is removed and counted")
    func skippedRowIsRemoved() throws {
        let scratch = try Scratch()
        let db = try store(scratch)
        let file = try scratch.write("skip.csv", header + first.replacingOccurrences(of: "2,2,1,100", with: "2,2,x,100"))
        let summary = try RatingsImporter(databasePath: db, options: ImportOptions(onError: .skip, mode: .replace))
            .run(ratingsFile: file)
        #expect([summary.read, summary.unchanged, summary.skipped, summary.removed] == [6, 5, 1, 1] as [Int])
        #expect(try storedRatings(ofDatabaseAt: db)["2/2"] == nil)
        #expect(summary.ratings == 5)
    }

    @Test("import_log records what each import removed; a database from before that column migrates (old rows 0)")
    func importLogRecordsRemoved() throws {
        let scratch = try Scratch()
        let db = scratch.path("old.sqlite")
        // The schema as it was before `import_log.removed`, with one logged import: users u1 (2 ratings), u2 (1).
        try writeOldDatabase(at: db, upTo: StoreSchema.linksMigration, """
            INSERT INTO users(id, external_id) VALUES (1, 'u1'), (2, 'u2');
            INSERT INTO movies(id, external_id) VALUES (1, '1'), (2, '2');
            INSERT INTO ratings VALUES (1, 1, 4.0, 100), (1, 2, 3.0, 100), (2, 1, 5.0, 100);
            INSERT INTO import_log(imported_at, file_name, file_size, checksum, format, rows_read, inserted, updated,
                                   unchanged, skipped, seconds)
                VALUES ('2026-01-01T00:00:00Z', 'old.csv', 40, 'x', 'movielens-csv', 3, 3, 0, 0, 0, 0.1);
            UPDATE store_state SET ratings_version = 1;
            """)
        // Replace with u1/1 only: u1/2 and all of u2 (1 rating) go, 2 removed; then a merge adds u2/2 (0 removed);
        // then a replace with u2/2 only removes u1/1 (1 removed).
        let replace = RatingsImporter(databasePath: db, options: ImportOptions(mode: .replace))
        #expect(try replace.run(ratingsFile: scratch.write("a.csv", header + "u1,1,4,100\n")).removed == 2)
        _ = try RatingsImporter(databasePath: db).run(ratingsFile: scratch.write("b.csv", header + "u2,2,2,200\n"))
        #expect(try replace.run(ratingsFile: scratch.write("c.csv", header + "u2,2,2,200\n")).removed == 1)
        let check = try DatabaseQueue(path: db)
        defer { try? check.close() }
        let logged = try check.read { db in
            try Row.fetchAll(db, sql: "SELECT file_name, inserted, unchanged, removed FROM import_log ORDER BY id")
                .map { "\($0[0] as String) \($0[1] as Int) \($0[2] as Int) \($0[3] as Int)" }
        }
        #expect(logged == ["old.csv 3 0 0", "a.csv 0 1 2", "b.csv 1 0 0", "c.csv 0 1 1"])
        #expect(try check.read { try Int32.fetchOne($0, sql: "PRAGMA user_version") } == 3)
        #expect(try storedRatings(ofDatabaseAt: db).keys.sorted() == ["u2/2"])
    }
}
