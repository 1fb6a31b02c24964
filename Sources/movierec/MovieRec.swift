import ArgumentParser

/// The `movierec` command: import ratings, train, recommend, compare users.
@main
struct MovieRec: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "movierec",
        abstract: "A movie recommender that explains itself.",
        subcommands: [
            DemoCommand.self, ImportCommand.self, StatsCommand.self, TrainCommand.self, RecommendCommand.self,
            SimilarCommand.self, CompareCommand.self, SimilarMoviesCommand.self, EvaluateCommand.self,
            MatchCommand.self, GenerateCommand.self, BenchmarkCommand.self, ServeCommand.self,
        ]
    )
}
