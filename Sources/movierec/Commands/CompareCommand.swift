import ArgumentParser
import Foundation
import MovieRecModel
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

    /// A film both users rated.
    struct CommonFilm: Encodable {
        /// The film's id.
        let movie: String
        /// Its title.
        let title: String
        /// A's rating.
        let ratingA: Float
        /// B's rating.
        let ratingB: Float
    }

    /// What `compare --json` prints.
    struct Report: Encodable {
        /// A (id or ratings file).
        let a: String
        /// B (id or ratings file).
        let b: String
        /// Cosine of the users' latent vectors `p = r·V_k` (the space `similar` ranks in).
        let latentCosine: Float
        /// Cosine of the fold-in coordinates `u = p·S_k⁻¹` (every taste weighted alike).
        let foldInCosine: Float
        /// The raw co-rating cosine over the common films, shrunk by `n / (n + λ_s)`; 0 below the minimum support.
        let rawCosine: Float
        /// Number of films both rated.
        let commonMovies: Int
        /// Whether `commonMovies` reached the minimum support for a raw cosine.
        let enoughOverlap: Bool
        /// Films both rated at least ``lovedRating``, highest combined rating first.
        let bothLoved: [CommonFilm]
        /// Films with the largest rating difference, largest first.
        let biggestDisagreements: [CommonFilm]
        /// The "loved" threshold: 80 % of the top of the rating scale.
        let lovedRating: Float
        /// Skipped lines of A's and B's ratings files (absent when both are users of the database).
        let unmatched: [UnmatchedLine]?
    }

    func validate() throws {
        try validateCount(count)
    }

    func run() throws {
        let session = try ModelSession.open(database, model, output)
        let a = try session.resolveUser(first, strict: strict)
        let b = try session.resolveUser(second, strict: strict)
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
        let model = session.model
        let comparison = try model.compare(a.reference, b.reference)
        let loved = 0.8 * model.ratingRange.upperBound
        let bothLoved = comparison.common.filter { $0.first >= loved && $0.second >= loved }
            .sorted { ($0.first + $0.second, -$0.movie) > ($1.first + $1.second, -$1.movie) }
            .prefix(count)
        // A disagreement is a gap of at least a quarter of the rating scale (≥ 1.5 stars on 0.5–5).
        let range = model.ratingRange
        let gap = 0.25 * (range.upperBound - range.lowerBound)
        let disagreements = comparison.common.filter { abs($0.first - $0.second) >= gap }
            .sorted { (abs($0.first - $0.second), -$0.movie) > (abs($1.first - $1.second), -$1.movie) }
            .prefix(count)
        let titles = try session.titles(bothLoved.map(\.movie) + disagreements.map(\.movie))
        func film(_ entry: CommonRating) -> CommonFilm {
            CommonFilm(movie: session.movieID(entry.movie), title: titles[entry.movie] ?? "", ratingA: entry.first,
                       ratingB: entry.second)
        }
        return Report(a: a.label, b: b.label, latentCosine: comparison.latentCosine,
                      foldInCosine: cosine(foldInCoordinates(a, model), foldInCoordinates(b, model)),
                      rawCosine: comparison.rawCosine.value, commonMovies: comparison.rawCosine.commonMovies,
                      enoughOverlap: comparison.rawCosine.hasEnoughOverlap, bothLoved: bothLoved.map(film),
                      biggestDisagreements: disagreements.map(film), lovedRating: loved,
                      unmatched: a.personal == nil && b.personal == nil ? nil
                          : (a.unmatchedLines ?? []) + (b.unmatchedLines ?? []))
    }

    /// `u = p·S_k⁻¹`: a folded user's ``FoldedUser/latentCoordinates``, or a trained user's `p_u` divided by σ
    /// per dimension (0 where σ = 0).
    private static func foldInCoordinates(_ user: ResolvedUser, _ model: TrainedModel) -> [Float] {
        switch user.reference {
        case .folded(let folded):
            return folded.latentCoordinates
        case .trained(let index):
            return zip(model.factors.userVectors.row(index), model.factors.singularValues).map { $1 > 0 ? $0 / $1 : 0 }
        }
    }

    /// `a·b / (‖a‖‖b‖)`, 0 when either vector is zero.
    private static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let norms = (dot(a, a) * dot(b, b)).squareRoot()
        return norms > 0 ? dot(a, b) / norms : 0
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
