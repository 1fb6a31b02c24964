import Foundation
import Testing
@testable import MovieRecStore

/// Seeded fuzzing of the ratings and movie parsers with NUL bytes, invalid UTF-8, control characters, quotes and
/// separators inserted into valid files (issue 12): no crash, every row accounted for, and no id or title that is
/// not, byte for byte, text of the input.
@Suite("Parser fuzz: NUL bytes and invalid UTF-8")
struct ParserFuzzTests {
    /// Valid files the mutations start from: (name, bytes, format).
    static let ratingFiles: [(String, [UInt8], RatingsFormat)] = [
        ("ratings.csv", Array("userId,movieId,rating,timestamp\n1,10,4.0,100\n2,zoë,3.5,101\nalice,tt0114709,5,102\n3,20,1,7\n".utf8), .auto),
        ("u.data", Array("196\t242\t3\t881250949\n186\t302\t3\t891717742\nbob\t7\t1\t5\n".utf8), .auto),
        ("ratings.dat", Array("1::1193::5::978300760\n1::661::3::978302109\nçà::2::4::1\n".utf8), .auto),
        ("generic.csv", Array("who;what;stars\n\"a;b\";m1;2\nx;\"m \"\"2\"\"\";9\n".utf8),
         .csv(ColumnSpec(user: .name("who"), movie: .name("what"), rating: .name("stars"), delimiter: .byte(UInt8(ascii: ";"))))),
    ]

    static let movieFiles: [(String, [UInt8])] = [
        ("movies.csv", Array("movieId,title,genres\n1,Toy Story (1995),Animation|Comedy\n2,\"American President, The (1995)\",Drama\n3,Amélie (2001),Romance\n".utf8)),
        ("movies.dat", [UInt8]("1::Toy Story (1995)::Animation\n2::Ni".utf8) + [0xF1] + Array("o (1999)::Drama\n".utf8)),
        ("u.item", Array(("1|Heat (1995)|01-Jan-1995||http://x|" + Array(repeating: "0", count: 18).joined(separator: "|") + "|1\n").utf8)),
    ]

    /// Bytes a mutation inserts or writes: NUL, other controls, lone and overlong UTF-8 pieces, U+FFFD, separators.
    static let nasty: [[UInt8]] = [
        [0], [0x01], [0x07], [0x09], [0x0A], [0x0D], [0x1F], [0x7F], [0x80], [0xBF], [0xC0, 0x80], [0xC3], [0xC3, 0xA9],
        [0xE9], [0xED, 0xA0, 0x80], [0xEF, 0xBF, 0xBD], [0xF4, 0x90, 0x80, 0x80], [0xFF], [0x22], [0x2C], [0x3A, 0x3A],
        [0x7C], [0x3B], [0x20], [0x30], [0x2E],
    ]

    static func mutate(_ input: [UInt8], _ generator: inout SeededGeneratorForTests) -> [UInt8] {
        var bytes = input
        for _ in 0...(generator.next() % 4) {
            let position = bytes.isEmpty ? 0 : Int(generator.next() % UInt64(bytes.count + 1))
            let piece = nasty[Int(generator.next() % UInt64(nasty.count))]
            switch generator.next() % 4 {
            case 0: bytes.insert(contentsOf: piece, at: position)
            case 1 where position < bytes.count: bytes.replaceSubrange(position..<min(bytes.count, position + piece.count), with: piece)
            case 2 where position < bytes.count: bytes.remove(at: position)
            default:
                let length = min(bytes.count - position, Int(generator.next() % 12))
                bytes.insert(contentsOf: bytes[position..<(position + length)], at: position)
            }
        }
        return bytes
    }

    /// Whether `needle` occurs in `haystack`.
    static func occurs(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }

