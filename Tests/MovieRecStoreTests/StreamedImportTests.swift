import Foundation
import Testing
@testable import MovieRecStore

/// A sorted file imported into a brand-new database is parsed chunk by chunk while it is written. The reference
/// for every expectation is the serial path, reached by importing the same file into an existing empty database
/// (which never streams), plus values written down by the file's generator.
@Suite("Streamed import of sorted files")
struct StreamedImportTests {
    /// A 64-bit LCG (high bits), independent of the code under test.
    private struct LCG {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    /// A MovieLens CSV sorted by (user, movie), with repeated pairs (some spanning many lines), blank lines, CRLF,
    /// rows the fast path leaves to the general one, and, when `bad` is set, bad rows of every kind.
    private static func sortedFile(users: Int, seed: UInt64, bad: Bool) -> (text: String, badLines: [Int]) {
        var random = LCG(state: seed)
        var text = "userId,movieId,rating,timestamp\r\n"
        var line = 1
        var badLines: [Int] = []
        for user in 1...users {
            var movie = random.next(5) + 1
            for _ in 0..<(random.next(30) + 1) {
                movie += random.next(4)    // 0 repeats the pair
                line += 1
                let rating = Double(random.next(10) + 1) / 2
                let timestamp = 1_000 + random.next(50)
                switch random.next(60) {
                case 0:
                    text += "\r\n"
                case 1:
                    text += "\(user),\(movie),\"\(rating)\",\(timestamp)\n"
                case 2 where bad:
                    text += "\(user),\(movie),7,\(timestamp)\r\n"
                    badLines.append(line)
                case 3 where bad:
                    text += "\(user),\(movie),\(rating)\r\n"
                    badLines.append(line)
                default:
                    text += "\(user),\(movie),\(rating),\(timestamp)\r\n"
                }
            }
        }
        return (text, badLines)
    }

    /// The database content without `import_log` (which holds the time of the import).
    private func content(_ path: String) throws -> String {
        try contentDump(ofDatabaseAt: path).components(separatedBy: "## ").filter { !$0.hasPrefix("import_log") }
            .joined(separator: "## ")
    }

    /// Imports `ratings` into an existing empty database: the serial path.
    private func serialImport(
        _ scratch: Scratch, _ ratings: String, options: ImportOptions
    ) throws -> (summary: ImportSummary, content: String, rejects: String?) {
        let db = scratch.path("serial-\(UUID().uuidString).sqlite")
        _ = try RatingStore(path: db)
        let importer = RatingsImporter(databasePath: db, options: options)
        let summary = try importer.run(ratingsFile: ratings)
        return (summary, try content(db), try? String(contentsOfFile: importer.rejectsPath, encoding: .utf8))
    }

    /// The outcome counts of a summary, for comparing two imports.
    private func counts(_ summary: ImportSummary) -> [Int] {
        [summary.read, summary.inserted, summary.updated, summary.unchanged, summary.skipped, summary.users,
         summary.movies, summary.ratings, summary.moviesRead]
    }

    @Test("the id pass accepts sorted integer-id files and refuses unsorted ones, text ids and odd lines")
    func scanAcceptsOnlySortedIntegerFiles() throws {
        let scratch = try Scratch()
        func scan(_ body: String, parts: Int) throws -> RatingStream? {
            let mapped = try MappedFile(path: scratch.write("r-\(UUID().uuidString).csv",
                                                            "userId,movieId,rating,timestamp\n" + body))
            let plan = try ParsePlan(mapped: mapped, format: .auto, bounds: nil, policy: .skip)
            return RatingStream.scan(mapped, plan: plan, parts: parts)
        }
        let sorted = (1...40).map { "\($0 / 3 + 1),\($0 % 3 * 10 + 5),4,\($0)\n" }.joined()
        for parts in [1, 2, 5] {
            let stream = try #require(try scan(sorted + "\r\n  \n", parts: parts))
            #expect(stream.lineCount == 40)
            #expect(stream.users.externalIDs == (1...14).map(String.init))
            #expect(stream.movies.externalIDs == ["15", "25", "5"])
            #expect(try scan(sorted + "2,5,4,1\n", parts: parts) == nil)               // user goes back
            #expect(try scan("1,20,4,1\n1,19,4,1\n" + sorted, parts: parts) == nil)    // movie goes back
            #expect(try scan(sorted + "99,x7,4,1\n", parts: parts) == nil)             // text id
            #expect(try scan(sorted + "099,7,4,1\n", parts: parts) == nil)             // not canonical
            #expect(try scan(sorted + "\"99\",7,4,1\n", parts: parts) == nil)          // quoted id
        }
    }

    @Test("streamed rows equal the full parse, chunk after chunk", arguments: [64, 1_000, 1 << 20])
    func streamedRowsEqualFullParse(chunkBytes: Int) throws {
        let scratch = try Scratch()
        let path = try scratch.write("r.csv", Self.sortedFile(users: 60, seed: 3, bad: true).text)
        let mapped = try MappedFile(path: path)
        let plan = try ParsePlan(mapped: mapped, format: .auto, bounds: nil, policy: .skip)
        let stream = try #require(RatingStream.scan(mapped, plan: plan, chunkBytes: chunkBytes))
        let parsed = try ParsedRatings(contentsOf: path, policy: .skip)
        var rows: [String] = []
        var chunks = 0
        do {
            try stream.forEachChunk { chunk in
                chunks += 1
                for row in 0..<chunk.rating.count {
                    rows.append("\(stream.users.externalIDs[Int(chunk.userIndex[row])]) "
                                + "\(stream.movies.externalIDs[Int(chunk.movieIndex[row])]) "
                                + "\(chunk.rating[row]) \(chunk.timestamp[row])")
                }
            }
        } catch is RatingStream.Restart {
            // Thrown after the last chunk when some id occurs only in skipped rows; the rows are complete.
        }
        let expected = (0..<parsed.count).map {
            "\(parsed.userExternalIDs[Int(parsed.userIndex[$0])]) \(parsed.movieExternalIDs[Int(parsed.movieIndex[$0])]) "
                + "\(parsed.rating[$0]) \(parsed.timestamp[$0])"
        }
        #expect(rows == expected)
        #expect(stream.rowsRead == parsed.rowsRead)
        #expect(stream.rejects == parsed.rejects)
        #expect(chunks >= (chunkBytes < 1_000 ? 100 : 1))
    }

