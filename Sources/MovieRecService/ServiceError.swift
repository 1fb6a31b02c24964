import Foundation

/// The one error type of `MovieRecService`: what a front end asked for that cannot be answered (an unknown user
/// or film, no or a stale model, a model still loading, a bad new-user rating), with the file or request part
/// involved and the command or call that fixes it. Library errors (``StoreError``, ``ModelError``) pass through.
///
/// The CLI prints ``description``; the server maps ``kind`` to an HTTP status (``Kind/httpStatus``).
public struct ServiceError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// What went wrong.
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// A user id that is not in the database (nor, on the command line, the path of a ratings file).
        case unknownUser
        /// A film id or title that matches no film the model knows.
        case unknownMovie
        /// A film title that matches several films.
        case ambiguousMovie
        /// The database has no saved model.
        case noModel
        /// The saved model does not match the current ratings.
        case staleModel
        /// The model is still being loaded (or trained for the first time).
        case modelLoading
        /// A retraining is already running.
        case trainingInProgress
        /// A new user's ratings (a file or a request) are malformed: not a number, off the scale, a film twice.
        case invalidRatings
        /// A request parameter is malformed (a count that is not a positive number, a missing field).
        case invalidRequest
        /// The shared ratings source (PostgreSQL) cannot be reached: writes are refused, retry later.
        case ratingsSourceUnavailable

        /// The HTTP status the server answers with: 404 for unknown users and films, 409 for a missing or stale
        /// model and a retraining already running, 503 while the first model loads or the shared ratings source
        /// is down, 400 for bad input.
        public var httpStatus: Int {
            switch self {
            case .unknownUser, .unknownMovie: return 404
            case .noModel, .staleModel, .trainingInProgress, .ambiguousMovie: return 409
            case .modelLoading, .ratingsSourceUnavailable: return 503
            case .invalidRatings, .invalidRequest: return 400
            }
        }
    }

    /// What went wrong.
    public let kind: Kind
    /// The file (or request part, e.g. `request body`) involved, if any.
    public let file: String?
    /// The 1-based line in `file`, if any.
    public let line: Int?
    /// The full message (without the `file:line:` prefix): what was not found or wrong and how to fix it.
    public let message: String

    /// Creates an error; `message` should say what was not found or wrong and how to fix it.
    public init(_ kind: Kind, file: String? = nil, line: Int? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, the location parts only when known.
    public var description: String {
        guard let file else { return message }
        return "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
    }

    /// Same as ``description``.
    public var errorDescription: String? { description }
}
