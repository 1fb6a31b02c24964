import ArgumentParser
import Foundation
import MovieRecPostgres
import MovieRecService
import MovieRecStore

/// The one place errors become exit codes (the server's counterpart maps them to HTTP statuses):
///
/// | code | meaning |
/// |---|---|
/// | 0 | success |
/// | 1 | any other failure (an output file, the demo's set-up, the model) |
/// | 2 | an unknown user or film, or an ambiguous title |
/// | 3 | no model, or a stale one: run `movierec train` |
/// | 4 | bad input: a ratings file, a new user's ratings, an option value the library refused |
/// | 5 | the database: missing, not movierec's, unwritable, or SQLite failed; PostgreSQL unreachable or failing |
/// | 64 | a command-line usage error (ArgumentParser's own) |
enum CLIExitCode {
    /// The exit code for `error`, or nil for ArgumentParser's own errors (help, usage), which it handles.
    static func code(for error: Error) -> Int32? {
        switch error {
        case let error as ServiceError:
            switch error.kind {
            case .unknownUser, .unknownMovie, .ambiguousMovie: return 2
            case .noModel, .staleModel: return 3
            case .invalidRatings, .invalidRequest: return 4
            case .modelLoading, .trainingInProgress, .ratingsSourceUnavailable: return 1
            }
        case let error as StoreError:
            switch error.kind {
            case .databaseNotFound, .unwritableDatabase, .database, .notMovieRecDatabase: return 5
            default: return 4
            }
        case let error as PostgresError:
            switch error {
            case .badURL, .badArguments, .badCopyStream: return 4
            case .unreachable, .statementFailed, .noPublishedModel, .temporaryFile: return 5
            }
        case is CommandError:
            return 1
        default:
            return nil
        }
    }
}
