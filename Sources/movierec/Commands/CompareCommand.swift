import ArgumentParser
import Foundation
import MovieRecModel
import MovieRecService
import MovieRecNumerics
import MovieRecStore

/// `movierec compare`: how alike two users are, in latent space and on their common films.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two users: latent cosine, raw co-rating cosine, films in common, both loved, disagreements.",
        discussion: """
            A and B are each a user id of the database or the path of a new user's ratings file (folded in): \
            movie,rating lines (ids or titles), an IMDb ratings export or a Letterboxd ratings.csv. \
            Two users who share no film have a raw cosine of 0, yet can be close in latent space.

            Examples:
              movierec compare 414 68
              movierec compare data/worked-example/new-user-P8.csv \\
                  data/worked-example/new-user-P9.csv --json
            """
    )

    @Argument(help: ArgumentHelp("The first user: an id or a ratings file.", valueName: "A"))
    var first: String

    @Argument(help: ArgumentHelp("The second user: an id or a ratings file.", valueName: "B"))
    var second: String

    @Option(parsing: .unconditional, help: ArgumentHelp("How many films to list as both loved and as disagreements (at least 1).", valueName: "N"))
    var count = 5

    @Flag(help: "For a ratings file: a line that matches no film or several is an error instead of skipped.")
    var strict = false

    @OptionGroup var model: ModelOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    /// What `compare --json` prints.
    typealias Report = UserComparisonReport

    func validate() throws {
        try validateCount(count)
    }

    func run() throws {
        let session = try ModelSession.open(database, model, output)
        let a = try session.resolveUser(first, strict: strict, warn: printError)
        let b = try session.resolveUser(second, strict: strict, warn: printError)
        let report = try Self.report(session, a, b, count: count)
        if output.json {
            try printJSON(report)
            return
        }
        print("Comparing \(a.summary) with \(b.summary):")
        print(Self.render(report))
    }

    /// Compares `a` and `b`, listing up to `count` films both loved and `count` disagreements.
    static func report(_ session: ModelSession, _ a: ResolvedUser, _ b: ResolvedUser, count: Int) throws -> Report {
        try session.compare(a, b, count: count)
    }

    /// The report as text.
    static func render(_ report: Report) -> String {
        var lines = [
            "  latent cosine    \(fixed(report.latentCosine, 4))   (fold-in coordinates p·S⁻¹: \(fixed(report.foldInCosine, 4)))",
            "  raw cosine       \(fixed(report.rawCosine, 4))   "
                + "(\(groupedDigits(report.commonMovies)) film\(report.commonMovies == 1 ? "" : "s") in common"
                + (report.enoughOverlap ? ")" : "; too few for a raw cosine)"),
        ]
        for (heading, films) in [("both loved (≥ \(fixed(report.lovedRating, 1)))", report.bothLoved),
                                 ("biggest disagreements", report.biggestDisagreements)] {
            guard !films.isEmpty else {
                lines.append("  \(heading): none")
                continue
            }
            lines.append("  \(heading):")
            var table = TextTable([("title", .left), ("A", .right), ("B", .right)])
            for film in films { table.append([film.title, fixed(film.ratingA, 1), fixed(film.ratingB, 1)]) }
            lines.append(table.render(indent: "    "))
        }
        return lines.joined(separator: "\n")
    }
}
