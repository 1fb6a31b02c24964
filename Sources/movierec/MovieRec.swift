import ArgumentParser

/// The `movierec` command: import ratings, train, recommend, compare users.
@main
struct MovieRec: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "movierec",
        abstract: "A movie recommender that explains itself.",
        subcommands: [ImportCommand.self, StatsCommand.self, GenerateCommand.self, EvaluateCommand.self,
                      BenchmarkCommand.self]
    )
}
