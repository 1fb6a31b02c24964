import ArgumentParser
import Foundation
import MovieRecService
import MovieRecStore

/// `movierec match FILE`: how each line of a person's ratings file matches the films of the database.
struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Show how each line of a ratings file matches a film (the file --ratings reads).",
        discussion: """
            Reads movie,rating lines (ids or titles), an IMDb ratings export or a Letterboxd ratings.csv, and \
            shows for each line the film it matched, how (movie id, IMDb id, exact title + year, normalised \
            title + year ±1, title alone), and the rating on the database's scale; lines that match no film \
            or several are listed with the candidates. Needs no trained model.

            Examples:
              movierec match data/worked-example/letterboxd-ratings.csv
              movierec match imdb-ratings.csv --json
            """
    )

    @Argument(help: ArgumentHelp("The ratings file.", valueName: "file"))
    var file: String

    @Flag(help: "Exit with an error when a line matches no film or several.")
    var strict = false

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    /// One matched line.
    struct Matched: Encodable {
        /// The line.
        let line: Int
        /// The film's external id.
        let movie: String
        /// Its title.
        let title: String
        /// How it matched (`movie-id`, `imdb-id`, `exact-title`, `normalised-title`, `title-only`).
        let method: String
        /// The rating as written.
        let given: Float
        /// The rating on the database's scale.
        let rating: Float
    }

    /// What `match --json` prints.
    struct Report: Encodable {
        /// The file.
        let file: String
        /// Its detected format (`movie-rating`, `imdb`, `letterboxd`).
        let format: String
        /// The database's rating scale the ratings were mapped onto.
        let scale: [Float]
        /// Matched lines, in file order.
        let matched: [Matched]
        /// Skipped lines, in file order.
        let unmatched: [UnmatchedLine]
    }

    func run() throws {
        let store = try RatingStore(path: database.resolvedPath, createIfMissing: false)
        guard let scale = try store.ratingScale() else {
            throw ServiceError(.invalidRatings, "\(store.path) has no ratings yet: import some first (`movierec import`)")
        }
        let parsed = try PersonalRatingsFile(contentsOf: file)
        let resolved = try parsed.resolve(with: TitleMatcher(entries: try store.catalogueEntries()), scale: scale)
        let report = Report(
            file: file, format: resolved.format.rawValue, scale: [scale.lowerBound, scale.upperBound],
            matched: resolved.ratings.map {
                Matched(line: $0.line, movie: $0.movie.externalID, title: $0.movie.displayTitle,
                        method: $0.method.rawValue, given: $0.given, rating: $0.rating)
            },
            unmatched: UnmatchedLine.list(resolved.unmatched, file: file))
        if output.json {
            try printJSON(report)
        } else {
            print(Self.render(report))
        }
        if strict { try resolved.requireAllMatched() }
    }

    /// The report as text: a table of matched lines, then the skipped ones with their candidates.
    static func render(_ report: Report) -> String {
        var lines = ["\(report.file) (\(report.format)): \(report.matched.count) matched, \(report.unmatched.count) skipped"]
        if !report.matched.isEmpty {
            var table = TextTable([("line", .right), ("how", .left), ("id", .left), ("title", .left), ("rating", .right)])
            for line in report.matched {
                let rating = line.given == line.rating ? fixed(line.rating, 1)
                    : "\(fixed(line.given, 1)) → \(fixed(line.rating, 2))"
                table.append(["\(line.line)", line.method, line.movie, line.title, rating])
            }
            lines.append(table.render())
        }
        if !report.unmatched.isEmpty {
            lines.append("Skipped:")
            for line in report.unmatched {
                lines.append("  line \(line.line): \(line.text): \(line.reason)")
                for candidate in line.candidates.prefix(5) { lines.append("    candidate \(candidate.movie)  \(candidate.title)") }
                if line.candidates.count > 5 { lines.append("    … and \(line.candidates.count - 5) more") }
            }
        }
        return lines.joined(separator: "\n")
    }
}
