import ArgumentParser
import Foundation
import MovieRecModel
import MovieRecService
import MovieRecStore

/// Options of every command that uses the saved model.
struct ModelOptions: ParsableArguments {
    /// Retrain (with the saved model's parameters, else the defaults) and save when there is no model or it is stale.
    @Flag(name: .long, help: "Train and save a model first when there is none or it is stale.")
    var trainIfNeeded = false

    /// Use a stale model anyway, when it still fits the users and films.
    @Flag(name: .long, help: "Use a stale model anyway (only when only rating values changed since training).")
    var allowStale = false

    /// The service's policy for these flags.
    var policy: ModelPolicy { ModelPolicy(trainIfNeeded: trainIfNeeded, allowStale: allowStale) }
}

extension ModelSession {
    /// ``ModelSession/open(path:policy:progress:warn:)`` for a command: the database of `database`, with the
    /// training stages (when it trains) shown on one stderr line unless `output` is quiet or stderr is not a
    /// terminal, and warnings on stderr.
    static func open(_ database: DatabaseOptions, _ model: ModelOptions, _ output: OutputOptions) throws -> ModelSession {
        let line = StageLine(enabled: stderrIsTerminal && !output.quiet)
        defer { line.finish() }
        return try open(path: database.resolvedPath, policy: model.policy, progress: line.show,
                        warn: { line.finish(); printError($0) })
    }
}