    /// The id or title is kept exactly: no control character, and its bytes (UTF-8, or latin-1) are in the input.
    /// Quotes are left out on both sides (CSV quoting removes and unescapes them; `unquoted` is the input without
    /// them); nothing else may differ.
    static func keptExactly(_ text: String, in unquoted: [UInt8], latin1: Bool, allowLineFeed: Bool = false) -> Bool {
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars where scalar != "\"" {
            if (scalar.value < 0x20 && !(allowLineFeed && scalar.value == 0x0A)) || scalar.value == 0x7F { return false }
            if latin1 {
                guard scalar.value < 256 else { return false }
                bytes.append(UInt8(scalar.value))
            } else {
                bytes.append(contentsOf: String(scalar).utf8)
            }
        }
        return bytes.split(separator: 0x0A, omittingEmptySubsequences: false).allSatisfy { occurs(Array($0), in: unquoted) }
    }

    @Test("70,000 mutated ratings files (4 layouts, UTF-8 and latin-1): rows accounted for, ids kept exactly")
    func ratingsFuzz() throws {
        var generator = SeededGeneratorForTests(seed: 2026)
        var accepted = 0, rejected = 0, thrown = 0
        for trial in 0..<70_000 {
            let (name, base, format) = Self.ratingFiles[trial % Self.ratingFiles.count]
            let input = Self.mutate(base, &generator)
            let encoding: TextEncoding = trial % 3 == 0 ? .latin1 : .auto
            let mapped = MappedFile(path: name, copying: input)
            let parsed: ParsedRatings
            do {
                parsed = try ParsedRatings(mapped: mapped, format: format, bounds: nil, policy: .skip, encoding: encoding,
                                           progress: nil)
            } catch let error as StoreError {
                // Whole-file problems only (empty, unknown header, bad column names); never a database error.
                if ![.emptyFile, .unknownFormat, .invalidOption, .invalidRow].contains(error.kind) || error.description.count > 600 {
                    Issue.record("trial \(trial): unexpected error \(error)")
                    return
                }
                thrown += 1
                continue
            }
            if parsed.rowsRead != parsed.count + parsed.rejects.count {
                Issue.record("trial \(trial): \(parsed.rowsRead) rows read, \(parsed.count) accepted, \(parsed.rejects.count) rejected")
                return
            }
            let unquoted = input.filter { $0 != 0x22 }
            for id in parsed.userExternalIDs + parsed.movieExternalIDs
            where !Self.keptExactly(id, in: unquoted, latin1: encoding == .latin1) {
                Issue.record("trial \(trial): id \(id.debugDescription) is not text of input \(input)")
                return
            }
            accepted += parsed.count
            rejected += parsed.rejects.count
        }
        // The mutations reach both outcomes often (not a vacuous run).
        #expect(accepted > 50_000 && rejected > 10_000 && thrown > 100)
    }

    @Test("30,000 mutated movie files (movies.csv, movies.dat, u.item): ids and titles kept exactly")
    func moviesFuzz() throws {
        var generator = SeededGeneratorForTests(seed: 612)
        var movies = 0, rejected = 0
        for trial in 0..<30_000 {
            let (name, base) = Self.movieFiles[trial % Self.movieFiles.count]
            let input = Self.mutate(base, &generator)
            let encoding: TextEncoding = trial % 4 == 0 ? .latin1 : .auto
            let parsed: ParsedMovies
            do {
                parsed = try ParsedMovies(bytes: input, path: name, policy: .skip, encoding: encoding)
            } catch let error as StoreError {
                #expect([.emptyFile, .unknownFormat, .invalidRow].contains(error.kind))
                continue
            }
            let latin1 = encoding == .latin1 || parsed.format != .movieLensCSV
            if parsed.rowsRead < parsed.movies.count + parsed.rejects.count {
                Issue.record("trial \(trial): \(parsed.rowsRead) rows read, \(parsed.movies.count) kept, \(parsed.rejects.count) rejected")
                return
            }
            let unquoted = input.filter { $0 != 0x22 }
            for movie in parsed.movies where !(Self.keptExactly(movie.externalID, in: unquoted, latin1: latin1)
                                               && Self.keptExactly(movie.title, in: unquoted, latin1: latin1, allowLineFeed: true)) {
                Issue.record("trial \(trial): \(movie) is not text of input \(input)")
                return
            }
            movies += parsed.movies.count
            rejected += parsed.rejects.count
        }
        #expect(movies > 20_000 && rejected > 5_000)
    }
}
