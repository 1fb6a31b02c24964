import Foundation
import Testing
@testable import MovieRecStore

/// The matcher on the real ml-latest-small catalogue (../shared; skipped when absent), with IMDb ids read from its
/// links.csv by this test: the title file and this repository's own IMDb and Letterboxd test exports.
@Suite("TitleMatcher on ml-latest-small (../shared)")
struct SharedTitleMatchTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/data/ml-latest-small")
    static let available = FileManager.default.fileExists(atPath: directory.appendingPathComponent("links.csv").path)

    /// movies.csv + links.csv as catalogue entries.
    private func catalogue() throws -> TitleMatcher {
        let movies = try ParsedMovies(contentsOf: Self.directory.appendingPathComponent("movies.csv").path)
        let links = try String(contentsOfFile: Self.directory.appendingPathComponent("links.csv").path, encoding: .utf8)
        var imdb: [String: Int] = [:]
        // Split on scalars: links.csv ends its lines in CRLF, one Character in Swift.
        for line in links.unicodeScalars.split(separator: "\n").dropFirst() {
            let fields = String(line).split(separator: ",", omittingEmptySubsequences: false)
            if fields.count >= 2, let number = Int(fields[1]) { imdb[String(fields[0])] = number }
        }
        return TitleMatcher(entries: movies.movies.map {
            CatalogueEntry(externalID: $0.externalID, title: $0.title, year: $0.year, imdbID: imdb[$0.externalID])
        })
    }

    private func ids(_ resolved: ResolvedPersonalRatings) -> [String] {
        resolved.ratings.map { "\($0.line):\($0.movie.externalID):\($0.method.rawValue)" }
    }

    @Test("the issue's title file and common spellings find the MovieLens ids",
          .enabled(if: available, "../shared/data/ml-latest-small is absent: skipped"))
    func titles() throws {
        let matcher = try catalogue()
        let file = try PersonalRatingsFile(text: """
            movie,rating
            Star Wars: Episode IV - A New Hope (1977),5
            "Matrix, The (1999)",4.5
            The Shawshank Redemption (1994),5
            Se7en (1995),4
            Amelie (2001),4
            tt0110912,3.5
            """, file: "mine.csv")
        let resolved = try file.resolve(with: matcher, scale: 0.5...5)
        // 260 Star Wars IV, 2571 The Matrix, 318 Shawshank, 47 Seven (a.k.a. Se7en), 4973 Amélie, 296 Pulp Fiction.
        #expect(ids(resolved) == ["2:260:exact-title", "3:2571:exact-title", "4:318:normalised-title",
                                  "5:47:exact-title", "6:4973:exact-title", "7:296:imdb-id"])
        #expect(resolved.unmatched.isEmpty)
    }

    @Test("this repository's IMDb and Letterboxd test exports against the real catalogue",
          .enabled(if: available, "../shared/data/ml-latest-small is absent: skipped"))
    func exports() throws {
        let matcher = try catalogue()
        let imdb = try PersonalRatingsFile(text: testIMDbExport, file: "imdb.csv").resolve(with: matcher, scale: 0.5...5)
        // The Matrix, Heat and Star Wars by IMDb id through the links; the TV series matches nothing.
        #expect(ids(imdb) == ["2:2571:imdb-id", "3:6:imdb-id", "5:260:imdb-id"])
        #expect(imdb.ratings.map(\.rating) == [4.5, 3.5, 0.5])
        #expect(imdb.unmatched.map(\.line) == [4])
        let letterboxd = try PersonalRatingsFile(text: testLetterboxdExport, file: "ratings.csv")
            .resolve(with: matcher, scale: 0.5...5)
        // Amélie is "Amelie (Fabuleux destin d'Amélie Poulain, Le)" there; Hamlet (1948) exists once, Emma (1996)
        // twice (838 and 26958): listed, not guessed.
        #expect(ids(letterboxd) == ["2:2571:normalised-title", "3:6:exact-title", "5:4973:normalised-title",
                                    "6:1941:exact-title"])
        #expect(letterboxd.unmatched.map(\.reason) == [.ambiguous, .duplicate])
        #expect(letterboxd.unmatched.first?.candidates.map(\.externalID) == ["838", "26958"])
    }
}
