import ArgumentParser
import Foundation
import MovieRecStore

/// `movierec stats`: counts, density, rating distribution and most-rated films of the database.
struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Show users, movies, ratings, density, rating distribution and most-rated films.",
        discussion: """
            Example:
              movierec stats --db movies.sqlite --top 5
              movierec stats --json | jq .ratings
            """
    )

    @Option(help: ArgumentHelp("How many most-rated films to list.", valueName: "n"))
    var top = 10

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let store = try RatingStore(path: database.resolvedPath, createIfMissing: false)
        let stats = try store.statistics(topMovies: top)
        if output.json {
            try printJSON(stats)
            return
        }
        print(database.resolvedPath)
        print("  users    \(groupedDigits(stats.users))")
        print("  movies   \(groupedDigits(stats.movies)) (\(groupedDigits(stats.ratedMovies)) rated)")
        print("  ratings  \(groupedDigits(stats.ratings))")
        print(String(format: "  density  %.3f%%   mean rating %.2f", stats.density * 100, stats.meanRating))
        guard stats.ratings > 0 else { return }
        print("Rating distribution:")
        let largest = stats.distribution.map(\.count).max() ?? 1
        for bucket in stats.distribution {
            let label = bucket.from == bucket.to ? Self.number(bucket.from) : "\(Self.number(bucket.from))–\(Self.number(bucket.to))"
            let bar = String(repeating: "#", count: max(1, bucket.count * 40 / max(largest, 1)))
            print("  \(label.padding(toLength: 9, withPad: " ", startingAt: 0)) \(bar) \(groupedDigits(bucket.count))")
        }
        print("Most-rated films:")
        for (rank, entry) in stats.mostRated.enumerated() {
            print(String(format: "  %2d. %@  %@ ratings, mean %.2f", rank + 1, entry.movie.displayTitle,
                         groupedDigits(entry.ratings), entry.meanRating))
        }
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%g", value)
    }
}
