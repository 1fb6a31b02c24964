import Foundation
import Testing

/// End-to-end tests of a person's own ratings (`--ratings`, `compare FILE`, `match`), the recommendation filters
/// and the `--count` / `--help` fixes, on the worked example (data/worked-example).
@Suite("movierec --ratings files, match, recommend filters, --count (end to end)",
       .enabled(if: BinaryRunner.executable != nil, "movierec binary not built"))
struct PersonalRatingsCLITests {
    private static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func example(_ file: String) -> String {
        Self.repository.appendingPathComponent("data/worked-example").appendingPathComponent(file).path
    }

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
    }

    /// The worked example imported and trained as in the design (plain SVD, rank 2).
    private func trained() throws -> ScratchDirectory {
        let dir = try ScratchDirectory()
        let imported = try dir.run(["import", example("ratings.csv"), "--movies", example("movies.csv"), "--quiet"])
        try #require(imported.status == 0, "\(imported.stderr)")
        let trained = try dir.run(["train", "--baseline", "none", "--rank", "2", "--quiet"])
        try #require(trained.status == 0, "\(trained.stderr)")
        return dir
    }

    /// The film ids of `recommend ... --json`, best first.
    private func recommended(_ dir: ScratchDirectory, _ arguments: [String]) throws -> [String] {
        // The rating floor off: these tests are about which films may be listed, not about predicted ratings.
        let result = try dir.run(["recommend"] + arguments + ["--json", "--min-predicted", "0"])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try json(result.stdout)["recommendations"] as? [[String: Any]]).compactMap { $0["movie"] as? String }
    }

    @Test("titles, quoted titles and an unknown film: folded in, the unknown line skipped and listed, --strict fails")
    func titlesAndUnknown() throws {
        let dir = try trained()
        // P9's ratings by title: The Matrix 4 (MovieLens writes "Matrix, The"), Iron Man 5; one film not in the data.
        try dir.write("titles.csv", "movie,rating\n\"Matrix, The (1999)\",4\nIron Man,5\nNotting Hill (1999),4\n")
        let result = try dir.run(["recommend", "--ratings", "titles.csv", "--json", "--min-predicted", "0"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("titles.csv:4: skipped: \"Notting Hill (1999)\" matches no movie"))
        let report = try json(result.stdout)
        let unmatched = try #require(report["unmatched"] as? [[String: Any]])
        #expect(unmatched.count == 1)
        #expect(unmatched.first?["line"] as? Int == 4)
        #expect(unmatched.first?["reason"] as? String == "no-match")
        // The same ratings as data/worked-example/new-user-P9.csv, so the same recommendations.
        let byID = try recommended(dir, ["--ratings", example("new-user-P9.csv")])
        let films = try #require(report["recommendations"] as? [[String: Any]]).compactMap { $0["movie"] as? String }
        #expect(films == byID)
        #expect(films.first == "1")
        let strict = try dir.run(["recommend", "--ratings", "titles.csv", "--strict"])
        #expect(strict.status != 0)
        #expect(strict.stderr.contains("titles.csv:4: field movie: \"Notting Hill (1999)\" matches no movie"))
        // compare reads the same files: P9 by title against P9 by id is the same user.
        let compare = try json(try dir.run(["compare", "titles.csv", example("new-user-P9.csv"), "--json"]).stdout)
        #expect(abs((compare["latentCosine"] as? Double ?? 0) - 1) < 1e-4)
        #expect((compare["unmatched"] as? [[String: Any]])?.count == 1)
    }

    @Test("the Letterboxd file of data/: match shows each line's method and mapped rating; recommend folds it in")
    func letterboxd() throws {
        let dir = try trained()
        let match = try dir.run(["match", example("letterboxd-ratings.csv"), "--json"])
        #expect(match.status == 0, "\(match.stderr)")
        let report = try json(match.stdout)
        #expect(report["format"] as? String == "letterboxd")
        let matched = try #require(report["matched"] as? [[String: Any]])
        #expect(matched.map { $0["movie"] as? String } == ["4", "5", "2"])
        #expect(matched.map { $0["method"] as? String } == ["exact-title", "exact-title", "normalised-title"])
        // 0.5–5 stars onto the data's 1–5: r ↦ 1 + (r − 0.5)·4/4.5.
        let ratings = matched.compactMap { $0["rating"] as? Double }
        for (rating, stars) in zip(ratings, [4.5, 5, 1.5]) { #expect(abs(rating - (1 + (stars - 0.5) * 4 / 4.5)) < 1e-5) }
        let unmatched = try #require(report["unmatched"] as? [[String: Any]])
        #expect(unmatched.map { $0["line"] as? Int } == [5])
        let strict = try dir.run(["match", example("letterboxd-ratings.csv"), "--strict"])
        #expect(strict.status != 0)
        #expect(strict.stdout.contains("normalised-title"))
        // A romance fan: the two films left are the science-fiction ones.
        #expect(Set(try recommended(dir, ["--ratings", example("letterboxd-ratings.csv")])) == ["1", "3"])
    }

    @Test("an IMDb export folds in through the links of import --links: tt ids match films whose titles differ")
    func imdbThroughLinks() throws {
        let dir = try ScratchDirectory()
        // IMDb ids of the worked example's five films (movieId,imdbId,tmdbId as in MovieLens links.csv).
        try dir.write("links.csv", "movieId,imdbId,tmdbId\n1,0076759,11\n2,0133093,603\n3,0371746,1726\n4,0128853,9489\n5,0120338,597\n")
        let imported = try dir.run(["import", example("ratings.csv"), "--movies", example("movies.csv"), "--links", "links.csv", "--quiet"])
        try #require(imported.status == 0, "\(imported.stderr)")
        #expect(try dir.run(["train", "--baseline", "none", "--rank", "2", "--quiet"]).status == 0)
        // P9 as an IMDb export: The Matrix 8/10 and Iron Man 10/10, under titles the catalogue does not use.
        try dir.write("imdb.csv", """
            Const,Your Rating,Date Rated,Title,URL,Title Type,IMDb Rating,Runtime (mins),Year,Genres,Num Votes,Release Date,Directors
            tt0133093,8,2024-01-02,Matrix,https://www.imdb.com/title/tt0133093/,Movie,8.0,136,1999,Sci-Fi,1000,1999-03-31,Someone
            tt0371746,10,2024-01-03,Iron Man (Director's Cut),https://www.imdb.com/title/tt0371746/,Movie,8.0,126,2008,Action,1000,2008-05-02,Someone

            """)
        let match = try json(try dir.run(["match", "imdb.csv", "--json"]).stdout)
        let matched = try #require(match["matched"] as? [[String: Any]])
        #expect(matched.map { $0["movie"] as? String } == ["2", "3"])
        #expect(matched.map { $0["method"] as? String } == ["imdb-id", "imdb-id"])
        // 1–10 onto the data's 1–5: r ↦ 1 + (r − 1)·4/9.
        for (row, stars) in zip(matched, [8.0, 10.0]) {
            #expect(abs((row["rating"] as? Double ?? 0) - (1 + (stars - 1) * 4 / 9)) < 1e-5)
        }
        #expect(Set(try recommended(dir, ["--ratings", "imdb.csv"])) == ["1", "4", "5"])
    }

    @Test("filters apply before the top-N cut: --genre, --year, --exclude ids or a file, --include-rated")
    func filters() throws {
        let dir = try trained()
        // P6 (romance) has not rated 1, 2, 3; unfiltered, The Matrix (2) comes first.
        #expect(try recommended(dir, ["P6", "--count", "3"]) == ["2", "1", "3"])
        // Asked for 1 Adventure film: 1 film that passes (filtering after the cut would leave none).
        #expect(try recommended(dir, ["P6", "--count", "1", "--genre", "adventure"]) == ["1"])
        #expect(try recommended(dir, ["P6", "--genre", "Sci-Fi", "--year", "2000.."]) == ["3"])
        #expect(try recommended(dir, ["P6", "--year", "1977"]) == ["1"])
        #expect(try recommended(dir, ["P6", "--exclude", "2,1"]) == ["3"])
        try dir.write("seen.csv", "title\nMatrix, The (1999)\nStar Wars\nNo Such Film\n")
        let excluded = try dir.run(["recommend", "P6", "--exclude", "seen.csv", "--json", "--min-predicted", "0"])
        #expect(excluded.status == 0, "\(excluded.stderr)")
        #expect(try json(excluded.stdout)["recommendations"].flatMap { $0 as? [[String: Any]] }?.compactMap { $0["movie"] as? String } == ["3"])
        #expect(excluded.stderr.contains("seen.csv:4: not excluded: \"No Such Film\" matches no movie"))
        // P6 rated 4 and 5 (5 stars each): included, they come first.
        #expect(try recommended(dir, ["P6", "--include-rated", "--count", "5"]).prefix(2).sorted() == ["4", "5"])
        let western = try dir.run(["recommend", "P6", "--genre", "Western"])
        #expect(western.status != 0)
        #expect(western.stderr.contains("no movie has the genre \"Western\": expected one of Action, Adventure, Comedy"))
        let backwards = try dir.run(["recommend", "P6", "--year", "1999..1990"])
        #expect(backwards.status != 0)
        #expect(backwards.stderr.contains("the range 1999..1990 ends before it starts"))
        let unknownID = try dir.run(["recommend", "P6", "--exclude", "77"])
        #expect(unknownID.stderr.contains("\"77\" is neither a movie id nor a file"))
    }

    @Test("--count -1 says it must be ≥ 1 (not 'Missing value'); compare --count 0 is rejected")
    func counts() throws {
        let dir = try trained()
        for arguments in [["recommend", "P6", "--count", "-1"], ["compare", "P1", "P2", "--count", "0"],
                          ["similar", "P1", "--count", "-3"], ["similar-movies", "1", "--count", "0"]] {
            let result = try dir.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.stderr.contains("--count must be ≥ 1 (got \(arguments.last!))"), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("Missing value"))
        }
    }

    @Test("every --help example is whole: no command is wrapped in the middle (80 columns)")
    func helpExamples() throws {
        let dir = try ScratchDirectory()
        for command in ["demo", "import", "stats", "train", "recommend", "similar", "compare", "similar-movies",
                        "match", "evaluate", "generate", "benchmark"] {
            let help = try BinaryRunner.run([command, "--help"], in: dir.url)
            #expect(help.status == 0)
            let lines = help.stdout.components(separatedBy: "\n")
            guard let start = lines.firstIndex(of: "Examples:") else { continue }
            var previous = "Examples:"
            for line in lines[(start + 1)...] {
                if line.isEmpty { break }
                let text = line.trimmingCharacters(in: .whitespaces)
                // An example starts with `movierec`, is a `#` comment, or continues a line that ends in `\`.
                #expect(text.hasPrefix("movierec ") || text == "movierec" || text.hasPrefix("#") || previous.hasSuffix("\\"),
                        "\(command): \"\(line)\"")
                previous = line
            }
        }
    }
}
