/// The layout of a ratings file.
///
/// ```swift
/// let parsed = try ParsedRatings(contentsOf: "u.data", format: .auto)   // detected: .ml100k
/// ```
public enum RatingsFormat: Sendable, Equatable, CustomStringConvertible {
    /// Detect the format from the first non-blank line (see ``RatingsFormat/detect(firstLine:)``).
    case auto
    /// MovieLens `ratings.csv`: header `userId,movieId,rating,timestamp`, comma-separated, scale 0.5–5.
    case movieLensCSV
    /// MovieLens 100K `u.data`: `user<TAB>item<TAB>rating<TAB>timestamp`, no header, scale 1–5.
    case ml100k
    /// MovieLens 1M `ratings.dat`: `UserID::MovieID::Rating::Timestamp`, no header, scale 1–5.
    case ml1m
    /// Any delimited file, with the columns named by ``ColumnSpec``; no rating bounds unless given.
    case csv(ColumnSpec)

    /// The name used on the command line (`--input-format`).
    public var description: String {
        switch self {
        case .auto: return "auto"
        case .movieLensCSV: return "movielens-csv"
        case .ml100k: return "ml-100k"
        case .ml1m: return "ml-1m"
        case .csv: return "csv"
        }
    }

    /// The rating scale a format implies when the user gives no `--min-rating/--max-rating`.
    public var defaultBounds: ClosedRange<Double>? {
        switch self {
        case .movieLensCSV: return 0.5...5
        case .ml100k, .ml1m: return 1...5
        case .auto, .csv: return nil
        }
    }

    /// Recognises a MovieLens format from the first non-blank line of a file (BOM and CR removed).
    ///
    /// - `userId,movieId,rating,timestamp` (any letter case) → ``movieLensCSV``;
    /// - four `::`-separated fields → ``ml1m``;
    /// - four tab-separated fields → ``ml100k``;
    /// - anything else → `nil` (the caller must give ``csv(_:)`` columns).
    public static func detect(firstLine: String) -> RatingsFormat? {
        let line = firstLine.trimmingASCIISpaces()
        if line.lowercased().replacingOccurrences(of: "\"", with: "") == "userid,movieid,rating,timestamp" {
            return .movieLensCSV
        }
        if line.components(separatedBy: "::").count == 4 { return .ml1m }
        if line.split(separator: "\t", omittingEmptySubsequences: false).count == 4 { return .ml100k }
        return nil
    }
}

/// One column of a generic delimited file: by header name or by 1-based position.
public enum ColumnReference: Sendable, Equatable, CustomStringConvertible {
    /// The column whose header cell equals this name (compared without letter case).
    case name(String)
    /// The column at this 1-based position.
    case number(Int)

    /// Parses a command-line value: all digits → ``number(_:)``, else ``name(_:)``.
    public init(_ text: String) {
        if let number = Int(text), number > 0 { self = .number(number) } else { self = .name(text) }
    }

    /// The name, or `#n` for a position.
    public var description: String {
        switch self {
        case .name(let name): return name
        case .number(let number): return "#\(number)"
        }
    }
}

/// The field separator of a generic delimited file.
public enum FieldDelimiter: Sendable, Equatable, CustomStringConvertible {
    /// A one-byte ASCII separator such as `,` `\t` `;` `|`.
    case byte(UInt8)
    /// The two-byte `::` separator of MovieLens 1M files.
    case doubleColon

    /// Parses `,` `;` `|` `\t` (or `tab`, or a literal tab) and `::`; `nil` for anything else.
    public init?(_ text: String) {
        switch text {
        case "::": self = .doubleColon
        case "\\t", "tab", "\t": self = .byte(UInt8(ascii: "\t"))
        default:
            guard text.utf8.count == 1, let byte = text.utf8.first, byte < 0x80,
                  byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r")
            else { return nil }
            self = .byte(byte)
        }
    }

    /// The separator as written in a file (`\t` for tab).
    public var description: String {
        switch self {
        case .doubleColon: return "::"
        case .byte(let byte): return byte == UInt8(ascii: "\t") ? "\\t" : String(UnicodeScalar(byte))
        }
    }
}

