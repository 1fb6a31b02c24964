import Foundation

/// What went wrong talking to PostgreSQL: the (redacted) server, what was being done and why it failed.
public enum PostgresError: Error, CustomStringConvertible, LocalizedError, Equatable {
    /// The connection string is not a `postgresql://` URL this tool understands.
    case badURL(String, reason: String)
    /// The server could not be reached or refused the connection.
    case unreachable(server: String, reason: String)
    /// A statement failed on the server.
    case statementFailed(server: String, doing: String, reason: String)
    /// The COPY stream was not well-formed CSV.
    case badCopyStream(line: Int, reason: String)
    /// The temporary file the rows are written to cannot be created or written.
    case temporaryFile(path: String, reason: String)
    /// Command-line arguments that do not fit together.
    case badArguments(String)
    /// No model has been published to this server.
    case noPublishedModel(server: String)

    /// The description (so every front end prints the same text).
    public var errorDescription: String? { description }

    public var description: String {
        switch self {
        case .badURL(let url, let reason): return "not a PostgreSQL URL (\(url)): \(reason)"
        case .unreachable(let server, let reason): return "cannot reach PostgreSQL at \(server): \(reason)"
        case .statementFailed(let server, let doing, let reason):
            return "PostgreSQL at \(server) failed while \(doing): \(reason)"
        case .badCopyStream(let line, let reason): return "COPY stream line \(line): \(reason)"
        case .temporaryFile(let path, let reason): return "temporary file \(path): \(reason)"
        case .badArguments(let message): return message
        case .noPublishedModel(let server): return "no model has been published to PostgreSQL at \(server)"
        }
    }
}
