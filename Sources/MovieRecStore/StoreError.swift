import Foundation

/// The one error type of the store module: every failure to read an input file, validate a row,
/// or open and write the database, with the context a user needs to fix it.
///
/// The description reads like a compiler diagnostic, e.g.
/// `ratings.csv:12: field rating: "abc" is not a number: expected a number between 0.5 and 5`.
public struct StoreError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// What went wrong, independent of where.
    public enum Kind: String, Sendable, Equatable {
        /// The input file does not exist.
        case fileNotFound
        /// The input file exists but cannot be read (permissions, a directory, ...).
        case unreadableFile
        /// The input file holds no data rows.
        case emptyFile
        /// The first line matches no known format and no explicit format was given.
        case unknownFormat
        /// A data row is malformed (column count, id, rating, timestamp).
        case invalidRow
        /// An option value is inconsistent or unusable (column names, bounds, delimiter).
        case invalidOption
        /// The database file does not exist and creation was not requested.
        case databaseNotFound
        /// The database cannot be created or written at the given path.
        case unwritableDatabase
        /// SQLite reported an error while reading or writing the database.
        case database
    }

    /// The kind of failure.
    public let kind: Kind
    /// The file involved (input file or database path), if any.
    public let file: String?
    /// The 1-based line number in `file`, if the error concerns one line.
    public let line: Int?
    /// The field (column) involved, e.g. `rating`.
    public let field: String?
    /// The offending value as found in the file (shortened when very long).
    public let value: String?
    /// What was expected instead, in words.
    public let expected: String?
    /// A short explanation that completes the context above.
    public let reason: String

    /// Creates an error with as much context as is known.
    public init(
        _ kind: Kind, file: String? = nil, line: Int? = nil, field: String? = nil, value: String? = nil,
        reason: String, expected: String? = nil
    ) {
        self.kind = kind
        self.file = file
        self.line = line
        self.field = field
        self.value = value.map { $0.count > 80 ? String($0.prefix(77)) + "..." : $0 }
        self.expected = expected
        self.reason = reason
    }

    /// `file:line: field NAME: reason: expected ...`, each part present only when known.
    public var description: String {
        var text = ""
        if let file {
            text += file
            if let line { text += ":\(line)" }
            text += ": "
        }
        if let field { text += "field \(field): " }
        text += reason
        if let expected { text += ": expected \(expected)" }
        return text
    }

    /// Same as ``description``, so `localizedDescription` is useful too.
    public var errorDescription: String? { description }

    /// Wraps a GRDB/SQLite error raised while working on the database at `path`.
    static func wrapping(_ error: Error, database path: String, while action: String) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        return StoreError(.database, file: path, reason: "\(action) failed: \(error)")
    }
}
