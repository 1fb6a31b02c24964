import ArgumentParser
import Foundation
import MovieRecSynthetic

/// `movierec generate`: writes a synthetic MovieLens-format data set (ratings.csv, movies.csv).
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a synthetic MovieLens-format data set (ratings.csv and movies.csv).",
        discussion: """
        Ratings come from a latent taste model (user and film biases, genre-linked taste vectors, noise) \
        on the 0.5–5 half-star scale, with long-tail film popularity and user activity like MovieLens. \
        The same options and seed always give byte-identical files.

        Example (an ML-25M-shaped set):
          movierec generate --users 160000 --movies 60000 --ratings 25000000 --seed 1 --out ml25m-like
        """
    )

    @Option(name: .long, help: ArgumentHelp("Number of users (ids 1…N, each rates at least one film).", valueName: "N"))
    var users: Int

    @Option(name: .long, help: ArgumentHelp("Number of films (ids 1…M).", valueName: "M"))
    var movies: Int

    @Option(name: .long, help: ArgumentHelp("Exact number of ratings (at least N, at most N×M).", valueName: "R"))
    var ratings: Int

    @Option(name: .long, help: ArgumentHelp("Random seed.", valueName: "S"))
    var seed: UInt64 = 42

    @Option(name: .long, help: ArgumentHelp("Output directory (created if missing).", valueName: "dir"))
    var out: String

    @Option(name: .long, help: ArgumentHelp("Worker threads (output does not depend on it).", valueName: "n"))
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @OptionGroup var output: OutputOptions

    /// Generation summary plus the wall-clock time.
    private struct Report: Encodable {
        var summary: SyntheticSummary
        var seconds: Double
    }

    func run() throws {
        let configuration = SyntheticConfiguration(users: users, movies: movies, ratings: ratings, seed: seed)
        let clock = ContinuousClock()
        let started = clock.now
        let summary = try generateSyntheticDataset(configuration, into: URL(fileURLWithPath: out), threads: threads)
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        if output.json {
            try printJSON(Report(summary: summary, seconds: seconds))
            return
        }
        print("Wrote \(summary.configuration.ratings) ratings by \(summary.configuration.users) users "
            + "of \(summary.configuration.movies) films in \(String(format: "%.2f", seconds)) s")
        print("  \(summary.ratingsPath) (\(summary.ratingsBytes) bytes)")
        print("  \(summary.moviesPath) (\(summary.moviesBytes) bytes)")
        print("  mean rating \(String(format: "%.3f", summary.meanRating)); ratings per user "
            + "\(summary.minimumUserRatings)–\(summary.maximumUserRatings); "
            + "\(summary.ratedMovies) films rated, the most-rated \(summary.maximumMovieRatings) times")
    }
}
