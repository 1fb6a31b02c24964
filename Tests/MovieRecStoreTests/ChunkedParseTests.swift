import Foundation
import Testing
@testable import MovieRecStore

/// Parsing a file in several chunks (one per core) must give exactly what one sequential pass gives; here the
/// expected values are written down by the generator of the file, not computed by the parser.
@Suite("Chunked parsing")
struct ChunkedParseTests {
    /// A 64-bit LCG (high bits), independent of the code under test.
    private struct LCG {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
    }

    /// A MovieLens-style file mixing plain rows with rows the fast path must leave to the general one
    /// (quoted, padded, leading-zero and text ids, signs, exponents), blank lines, CRLF and bad rows.
    private struct Sample {
        var text = "\u{FEFF}userId,movieId,rating,timestamp\r\n"
        var line = 1
        /// An accepted row: ids as stored, rating, timestamp.
        struct Expected {
            var user: String
            var movie: String
            var rating: Double
            var timestamp: Int64
        }
        /// The accepted rows, in file order.
        var accepted: [Expected] = []
        /// Line number and field of every bad row.
        var bad: [(line: Int, field: String)] = []

        init(rows: Int, seed: UInt64) {
            var random = LCG(state: seed)
            for _ in 0..<rows {
                line += 1
                let user = random.next(50) + 1
                let movie = random.next(80) + 1
                let halfStars = random.next(10) + 1
                let rating = Double(halfStars) / 2
                let timestamp = Int64(random.next(1_000_000))
                let ratingText = halfStars % 2 == 0 ? String(halfStars / 2) : String(rating)
                switch random.next(40) {
                case 0:
                    text += "\r\n"
                    continue
                case 1:
                    text += "\(user),\(movie),abc,\(timestamp)\r\n"
                    bad.append((line, "rating"))
                    continue
                case 2:
                    text += "\(user),\(movie)\r\n"
                    bad.append((line, "columns"))
                    continue
                case 3:
                    text += "\(user),\(movie),\(ratingText),-\r\n"
                    bad.append((line, "timestamp"))
                    continue
                case 4:
                    text += "\"\(user)\", \(movie) ,+\(ratingText),\(timestamp)\r\n"
                    accepted.append(Expected(user: String(user), movie: String(movie), rating: rating, timestamp: timestamp))
                case 5:
                    text += "0\(user),m\(movie),\(rating)e0,-\(timestamp)\n"
                    accepted.append(Expected(user: "0\(user)", movie: "m\(movie)", rating: rating, timestamp: -timestamp))
                default:
                    text += "\(user),\(movie),\(ratingText),\(timestamp)\r\n"
                    accepted.append(Expected(user: String(user), movie: String(movie), rating: rating, timestamp: timestamp))
                }
            }
        }

        /// Ids in order of first appearance among the accepted rows.
        func firstAppearance(_ key: (Expected) -> String) -> [String] {
            var seen = Set<String>()
            return accepted.map(key).filter { seen.insert($0).inserted }
        }
    }

    private func parse(_ path: String, chunks: Int, policy: ErrorPolicy) throws -> ParsedRatings {
        try ParsedRatings(mapped: MappedFile(path: path), format: .auto, bounds: nil, policy: policy, chunks: chunks,
                          progress: nil)
    }

    @Test("1 to 7 chunks: same ids, rows, rejects and line numbers as the file's generator wrote", arguments: [1, 2, 3, 7])
    func sameResultForAnyChunkCount(chunks: Int) throws {
        let scratch = try Scratch()
        let sample = Sample(rows: 3_000, seed: 11)
        let path = try scratch.write("r.csv", sample.text)
        let parsed = try parse(path, chunks: chunks, policy: .skip)
        #expect(parsed.rowsRead == sample.accepted.count + sample.bad.count)
        #expect(parsed.count == sample.accepted.count)
        #expect(parsed.userExternalIDs == sample.firstAppearance { $0.user })
        #expect(parsed.movieExternalIDs == sample.firstAppearance { $0.movie })
        for (row, expected) in sample.accepted.enumerated() {
            #expect(parsed.userExternalIDs[Int(parsed.userIndex[row])] == expected.user)
            #expect(parsed.movieExternalIDs[Int(parsed.movieIndex[row])] == expected.movie)
            #expect(parsed.rating[row] == expected.rating)
            #expect(parsed.timestamp[row] == expected.timestamp)
        }
        #expect(parsed.rejects.map(\.line) == sample.bad.map(\.line))
        #expect(parsed.rejects.map(\.field) == sample.bad.map(\.field))
    }

