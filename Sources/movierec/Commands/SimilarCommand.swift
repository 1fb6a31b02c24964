import ArgumentParser
import Foundation
import MovieRecModel
import MovieRecService
import MovieRecStore

/// `movierec similar`: the users most similar to a user, by latent cosine.
struct SimilarCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar",
        abstract: "List the users most similar to a user (latent cosine) and how many films they share.",
        discussion: """
            USER is a user id of the database or the path of a new user's movie,rating file (folded in).

            Examples:
              movierec similar 414 --count 5
              movierec similar my-ratings.csv --json
            """
    )

    @Argument(help: ArgumentHelp("A user id, or a new user's ratings file.", valueName: "user"))
    var user: String

    @Option(parsing: .unconditional, help: ArgumentHelp("How many users to list.", valueName: "N"))
    var count = 10

    @OptionGroup var model: ModelOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    /// What `similar --json` prints.
    typealias Report = SimilarUsers

    func validate() throws {
        try validateCount(count)
    }

    func run() throws {
        let session = try ModelSession.open(database, model, output)
        let resolved = try session.resolveUser(user, warn: printError)
        let report = try Self.report(session, user: resolved, count: count)
        if output.json {
            try printJSON(report)
            return
        }
        print("Users most similar to \(resolved.summary):")
        print(Self.render(report))
    }

    /// The `count` users most similar to `user`.
    static func report(_ session: ModelSession, user: ResolvedUser, count: Int) throws -> Report {
        try session.similarUsers(to: user, count: count)
    }

    /// The report as a table.
    static func render(_ report: Report) -> String {
        var table = TextTable([("#", .right), ("user", .left), ("cosine", .right), ("films in common", .right),
                               ("score", .right)])
        for (rank, match) in report.similar.enumerated() {
            table.append(["\(rank + 1)", match.user, fixed(match.cosine, 4), groupedDigits(match.commonMovies),
                          fixed(match.score, 4)])
        }
        return table.render()
    }
}
