import Foundation
import Testing
import MovieRecStore

@Suite("Movie file parser")
struct MovieFileTests {
    @Test("movies.csv: RFC 4180 quotes with commas and doubled quotes, CRLF, BOM, years")
    func movieLensCSV() throws {
        let scratch = try Scratch()
        let path = try scratch.write("movies.csv", bytes: [0xEF, 0xBB, 0xBF] + Array("""
            movieId,title,genres\r
            11,"American President, The (1995)",Comedy|Drama|Romance\r
            12,"Movie with ""Quotes"" (2001)",(no genres listed)\r
            13,Babylon 5 (1994-1998) ,Sci-Fi\r
            14,"Two
            Lines",Drama\r
            15,No Year,\r
            \r

            """.utf8))
        let parsed = try ParsedMovies(contentsOf: path)
        #expect(parsed.format == .movieLensCSV)
        #expect(parsed.movies.map(\.externalID) == ["11", "12", "13", "14", "15"])
        #expect(parsed.movies[0].title == "American President, The (1995)")
        #expect(parsed.movies[0].year == 1995)
        #expect(parsed.movies[0].genres == ["Comedy", "Drama", "Romance"])
        #expect(parsed.movies[1].title == "Movie with \"Quotes\" (2001)")
        #expect(parsed.movies[1].genres == ["(no genres listed)"])
        #expect(parsed.movies[2].year == 1994)
        #expect(parsed.movies[3].title == "Two\nLines")
        #expect(parsed.movies[4].year == nil)
        #expect(parsed.movies[4].genres == [])
    }

    @Test("u.item: latin-1 titles become UTF-8, genre flags become names")
    func ml100kItem() throws {
        let scratch = try Scratch()
        var flags = Array(repeating: "0", count: 19)
        flags[1] = "1"   // Action
        flags[5] = "1"   // Comedy
        let line = "1|Caf\u{E9} (1995)|01-Jan-1995||http://x|" + flags.joined(separator: "|") + "\n"
        let latin1 = line.unicodeScalars.map { UInt8($0.value) }
        let parsed = try ParsedMovies(contentsOf: scratch.write("u.item", bytes: latin1))
        #expect(parsed.format == .ml100k)
        #expect(parsed.movies == [MovieRecord(externalID: "1", title: "Café (1995)", genres: ["Action", "Comedy"])])
        #expect(parsed.movies[0].year == 1995)
    }

    @Test("movies.dat: '::' separated latin-1")
    func ml1mMovies() throws {
        let scratch = try Scratch()
        let text = "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Ni\u{F1}o (1999)::Drama\n"
        let parsed = try ParsedMovies(contentsOf: scratch.write("movies.dat", bytes: text.unicodeScalars.map { UInt8($0.value) }))
        #expect(parsed.format == .ml1m)
        #expect(parsed.movies.map(\.title) == ["Toy Story (1995)", "Niño (1999)"])
        #expect(parsed.movies[0].genres == ["Animation", "Children's", "Comedy"])
    }

    @Test("year from a trailing parenthesis only")
    func yearParsing() {
        #expect(MovieRecord.year(inTitle: "Heat (1995)") == 1995)
        #expect(MovieRecord.year(inTitle: "Babylon 5 (1994-1998) ") == 1994)
        #expect(MovieRecord.year(inTitle: "1984 (1984)") == 1984)
        #expect(MovieRecord.year(inTitle: "Brazil") == nil)
        #expect(MovieRecord.year(inTitle: "Thing (a.k.a. X)") == nil)
        #expect(MovieRecord.year(inTitle: "Old (95)") == nil)
    }

    @Test("bad movie rows: wrong column count names line and field; skip collects them")
    func badMovieRows() throws {
        let scratch = try Scratch()
        let path = try scratch.write("movies.csv", "movieId,title,genres\n1,A (2000),Drama\n2,B\n,C (2001),Drama\n")
        do {
            _ = try ParsedMovies(contentsOf: path)
            Issue.record("expected an error")
        } catch let error as StoreError {
            #expect(error.line == 3)
            #expect(error.field == "columns")
        }
        let skipped = try ParsedMovies(contentsOf: path, policy: .skip)
        #expect(skipped.movies.map(\.externalID) == ["1"])
        #expect(skipped.rejects.map(\.line) == [3, 4])
        #expect(skipped.rejects.map(\.field) == ["columns", "movie"])
    }

    @Test("unknown movie format")
    func unknownFormat() throws {
        let scratch = try Scratch()
        #expect(throws: StoreError.self) { try ParsedMovies(contentsOf: scratch.write("m.txt", "id title\n1 A\n")) }
    }
}