    @Test("a streamed import with many chunks writes exactly what the serial path writes", arguments: [false, true])
    func streamedImportEqualsSerial(withBadRows: Bool) throws {
        let scratch = try Scratch()
        let file = Self.sortedFile(users: 300, seed: withBadRows ? 5 : 7, bad: withBadRows)
        let ratings = try scratch.write("ratings.csv", file.text)
        let movies = try scratch.write("movies.csv", "movieId,title,genres\n3,Three (1999),Drama\n100000,Unrated (2001),Comedy\n")
        let options = ImportOptions(moviesFile: movies, onError: .skip)
        let db = scratch.path("streamed.sqlite")
        var importer = RatingsImporter(databasePath: db, options: options)
        importer.streamChunkBytes = 97
        var writeReports = 0
        let summary = try importer.run(ratingsFile: ratings) { if $0.phase == .writing { writeReports += 1 } }
        let serial = try serialImport(scratch, ratings, options: options)
        #expect(writeReports > 50)    // once per chunk: the rows were streamed
        #expect(summary.createdDatabase && !serial.summary.createdDatabase)
        #expect(counts(summary) == counts(serial.summary))
        #expect(summary.skipped == file.badLines.count)
        #expect(summary.updated + summary.unchanged > 0)
        #expect(summary.firstRejects == serial.summary.firstRejects)
        #expect(try content(db) == serial.content)
        #expect((try? String(contentsOfFile: importer.rejectsPath, encoding: .utf8)) == serial.rejects)
        #expect(!FileManager.default.fileExists(atPath: importer.temporaryPath))

        // Importing the same file again leaves users, movies and ratings as they are (tied repeats of a pair are
        // applied again in file order, so the counts need not be zero, but the last one still wins).
        let again = try importer.run(ratingsFile: ratings)
        #expect(again.inserted == 0)
        let tables = { (dump: String) in dump.components(separatedBy: "## ").filter { !$0.hasPrefix("store_state") } }
        #expect(tables(try content(db)) == tables(serial.content))
    }

    @Test("without a movie file the import streams too, and writes what the serial path writes")
    func streamedWithoutMovieFile() throws {
        let scratch = try Scratch()
        let ratings = try scratch.write("ratings.csv", Self.sortedFile(users: 200, seed: 11, bad: false).text)
        let options = ImportOptions()
        var importer = RatingsImporter(databasePath: scratch.path("streamed.sqlite"), options: options)
        importer.streamChunkBytes = 97
        var writeReports = 0
        let summary = try importer.run(ratingsFile: ratings) { if $0.phase == .writing { writeReports += 1 } }
        let serial = try serialImport(scratch, ratings, options: options)
        #expect(writeReports > 50)    // once per chunk: the rows were streamed
        #expect(counts(summary) == counts(serial.summary))
        #expect(try content(scratch.path("streamed.sqlite")) == serial.content)
    }

    @Test("ids that occur only in skipped rows are not created (the stream restarts on the serial path)")
    func idsOnlyInSkippedRows() throws {
        let scratch = try Scratch()
        let ratings = try scratch.write("ratings.csv", """
            userId,movieId,rating,timestamp
            1,10,4,100
            1,20,9,100
            2,10,3,100
            3,30,x,100
            4,10,5,100

            """)
        let options = ImportOptions(onError: .skip)
        let db = scratch.path("streamed.sqlite")
        var importer = RatingsImporter(databasePath: db, options: options)
        importer.streamChunkBytes = 16
        let summary = try importer.run(ratingsFile: ratings)
        let serial = try serialImport(scratch, ratings, options: options)
        #expect([summary.users, summary.movies, summary.ratings, summary.skipped] == [3, 1, 3, 2] as [Int])
        #expect(counts(summary) == counts(serial.summary))
        #expect(try content(db) == serial.content)
        #expect((try? String(contentsOfFile: importer.rejectsPath, encoding: .utf8)) == serial.rejects)
    }

    @Test("a bad row in a late chunk aborts with the first bad line and leaves no database or temporary file")
    func abortInLateChunk() throws {
        let scratch = try Scratch()
        var lines = ["userId,movieId,rating,timestamp"]
        for row in 0..<3_000 { lines.append("\(row / 10 + 1),\(row % 10 + 1),\(row % 2 == 0 ? "4" : "3.5"),\(row)") }
        lines[2_600] = "261,1,4"        // line 2,601: a missing column
        lines[2_900] = "291,1,x,3"      // line 2,901: later
        let ratings = try scratch.write("ratings.csv", lines.joined(separator: "\n") + "\n")
        let db = scratch.path("streamed.sqlite")
        var importer = RatingsImporter(databasePath: db)
        importer.streamChunkBytes = 500
        let error = try #require(throws: StoreError.self) { try importer.run(ratingsFile: ratings) }
        #expect(error.line == 2_601)
        #expect(error.field == "columns")
        #expect(error.file == ratings)
        #expect(!FileManager.default.fileExists(atPath: db))
        #expect(!FileManager.default.fileExists(atPath: importer.temporaryPath))
        #expect(!FileManager.default.fileExists(atPath: importer.rejectsPath))
    }
}