/// Which columns of a generic delimited file hold the user, movie, rating and (optionally) timestamp.
public struct ColumnSpec: Sendable, Equatable {
    /// The user id column.
    public var user: ColumnReference
    /// The movie id column.
    public var movie: ColumnReference
    /// The rating column.
    public var rating: ColumnReference
    /// The timestamp column (integer seconds); `nil` when the file has none.
    public var timestamp: ColumnReference?
    /// The field separator.
    public var delimiter: FieldDelimiter
    /// Whether the first line is a header: `true`, `false`, or `nil` to decide automatically
    /// (a header is assumed when any column is given by name, or when the first line's rating
    /// field is not a number).
    public var hasHeader: Bool?

    /// Creates a column specification.
    public init(
        user: ColumnReference, movie: ColumnReference, rating: ColumnReference, timestamp: ColumnReference? = nil,
        delimiter: FieldDelimiter = .byte(UInt8(ascii: ",")), hasHeader: Bool? = nil
    ) {
        self.user = user
        self.movie = movie
        self.rating = rating
        self.timestamp = timestamp
        self.delimiter = delimiter
        self.hasHeader = hasHeader
    }

    /// All references, in user/movie/rating/timestamp order.
    var references: [ColumnReference] { [user, movie, rating] + (timestamp.map { [$0] } ?? []) }
}

/// The character encoding of an input file's ids and titles.
public enum TextEncoding: String, Sendable, Equatable, CaseIterable {
    /// UTF-8 for ratings files and `movies.csv`, latin-1 for ml-100k `u.item` and ml-1m `movies.dat` (as they are
    /// distributed).
    case auto
    /// UTF-8: a byte sequence that is not UTF-8 makes the row bad.
    case utf8
    /// ISO 8859-1: every byte is the character of the same code point.
    case latin1

    /// Whether a file of the given kind is decoded as latin-1 (`latin1ByDefault`: u.item, movies.dat).
    func decodesLatin1(byDefault latin1ByDefault: Bool) -> Bool {
        switch self {
        case .auto: return latin1ByDefault
        case .utf8: return false
        case .latin1: return true
        }
    }
}

/// What to do with a malformed row.
public enum ErrorPolicy: String, Sendable, Equatable, CaseIterable {
    /// Stop at the first bad row and change nothing (the default).
    case abort
    /// Skip bad rows, count them and report them as ``RejectedRow``s.
    case skip
}

/// How an import treats the ratings already in the store.
public enum ImportMode: String, Sendable, Equatable, CaseIterable {
    /// Add and update: a row replaces the stored rating of its (user, movie) pair when its timestamp is newer or
    /// equal; stored pairs the file lacks stay (the default).
    case merge
    /// The file is the whole truth (a snapshot): afterwards the store's ratings are exactly the file's pairs, each
    /// with the file's newest row whatever the stored timestamp; stored pairs the file lacks (or whose row was
    /// skipped as bad) are removed. Users and movies stay, with their titles.
    case replace
}

/// A row that was skipped under ``ErrorPolicy/skip``.
public struct RejectedRow: Sendable, Equatable {
    /// The file the row came from.
    public let file: String
    /// Its 1-based line number.
    public let line: Int
    /// The field that failed (e.g. `rating`, `columns`).
    public let field: String
    /// Why it failed, including what was expected.
    public let reason: String
    /// The raw line (decoded leniently, at most 1,024 bytes of it; escaped and cut in messages).
    public let raw: String

    /// Creates a rejected row.
    public init(file: String, line: Int, field: String, reason: String, raw: String) {
        self.file = file
        self.line = line
        self.field = field
        self.reason = reason
        self.raw = raw
    }

    /// The same problem as an error, for ``ErrorPolicy/abort``.
    var error: StoreError { StoreError(.invalidRow, file: file, line: line, field: field, value: raw, reason: reason) }
}

extension String {
    /// The string without leading/trailing ASCII spaces and tabs.
    func trimmingASCIISpaces() -> String {
        var view = Substring(self)
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