    @Test("abort reports the first bad line of the file whichever chunk finds it first", arguments: [1, 2, 3, 7])
    func abortReportsFirstBadLine(chunks: Int) throws {
        let scratch = try Scratch()
        var lines = ["userId,movieId,rating,timestamp"]
        for row in 0..<2_000 { lines.append("\(row % 37 + 1),\(row % 91 + 1),\(row % 2 == 0 ? "4" : "3.5"),\(row)") }
        lines[1_500] = "1,2,9,3"        // line 1,501: out of the 0.5–5 scale
        lines[1_900] = "1,2,x,3"        // line 1,901: later, in the last chunk
        let path = try scratch.write("r.csv", lines.joined(separator: "\n") + "\n")
        do {
            _ = try parse(path, chunks: chunks, policy: .abort)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.line == 1_501)
            #expect(error.field == "rating")
        }
    }

    @Test("chunk bounds fall on line starts even when the file ends without a line feed")
    func noTrailingNewline() throws {
        let scratch = try Scratch()
        let path = try scratch.write("r.csv", "userId,movieId,rating,timestamp\n1,1,4,1\n2,2,3,2\n3,3,2,3")
        for chunks in 1...6 {
            let parsed = try parse(path, chunks: chunks, policy: .abort)
            #expect(parsed.userExternalIDs == ["1", "2", "3"], "\(chunks) chunks")
            #expect(parsed.rating == [4, 3, 2], "\(chunks) chunks")
            #expect(parsed.timestamp == [1, 2, 3], "\(chunks) chunks")
        }
    }
}

/// The in-memory sort of an out-of-order file, split over threads, against a plain sort in the test.
@Suite("Sorting parsed rows")
struct RankedRowsTests {
    @Test("1 to 5 parts give the (user, movie, file position) order of a reference sort", arguments: [1, 2, 3, 5])
    func partsAgreeWithReference(parts: Int) throws {
        let scratch = try Scratch()
        var lines = ["userId,movieId,rating,timestamp"]
        var state: UInt64 = 7
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for row in 0..<5_000 {
            // Few users and movies, so that many pairs repeat and must keep their file order.
            lines.append("\(next(60) + 1),\(next(25) + 1),\(Double(next(10) + 1) / 2),\(row)")
        }
        let parsed = try ParsedRatings(contentsOf: scratch.write("r.csv", lines.joined(separator: "\n")))
        let userOrder = RankedRows.canonicalOrder(of: parsed.userExternalIDs)
        let movieOrder = RankedRows.canonicalOrder(of: parsed.movieExternalIDs)
        let userRank = RankedRows.ranks(of: userOrder)
        let movieRank = RankedRows.ranks(of: movieOrder)
        let rows = RankedRows(parsed, userRank: userRank, movieRank: movieRank, parts: parts)

        // Reference: the file rows sorted by (user value, movie value, line), read back from the text.
        let reference = lines.dropFirst().enumerated().map { line, text -> (user: Int, movie: Int, line: Int, rating: Double) in
            let fields = text.split(separator: ",")
            return (Int(fields[0])!, Int(fields[1])!, line, Double(fields[2])!)
        }.sorted { ($0.user, $0.movie, $0.line) < ($1.user, $1.movie, $1.line) }
        #expect(rows.count == reference.count)
        for (position, expected) in reference.enumerated() {
            #expect(Int(parsed.movieExternalIDs[movieOrder[Int(rows.movieRank[position])]]) == expected.movie)
            #expect(rows.timestamp[position] == Int64(expected.line))
            #expect(rows.rating[position] == expected.rating)
        }
        for (rank, user) in userOrder.enumerated() {
            let expected = reference.filter { String($0.user) == parsed.userExternalIDs[user] }.count
            #expect(rows.userStarts[rank + 1] - rows.userStarts[rank] == expected)
        }
    }
}
