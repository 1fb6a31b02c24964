import Foundation
import GRDB

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
        /// The database file belongs to another program (or is empty where data is needed): left unchanged.
        case notMovieRecDatabase
        /// The database refused a value (a uniqueness or other constraint); names the table and column.
        case constraintViolation
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
        self.value = value.map { Self.shortened($0) }
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

    /// Longest echo of an input value in a message, in characters (escapes included).
    public static let maximumEchoLength = 80

    /// `text` with non-printable characters escaped (`\0`, `\t`, `\u{7F}`, a byte that is not UTF-8 as the
    /// U+FFFD it was decoded to) and cut to at most ``maximumEchoLength`` characters (ending in `…` when cut).
    public static func shortened(_ text: String) -> String { escaped(text, limit: maximumEchoLength) }

    /// `text` with non-printable characters escaped as in ``shortened(_:)``, cut to at most `limit` characters.
    public static func escaped(_ text: String, limit: Int = .max) -> String {
        var result = ""
        var length = 0
        for scalar in text.unicodeScalars {
            let piece: String
            switch scalar.value {
            case 0: piece = "\\0"
            case 0x09: piece = "\\t"
            case 0x0A: piece = "\\n"
            case 0x0D: piece = "\\r"
            case 0x01..<0x20, 0x7F..<0xA0, 0x2028, 0x2029: piece = "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            default: piece = String(scalar)
            }
            if length + piece.count > limit - 1 {
                return result + "…"
            }
            result += piece
            length += piece.count
        }
        return result
    }

    /// ``shortened(_:)`` in double quotes, for messages.
    public static func quoted(_ text: String) -> String { "\"" + shortened(text) + "\"" }

    /// Wraps a GRDB/SQLite error raised while working on the database at `path`. Only SQLite's own short message
    /// is kept (never the SQL statement); a constraint failure becomes ``Kind/constraintViolation``.
    static func wrapping(_ error: Error, database path: String, while action: String) -> StoreError {
        if let storeError = error as? StoreError {
            guard storeError.file == nil else { return storeError }
            return StoreError(storeError.kind, file: path, line: storeError.line, field: storeError.field,
                              value: storeError.value, reason: storeError.reason, expected: storeError.expected)
        }
        if let error = error as? DatabaseError {
            let message = shortened(error.message ?? "\(error.resultCode)")
            if error.resultCode == .SQLITE_CONSTRAINT {
                return StoreError(.constraintViolation, file: path,
                                  reason: "\(action) failed: the database refused a value (\(message))",
                                  expected: "ids that differ as text; please report this with the input file")
            }
            if error.resultCode == .SQLITE_NOTADB {
                return StoreError(.notMovieRecDatabase, file: path, reason: "the file is not a SQLite database",
                                  expected: "a database created by `movierec import`, or a path that does not exist yet")
            }
            return StoreError(.database, file: path, reason: "\(action) failed: SQLite error \(error.resultCode.rawValue): \(message)")
        }
        return StoreError(.database, file: path, reason: "\(action) failed: \(shortened("\(error)"))")
    }
}
