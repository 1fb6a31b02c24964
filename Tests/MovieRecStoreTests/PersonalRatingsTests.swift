import Foundation
import Testing
@testable import MovieRecStore

/// A small IMDb ratings export in the export's column layout, written for these tests (the ratings, dates and
/// the other columns' values are made up). Line 4 is a TV series, which no movie catalogue holds.
let testIMDbExport = """
    Const,Your Rating,Date Rated,Title,Original Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors
    tt0133093,9,2024-02-01,The Matrix,The Matrix,https://www.imdb.com/title/tt0133093/,Movie,8.0,136,1999,"Action, Sci-Fi",1000,1999-03-31,"Director One, Director Two"
    tt0113277,7,2024-02-02,Heat,Heat,https://www.imdb.com/title/tt0113277/,Movie,8.0,170,1995,"Crime, Drama",1000,1995-12-15,Director Three
    tt0000001,10,2024-02-03,A Television Show,A Television Show,https://www.imdb.com/title/tt0000001/,TV Series,8.0,50,2008,Drama,1000,2008-01-20,
    tt0076759,1,2024-02-04,Star Wars: Episode IV - A New Hope,Star Wars,https://www.imdb.com/title/tt0076759/,Movie,8.0,121,1977,"Action, Adventure",1000,1977-05-25,Director Four

    """

/// A small Letterboxd `ratings.csv` in the export's layout, written for these tests (made-up dates and URIs).
let testLetterboxdExport = """
    Date,Name,Year,Letterboxd URI,Rating
    2024-03-01,The Matrix,1999,https://boxd.it/test1,4.5
    2024-03-02,Heat,1995,https://boxd.it/test2,4
    2024-03-03,Emma,1996,https://boxd.it/test3,3
    2024-03-04,Amélie,2001,https://boxd.it/test4,5
    2024-03-05,Hamlet,1948,https://boxd.it/test5,3.5
    2024-03-06,"Matrix, The",1999,https://boxd.it/test6,0.5

    """

@Suite("Personal ratings files: movie,rating (ids or titles), IMDb and Letterboxd exports")
struct PersonalRatingsTests {
    private let matcher = TestCatalogue.matcher
    private let halfStars: ClosedRange<Float> = 0.5...5

    private func parse(_ text: String, ratingRequired: Bool = true) throws -> PersonalRatingsFile {
        try PersonalRatingsFile(text: text, file: "mine.csv", ratingRequired: ratingRequired)
    }

    /// `line:id:method:rating` for every matched line, `line:reason:candidates` for every skipped one.
    private func summary(_ resolved: ResolvedPersonalRatings) -> [String] {
        resolved.ratings.map { "\($0.line):\($0.movie.externalID):\($0.method.rawValue):\($0.rating)" }
            + resolved.unmatched.map { "\($0.line):\($0.reason.rawValue):" + $0.candidates.map(\.externalID).joined(separator: ",") }
    }

