import Foundation

/// The one error type of the `movierec` executable: a failure of a command's own logic (missing demo data, an
/// unwritable output file), with what was wrong and how to fix it. Library errors (``ServiceError``,
/// ``StoreError``, ``ModelError``) pass through unchanged.
struct CommandError: Error, CustomStringConvertible, LocalizedError {
    /// What went wrong.
    enum Kind: String {
        /// The demo's data directory was not found, or its database path is taken.
        case demoSetup
        /// An output file could not be written.
        case unwritableOutput
    }

    /// What went wrong.
    let kind: Kind
    /// The file involved, if any.
    let file: String?
    /// The 1-based line in `file`, if any.
    let line: Int?
    /// The full message (without the `file:line:` prefix).
    let message: String

    /// Creates an error; `message` should say what was not found or wrong and how to fix it.
    init(_ kind: Kind, file: String? = nil, line: Int? = nil, _ message: String) {
        self.kind = kind
        self.file = file
        self.line = line
        self.message = message
    }

    /// `file:line: message`, the location parts only when known.
    var description: String {
        guard let file else { return message }
        return "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
    }

    /// Same as ``description``.
    var errorDescription: String? { description }
}
