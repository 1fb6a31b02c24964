import ArgumentParser
import Foundation
import MovieRecModel
import MovieRecService
import MovieRecStore

/// `movierec similar-movies`: the films nearest to a film in latent space.
struct SimilarMoviesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar-movies",
        abstract: "List the films nearest to a film in latent space (by id or title).",
        discussion: """
            MOVIE is a film id of the imported files, a title (ignoring case, the year and the article: "matrix" \
            and "The Matrix" find "Matrix, The (1999)"), or a part of a title that matches one film; an ambiguous \
            title lists the candidates.

            Examples:
              movierec similar-movies 260
              movierec similar-movies "matrix" --count 5 --json
            """
    )

    @Argument(help: ArgumentHelp("A film id or title.", valueName: "movie"))
    var movie: String

    @Option(parsing: .unconditional, help: ArgumentHelp("How many films to list.", valueName: "N"))
    var count = 10

    @Option(help: ArgumentHelp("List only films with at least this many ratings (cosines are also shrunk by support).",
                               valueName: "N"))
    var minRatings = 3

    @OptionGroup var model: ModelOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    /// What `similar-movies --json` prints.
    typealias Report = SimilarMovies

    func validate() throws {
        try validateCount(count)
        guard minRatings >= 1 else { throw ValidationError("--min-ratings must be at least 1.") }
    }

    func run() throws {
        let session = try ModelSession.open(database, model, output)
        let index = try session.resolveMovie(movie)
        let report = try Self.report(session, movie: index, count: count, minimumRatings: minRatings)
        if output.json {
            try printJSON(report)
            return
        }
        print("Films nearest to \(report.title) (id \(report.movie)):")
        print(Self.render(report))
    }

    /// The `count` films nearest to film `movie`.
    static func report(_ session: ModelSession, movie: Int, count: Int, minimumRatings: Int = 3) throws -> Report {
        try session.similarMovies(to: movie, count: count, minimumRatings: minimumRatings)
    }

    /// The report as a table.
    static func render(_ report: Report) -> String {
        var table = TextTable([("#", .right), ("id", .left), ("title", .left), ("cosine", .right), ("ratings", .right),
                               ("score", .right)])
        for (rank, film) in report.similar.enumerated() {
            table.append(["\(rank + 1)", film.movie, film.title, fixed(film.cosine, 4), "\(film.ratings)",
                          fixed(film.score, 4)])
        }
        return table.render()
    }
}