    @Test("the issue's cases: a title file, a quoted title, an IMDb export and one unknown film no longer fail")
    func issueCases() throws {
        // Was: unknown movie id "Star Wars: Episode IV - A New Hope (1977)".
        let titles = try parse("Star Wars: Episode IV - A New Hope (1977),5\n").resolve(with: matcher, scale: halfStars)
        #expect(summary(titles) == ["1:1:exact-title:5.0"])
        // Was: found 3 fields: expected 2. Quoted per RFC 4180, and also written without quotes.
        let quoted = try parse("movie,rating\n\"Matrix, The (1999)\",4\nMatrix, The (1999),4\n").resolve(with: matcher, scale: halfStars)
        #expect(summary(quoted) == ["2:2:exact-title:4.0", "3:duplicate:2"])
        // Was: found 5 fields.
        let imdb = try parse(testIMDbExport)
        #expect(imdb.format == .imdb)
        #expect(summary(try imdb.resolve(with: matcher, scale: halfStars))
                == ["2:2:normalised-title:4.5", "3:3:exact-title:3.5", "5:1:imdb-id:0.5", "4:no-match:"])
        // Was: the whole file aborted on line 3.
        let unknown = try parse("movie,rating\n1,4\n99,5\n2,3\n").resolve(with: matcher, scale: halfStars)
        #expect(summary(unknown) == ["2:1:movie-id:4.0", "4:2:movie-id:3.0", "3:no-match:"])
        #expect(unknown.unmatched[0].text == "99")
    }

    @Test("the Letterboxd export: detected, half stars kept on 0.5–5, ambiguous and far-off years listed")
    func letterboxd() throws {
        let file = try parse(testLetterboxdExport)
        #expect(file.format == .letterboxd)
        #expect(file.lines.map(\.reference.year) == [1999, 1995, 1996, 2001, 1948, 1999])
        let resolved = try file.resolve(with: matcher, scale: halfStars)
        #expect(summary(resolved) == ["2:2:normalised-title:4.5", "3:3:exact-title:4.0", "5:7:exact-title:5.0",
                                      "4:ambiguous:5,6", "6:no-match:9,10", "7:duplicate:2"])
        #expect(resolved.unmatched[2].firstLine == 2)
        #expect(resolved.unmatched[1].message == "\"Hamlet (1948)\" matches no movie (other years: 9 Hamlet (1990); 10 Hamlet (1996))")
        let strict = #expect(throws: StoreError.self) { try resolved.requireAllMatched() }
        #expect(strict?.line == 4)
        #expect(strict?.description.contains("\"Emma (1996)\" matches 2 movies") == true)
        #expect(strict?.description.contains("and 2 more skipped lines") == true)
    }

    @Test("scales map linearly onto the catalogue's: IMDb 1–10 and Letterboxd 0.5–5 onto 0.5–5 and 1–5")
    func scales() throws {
        let imdb = RatingScale(lowest: 1, highest: 10)
        #expect(imdb.map(7, onto: 0.5...5) == 3.5)          // 0.5 + 6 × 4.5 / 9
        #expect(imdb.map(10, onto: 0.5...5) == 5)
        #expect(abs(imdb.map(9, onto: 1...5) - (1 + 8 * 4 / Float(9))) < 1e-6)
        let letterboxd = RatingScale(lowest: 0.5, highest: 5)
        #expect(letterboxd.map(4, onto: 0.5...5) == 4)
        #expect(letterboxd.map(0.5, onto: 1...5) == 1)
        #expect(abs(letterboxd.map(4, onto: 1...5) - (1 + 3.5 * 4 / Float(4.5))) < 1e-6)
        let onOneToFive = try parse(testLetterboxdExport).resolve(with: matcher, scale: 1...5)
        #expect(abs(onOneToFive.ratings[0].rating - (1 + 4 * 4 / Float(4.5))) < 1e-6)
        #expect(onOneToFive.ratings[0].given == 4.5)
    }

    @Test("movie,rating: header optional, ids or titles with or without the year, ; with decimal commas, CRLF, BOM")
    func movieRatingVariants() throws {
        let plain = try parse("\u{FEFF}1,4\r\n2,5\r\n")
        #expect(plain.format == .movieRating)
        #expect(plain.lines.map(\.line) == [1, 2])
        #expect(plain.lines.map(\.rating) == [4, 5])
        let semicolons = try parse("movie;rating\nHeat (1995);4,5\n# a comment\n\nParaddington;3\n")
        #expect(semicolons.lines.map(\.rating) == [4.5, 3])
        #expect(semicolons.lines.map(\.line) == [2, 5])
        let titled = try parse("title,year,rating\nThe Matrix,1999,4\nParaddington,,2\n")
        #expect(titled.lines[0].reference == MovieReference(titles: ["The Matrix"], year: 1999))
        let resolved = try parse("tt0076759,5\nPaddington,4\nHeat,3\n").resolve(with: matcher, scale: halfStars)
        #expect(summary(resolved) == ["1:1:imdb-id:5.0", "2:11:title-only:4.0", "3:ambiguous:3,4"])
        // Quoted fields may hold quotes and line breaks; the line number is where the record starts.
        let quotes = try parse("movie,rating\n\n\"Say \"\"Hi\"\"\",3\n")
        #expect(quotes.lines.map(\.line) == [3])
        #expect(quotes.lines[0].reference.titles == ["Say \"Hi\""])
    }

    @Test("latin-1 bytes are decoded as latin-1 when the file is not UTF-8")
    func latin1() throws {
        let bytes: [UInt8] = Array("Am".utf8) + [0xE9] + Array("lie (2001),5\n".utf8)
        let file = try PersonalRatingsFile(bytes: bytes, file: "latin1.csv")
        #expect(file.lines[0].reference.titles == ["Amélie"])
        #expect(summary(try file.resolve(with: matcher, scale: halfStars)) == ["1:7:exact-title:5.0"])
    }

    @Test("malformed lines are errors with file, line and field; a rating off the scale is one too")
    func errors() throws {
        func error(_ text: String) -> StoreError? {
            #expect(throws: StoreError.self) { _ = try parse(text).resolve(with: matcher, scale: halfStars) }
        }
        let notNumber = error("1,4\n2,lots\n")
        #expect(notNumber?.description == "mine.csv:2: field rating: rating \"lots\" is not a number: expected movie,rating such as 1,4.5")
        #expect(error("movie,rating\n\"Heat (1995),4\n")?.line == 2)
        // A quoted line break inside a title is a control character in a field: an error at the record's line.
        #expect(error("movie,rating\n1,4\n\"Heat\n(1995)\",4\n")?.line == 3)
        #expect(error("1,4\n2\n")?.description.contains("found 1 field") == true)
        let nul = error("movie,rating\nHe\u{0}at,4\n")
        #expect(nul?.line == 2)
        // The NUL is shown escaped, never echoed raw.
        #expect(nul?.value.map { $0.hasPrefix("He\\") && !$0.unicodeScalars.contains("\u{0}") } == true)
        #expect(error("movie,rating\n1,7\n")?.description
                == "mine.csv:2: field rating: rating 7 of 1 is outside the rating scale of the data: expected a rating from 0.5 to 5")
        #expect(error(testIMDbExport.replacingOccurrences(of: "tt0133093,9,", with: "tt0133093,11,"))?.description
                .contains("mine.csv:2: field rating: rating 11 is outside the IMDb scale: expected a rating from 1 to 10") == true)
        #expect(error("Date,Name,Year,Letterboxd URI,Rating\n2024-01-01,Heat,nineteen,x,4\n")?.field == "year")
        #expect(error("Date,Name,Year,Letterboxd URI\n2024-01-01,Heat,1995,x\n")?.description.contains("no Rating column") == true)
        #expect(error("")?.kind == .emptyFile)
        #expect(error("movie,rating\n")?.kind == .emptyFile)
    }

    @Test("an empty rating is a skipped line, not a guess; lists of movies need no rating")
    func noRating() throws {
        let resolved = try parse("Date,Name,Year,Letterboxd URI,Rating\n2024-01-01,Heat,1995,x,\n2024-01-02,Paddington,2014,y,4\n")
            .resolve(with: matcher, scale: halfStars)
        #expect(summary(resolved) == ["3:11:exact-title:4.0", "2:no-rating:3"])
        let list = try parse("title\nHeat (1995)\nMatrix, The (1999)\nNo Such Film\n", ratingRequired: false).movies(with: matcher)
        #expect(list.movies.map(\.externalID) == ["3", "2"])
        #expect(list.unmatched.map(\.line) == [4])
        let watched = try parse("Date,Name,Year,Letterboxd URI\n2024-01-01,Paddington,2014,x\n", ratingRequired: false)
        #expect(watched.movies(with: matcher).movies.map(\.externalID) == ["11"])
        let bare = try parse("Matrix, The (1999)\n3\n", ratingRequired: false).movies(with: matcher)
        #expect(bare.movies.map(\.externalID) == ["2", "3"])
    }

    @Test("random mutations of valid files (NUL, invalid UTF-8, quotes, separators): no crash, no id changed silently")
    func fuzz() throws {
        var generator = SystemRandomNumberGenerator.Seeded(seed: 12)
        let seeds = [testIMDbExport, testLetterboxdExport, "movie,rating\n1,4\n\"Matrix, The (1999)\",4.5\n2,3\n"].map { Array($0.utf8) }
        let noise: [UInt8] = [0x00, 0x22, 0x2C, 0x0A, 0x0D, 0x3B, 0x09, 0xFF, 0xC3, 0xA9, 0x80, 0x31, 0x74]
        var parsed = 0
        for round in 0..<10_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<(1 + generator.next() % 4) {
                let position = Int(generator.next() % UInt64(bytes.count + 1))
                switch generator.next() % 3 {
                case 0: bytes.insert(noise[Int(generator.next() % UInt64(noise.count))], at: position)
                case 1: if position < bytes.count { bytes.remove(at: position) }
                default: if position < bytes.count { bytes[position] = noise[Int(generator.next() % UInt64(noise.count))] }
                }
            }
            guard let file = try? PersonalRatingsFile(bytes: bytes, file: "fuzz.csv") else { continue }
            parsed += 1
            for line in file.lines {
                // Every accepted id or title is printable: a NUL never becomes part of an id.
                for text in line.reference.titles + [line.reference.movieID ?? ""] {
                    #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" }, "round \(round)")
                }
            }
            if let resolved = try? file.resolve(with: matcher, scale: halfStars) {
                // A matched movie id always names a catalogue movie.
                for rating in resolved.ratings { #expect(matcher.entry(externalID: rating.movie.externalID) == rating.movie) }
            }
        }
        #expect(parsed > 500)
    }
}

extension SystemRandomNumberGenerator {
    /// A small seeded generator (SplitMix64) for the fuzz test.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
