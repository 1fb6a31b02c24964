import Foundation
import Testing
@testable import MovieRecStore

@Suite("Ratings file parser")
struct RatingsParserTests {
    // MARK: - Formats and tolerance of real files

    @Test("MovieLens ratings.csv with BOM, CRLF and blank trailing lines")
    func movieLensCSVWithBOMAndCRLF() throws {
        let scratch = try Scratch()
        let path = try scratch.write("ratings.csv", bytes: [0xEF, 0xBB, 0xBF] + Array(
            "userId,movieId,rating,timestamp\r\n1,31,2.5,1260759144\r\n1,1029,3.0,1260759179\r\n7,31,5,1\r\n\r\n\r\n".utf8))
        let parsed = try ParsedRatings(contentsOf: path)
        #expect(parsed.format == .movieLensCSV)
        #expect(parsed.rowsRead == 3)
        #expect(parsed.userExternalIDs == ["1", "7"])
        #expect(parsed.movieExternalIDs == ["31", "1029"])
        #expect(parsed.userIndex == [0, 0, 1])
        #expect(parsed.movieIndex == [0, 1, 0])
        #expect(parsed.rating == [2.5, 3.0, 5.0])
        #expect(parsed.timestamp == [1_260_759_144, 1_260_759_179, 1])
        #expect(parsed.bounds == 0.5...5)
    }

    @Test("ml-100k u.data is detected from tabs and ml-1m ratings.dat from ::")
    func movieLens100kAnd1m() throws {
        let scratch = try Scratch()
        let data = try ParsedRatings(contentsOf: scratch.write("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n"))
        #expect(data.format == .ml100k)
        #expect(data.userExternalIDs == ["196", "186"])
        #expect(data.rating == [3, 3])
        let dat = try ParsedRatings(contentsOf: scratch.write("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n"))
        #expect(dat.format == .ml1m)
        #expect(dat.movieExternalIDs == ["1193", "661"])
        #expect(dat.timestamp == [978_300_760, 978_302_109])
        #expect(dat.bounds == 1...5)
    }

