import ArgumentParser
import Foundation

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

    /// Runs the command; a failure prints ArgumentParser's `Error: …` message and exits with ``CLIExitCode``.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            guard let code = CLIExitCode.code(for: error) else { exit(withError: error) }
            printError(fullMessage(for: error))
            Foundation.exit(code)
        }
    }
}