    @Test("generic csv: columns by header name, quoted text ids, semicolons, no timestamp")
    func genericCSVByName() throws {
        let scratch = try Scratch()
        let path = try scratch.write("mine.csv", #"""
            film;Who;stars;note
            tt0114709;"alice";8.5;"great; really"
            "tt0113497";bob;2;"said ""meh"""
            """#)
        let spec = ColumnSpec(user: .name("who"), movie: .name("FILM"), rating: .name("stars"),
                              delimiter: .byte(UInt8(ascii: ";")))
        let parsed = try ParsedRatings(contentsOf: path, format: .csv(spec))
        #expect(parsed.userExternalIDs == ["alice", "bob"])
        #expect(parsed.movieExternalIDs == ["tt0114709", "tt0113497"])
        #expect(parsed.rating == [8.5, 2])
        #expect(parsed.timestamp == [ParsedRatings.missingTimestamp, ParsedRatings.missingTimestamp])
        #expect(parsed.bounds == nil)
    }

    @Test("generic csv: columns by number, header detected from a non-numeric rating cell or absent")
    func genericCSVByNumber() throws {
        let scratch = try Scratch()
        let spec = ColumnSpec(user: .number(2), movie: .number(1), rating: .number(3), timestamp: .number(4),
                              delimiter: .byte(UInt8(ascii: "|")))
        let withHeader = try ParsedRatings(contentsOf: scratch.write("a.psv", "m|u|r|t\n10|5|4|100\n"), format: .csv(spec))
        #expect(withHeader.rowsRead == 1)
        #expect(withHeader.userExternalIDs == ["5"])
        let headerless = try ParsedRatings(contentsOf: scratch.write("b.psv", "10|5|4|100\n11|5|3|101\n"), format: .csv(spec))
        #expect(headerless.rowsRead == 2)
        #expect(headerless.movieExternalIDs == ["10", "11"])
        #expect(headerless.timestamp == [100, 101])
    }

    @Test("'::' delimiter for a generic file")
    func doubleColonDelimiter() throws {
        let scratch = try Scratch()
        let spec = ColumnSpec(user: .number(1), movie: .number(2), rating: .number(3), delimiter: .doubleColon)
        let parsed = try ParsedRatings(contentsOf: scratch.write("x.dat", "a::b::1.5\nc::d:e::2\n"), format: .csv(spec))
        #expect(parsed.movieExternalIDs == ["b", "d:e"])
        #expect(parsed.rating == [1.5, 2])
    }

    @Test("ids are kept as text: 007 and 7 are different users, 7 and 7 the same")
    func externalIDsAreText() throws {
        let scratch = try Scratch()
        let parsed = try ParsedRatings(contentsOf: scratch.write("r.csv", """
            userId,movieId,rating,timestamp
            007,1,4,1
            7,1,4,2
            7,99999999999,4,3
            u7,99999999999,4,4
            """))
        #expect(parsed.userExternalIDs == ["007", "7", "u7"])
        #expect(parsed.userIndex == [0, 1, 1, 2])
        #expect(parsed.movieExternalIDs == ["1", "99999999999"])
    }

    @Test("decimal parser agrees with Double(String) on many inputs")
    func decimalParsing() {
        let inputs = ["4", "4.0", "0.5", "3.25", "-1.75", "+2", "10.000000001", "1e3", "2.5E-1", "123456789012345678.5", ".5"]
        for input in inputs {
            let bytes = Array(input.utf8)
            let result = bytes.withUnsafeBufferPointer { ByteDecoding.decimal($0.baseAddress!, 0, $0.count) }
            guard case .value(let value) = result else {
                Issue.record("\(input) not parsed")
                continue
            }
            #expect(value == Double(input), "\(input)")
        }
    }

    // MARK: - Bad input: the error names file, line, field and value

    private func expectRowError(_ text: String, line: Int, field: String, mentions: String,
                                format: RatingsFormat = .auto, bounds: ClosedRange<Double>? = nil) throws {
        let scratch = try Scratch()
        let path = try scratch.write("bad.csv", text)
        do {
            _ = try ParsedRatings(contentsOf: path, format: format, bounds: bounds)
            Issue.record("no error for \(field) at line \(line)")
        } catch let error as StoreError {
            #expect(error.kind == .invalidRow)
            #expect(error.file == path)
            #expect(error.line == line)
            #expect(error.field == field)
            #expect(error.description.contains(mentions), "\(error.description)")
            #expect(error.description.hasPrefix("\(path):\(line): field \(field): "))
        }
    }

    @Test("wrong column count")
    func wrongColumnCount() throws {
        try expectRowError("userId,movieId,rating,timestamp\n1,2,3,4\n1,2,3\n", line: 3, field: "columns",
                           mentions: "found 3 columns: expected 4")
        try expectRowError("userId,movieId,rating,timestamp\n1,2,3,4,5\n", line: 2, field: "columns",
                           mentions: "found 5 columns")
    }

    @Test("non-numeric, empty, out-of-range and non-finite ratings")
    func badRatings() throws {
        let header = "userId,movieId,rating,timestamp\n1,1,4,1\n"
        try expectRowError(header + "1,2,abc,1\n", line: 3, field: "rating", mentions: "\"abc\" is not a number")
        try expectRowError(header + "1,2,,1\n", line: 3, field: "rating", mentions: "the rating is empty")
        try expectRowError(header + "1,2,5.5,1\n", line: 3, field: "rating", mentions: "expected a number between 0.5 and 5")
        try expectRowError(header + "1,2,0,1\n", line: 3, field: "rating", mentions: "outside the rating scale")
        try expectRowError(header + "1,2,NaN,1\n", line: 3, field: "rating", mentions: "not a finite number")
        try expectRowError(header + "1,2,-inf,1\n", line: 3, field: "rating", mentions: "not a finite number")
        try expectRowError(header + "1,2,1e400,1\n", line: 3, field: "rating", mentions: "not a finite number")
        try expectRowError("196\t242\t0.5\t881250949\n", line: 1, field: "rating", mentions: "between 1 and 5")
        try expectRowError(header + "1,2,9,1\n", line: 3, field: "rating", mentions: "between 0 and 8", bounds: 0...8)
    }

    @Test("NaN is rejected even without bounds")
    func nanWithoutBounds() throws {
        let spec = ColumnSpec(user: .number(1), movie: .number(2), rating: .number(3))
        try expectRowError("a,b,1\na,c,nan\n", line: 2, field: "rating", mentions: "not a finite number", format: .csv(spec))
    }

    @Test("empty user and movie ids, bad timestamps, unclosed quotes")
    func badIDsAndTimestamps() throws {
        let header = "userId,movieId,rating,timestamp\n"
        try expectRowError(header + ",2,4,1\n", line: 2, field: "user", mentions: "the user id is empty")
        try expectRowError(header + "1, ,4,1\n", line: 2, field: "movie", mentions: "the movie id is empty")
        try expectRowError(header + "1,2,4,yesterday\n", line: 2, field: "timestamp", mentions: "\"yesterday\" is not an integer")
        try expectRowError(header + "1,2,4,\n", line: 2, field: "timestamp", mentions: "the timestamp is empty")
        try expectRowError(header + "\"1,2,4,5\n", line: 2, field: "columns", mentions: "quoted field is not closed")
    }

    @Test("line numbers count blank lines in the middle")
    func lineNumbersWithBlankLines() throws {
        try expectRowError("userId,movieId,rating,timestamp\r\n\r\n1,1,4,1\r\n\r\n1,2,x,1\r\n", line: 5, field: "rating",
                           mentions: "\"x\"")
    }

    @Test("empty file, header only, unknown header, missing file")
    func fileLevelErrors() throws {
        let scratch = try Scratch()
        func kind(_ path: String) -> StoreError.Kind? {
            do { _ = try ParsedRatings(contentsOf: path); return nil } catch let error as StoreError { return error.kind } catch { return nil }
        }
        #expect(kind(try scratch.write("empty.csv", "")) == .emptyFile)
        #expect(kind(try scratch.write("blank.csv", "\u{FEFF}\n\r\n  \n")) == .emptyFile)
        #expect(kind(try scratch.write("header.csv", "userId,movieId,rating,timestamp\r\n")) == .emptyFile)
        #expect(kind(try scratch.write("other.csv", "user,item,score\n1,2,3\n")) == .unknownFormat)
        #expect(kind(scratch.path("missing.csv")) == .fileNotFound)
        #expect(kind(scratch.directory.path) == .unreadableFile)
        do {
            _ = try ParsedRatings(contentsOf: scratch.path("other.csv"))
        } catch let error as StoreError {
            #expect(error.line == 1)
            #expect(error.description.contains("--user-column"))
        }
    }

    @Test("generic csv column name that is not in the header")
    func unknownColumnName() throws {
        let scratch = try Scratch()
        let spec = ColumnSpec(user: .name("user"), movie: .name("film"), rating: .name("score"))
        #expect(throws: StoreError.self) {
            try ParsedRatings(contentsOf: scratch.write("x.csv", "user,item,score\n1,2,3\n"), format: .csv(spec))
        }
    }

    // MARK: - Skip policy

    @Test("skip collects every bad row with its line and keeps the good ones")
    func skipPolicy() throws {
        let scratch = try Scratch()
        let path = try scratch.write("r.csv", """
            userId,movieId,rating,timestamp
            1,1,4,10
            1,2,abc,11
            1,3
            2,1,3.5,12
            ,1,3,13
            """)
        let parsed = try ParsedRatings(contentsOf: path, policy: .skip)
        #expect(parsed.rowsRead == 5)
        #expect(parsed.count == 2)
        #expect(parsed.rejects.map(\.line) == [3, 4, 6])
        #expect(parsed.rejects.map(\.field) == ["rating", "columns", "user"])
        #expect(parsed.rejects.map(\.raw) == ["1,2,abc,11", "1,3", ",1,3,13"])
    }
}

@Suite("RatingTable from a parsed file")
struct RatingTableFromFileTests {
    @Test("canonical id order, duplicates resolved newer-wins with ties to the later row")
    func tableFromFile() throws {
        let scratch = try Scratch()
        let path = try scratch.write("r.csv", """
            userId,movieId,rating,timestamp
            10,5,1,100
            bob,5,2,1
            2,30,3,7
            10,5,4,50
            2,4,5,7
            2,30,2.5,7
            """)
        let table = RatingTable(try ParsedRatings(contentsOf: path))
        // Users: 2 < 10 (numeric), then "bob"; movies: 4 < 5 < 30.
        #expect(table.userExternalIDs == ["2", "10", "bob"])
        #expect(table.movieExternalIDs == ["4", "5", "30"])
        #expect(table.userIDs == [1, 2, 3])
        // (2,4)=5@7; (2,30): 3@7 then 2.5@7 tie → later wins; (10,5): 1@100 beats the older 4@50; (bob,5)=2@1.
        #expect(table.userIndex == [0, 0, 1, 2])
        #expect(table.movieIndex == [0, 2, 1, 1])
        #expect(table.rating == [5, 2.5, 1, 2])
        #expect(table.timestamp == [7, 7, 100, 1])
    }
}
