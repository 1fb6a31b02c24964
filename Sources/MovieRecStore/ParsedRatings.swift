import Foundation

/// A ratings file parsed into memory, without any database: columns of dense indices, ratings and timestamps
/// in file order (duplicates of a (user, movie) pair are kept; ``RatingsImporter`` resolves them).
///
/// ```swift
/// let train = try ParsedRatings(contentsOf: "ratings.csv")          // format detected from line 1
/// print(train.count, train.userExternalIDs.count)
/// ```
public struct ParsedRatings: Sendable {
    /// Timestamp value stored for rows without a timestamp (generic CSV without a timestamp column).
    public static let missingTimestamp = Int64.min

    /// The file that was parsed.
    public let file: String
    /// The format actually used (never ``RatingsFormat/auto``).
    public let format: RatingsFormat
    /// The rating scale rows were validated against; `nil` = any finite number.
    public let bounds: ClosedRange<Double>?
    /// Size of the file in bytes.
    public let byteCount: Int
    /// Dense user index → external user id as written in the file (order of first appearance).
    public let userExternalIDs: [String]
    /// Dense movie index → external movie id as written in the file (order of first appearance).
    public let movieExternalIDs: [String]
    /// Per accepted row: dense user index.
    public private(set) var userIndex: [Int32]
    /// Per accepted row: dense movie index.
    public private(set) var movieIndex: [Int32]
    /// Per accepted row: the rating.
    public private(set) var rating: [Double]
    /// Per accepted row: Unix timestamp in seconds, or ``missingTimestamp``.
    public private(set) var timestamp: [Int64]
    /// Data rows read (accepted + rejected; header and blank lines excluded).
    public let rowsRead: Int
    /// Rows skipped under ``ErrorPolicy/skip``, in file order.
    public let rejects: [RejectedRow]

    /// Number of accepted rows.
    public var count: Int { rating.count }

    /// Frees the per-row columns once a consumer has copied what it needs (the importer, to cap peak memory);
    /// file-level fields (counts, ids, rejects) stay.
    mutating func releaseRows() {
        userIndex = []
        movieIndex = []
        rating = []
        timestamp = []
    }

    /// Reads and validates a ratings file.
    ///
    /// - Parameters:
    ///   - path: the file to read (memory-mapped).
    ///   - format: its layout; ``RatingsFormat/auto`` detects a MovieLens format from the first non-blank line.
    ///   - bounds: the allowed rating range; `nil` uses the format's default scale
    ///     (``RatingsFormat/defaultBounds``).
    ///   - policy: stop at the first bad row (throwing a ``StoreError`` naming file, line, field and value), or
    ///     skip and record it in ``rejects``.
    ///   - progress: called now and then with the bytes consumed and data rows read so far.
    /// - Throws: ``StoreError`` for a missing/unreadable/empty file, an unknown format, or (with `.abort`) a bad row.
    public init(
        contentsOf path: String, format: RatingsFormat = .auto, bounds: ClosedRange<Double>? = nil,
        policy: ErrorPolicy = .abort, progress: ((_ bytes: Int, _ rows: Int) -> Void)? = nil
    ) throws {
        let mapped = try MappedFile(path: path)
        try self.init(mapped: mapped, format: format, bounds: bounds, policy: policy, progress: progress)
    }

    init(
        mapped: MappedFile, format requested: RatingsFormat, bounds requestedBounds: ClosedRange<Double>?,
        policy: ErrorPolicy, progress: ((_ bytes: Int, _ rows: Int) -> Void)?
    ) throws {
        let path = mapped.path
        var lines = LineCursor(mapped.bytes)
        var firstLine: (start: Int, end: Int)?
        while let line = lines.next() {
            if !Self.isBlank(lines.bytes, line.start, line.end) { firstLine = line; break }
        }
        guard let first = firstLine else {
            throw StoreError(.emptyFile, file: path, reason: "the file contains no ratings",
                             expected: "at least one line of user, movie and rating")
        }
        let firstText = ByteDecoding.string(lines.bytes, first.start, first.end)
        let format: RatingsFormat
        if case .auto = requested {
            guard let detected = RatingsFormat.detect(firstLine: firstText) else {
                throw StoreError(
                    .unknownFormat, file: path, line: lines.lineNumber, value: firstText,
                    reason: "the first line \"\(firstText.prefix(60))\" matches no known ratings format",
                    expected: "a MovieLens ratings.csv header (userId,movieId,rating,timestamp), ml-100k u.data "
                        + "(tab-separated), ml-1m ratings.dat (::-separated), or a generic csv with "
                        + "--user-column/--movie-column/--rating-column")
            }
            format = detected
        } else {
            format = requested
        }
        let layout = try Layout(format: format, firstLine: first, bytes: lines.bytes, file: path)
        let effectiveBounds = requestedBounds ?? format.defaultBounds
        if let effectiveBounds, !(effectiveBounds.lowerBound.isFinite && effectiveBounds.upperBound.isFinite) {
            throw StoreError(.invalidOption, value: "\(effectiveBounds)", reason: "rating bounds must be finite numbers")
        }

        var users = ExternalIDTable()
        var movies = ExternalIDTable()
        let estimate = Self.estimatedRows(mapped.bytes)
        var userIndex: [Int32] = []
        var movieIndex: [Int32] = []
        var rating: [Double] = []
        var timestamp: [Int64] = []
        userIndex.reserveCapacity(estimate)
        movieIndex.reserveCapacity(estimate)
        rating.reserveCapacity(estimate)
        timestamp.reserveCapacity(estimate)
        var rejects: [RejectedRow] = []
        var rowsRead = 0
        var splitter = FieldSplitter(delimiter: layout.delimiter)
        let bytes = lines.bytes
        let lowest = effectiveBounds?.lowerBound ?? -.infinity
        let highest = effectiveBounds?.upperBound ?? .infinity
        let scaleText = effectiveBounds.map { " between \(Self.format($0.lowerBound)) and \(Self.format($0.upperBound))" } ?? ""

        var pending: (start: Int, end: Int)? = layout.hasHeader ? nil : first
        var lineNumber = lines.lineNumber
        while true {
            let line: (start: Int, end: Int)
            if let waiting = pending {
                line = waiting
                pending = nil
            } else {
                guard let next = lines.next() else { break }
                line = next
                lineNumber = lines.lineNumber
                if next.start == next.end || Self.isBlank(bytes, next.start, next.end) { continue }
            }
            rowsRead += 1
            if rowsRead & 0x3FFFF == 0 { progress?(line.end, rowsRead) }

            func reject(_ field: String, _ reason: String) throws {
                let row = RejectedRow(file: path, line: lineNumber, field: field, reason: reason,
                                      raw: ByteDecoding.string(bytes, line.start, line.end))
                if policy == .abort { throw row.error }
                rejects.append(row)
            }

            guard splitter.split(bytes, from: line.start, to: line.end) else {
                try reject("columns", "a quoted field is not closed properly: expected \"...\" followed by a delimiter")
                continue
            }
            guard splitter.count == layout.columnCount else {
                try reject("columns", "found \(splitter.count) column\(splitter.count == 1 ? "" : "s"): expected "
                           + "\(layout.columnCount) separated by '\(layout.delimiter)'")
                continue
            }
            let fields = splitter.fields
            let userField = fields[layout.user]
            let movieField = fields[layout.movie]
            let ratingField = fields[layout.rating]
            if userField.isEmpty { try reject("user", "the user id is empty: expected a non-empty id"); continue }
            if movieField.isEmpty { try reject("movie", "the movie id is empty: expected a non-empty id"); continue }
            let value: Double
            switch ByteDecoding.decimal(bytes, ratingField.start, ratingField.end) {
            case .value(let parsed):
                guard parsed >= lowest && parsed <= highest else {
                    try reject("rating", "\(ByteDecoding.string(bytes, ratingField)) is outside the rating scale: "
                               + "expected a number\(scaleText) (set --min-rating/--max-rating for another scale)")
                    continue
                }
                value = parsed
            case .nonFinite:
                try reject("rating", "\"\(ByteDecoding.string(bytes, ratingField))\" is not a finite number: "
                           + "expected a number\(scaleText)")
                continue
            case .invalid:
                let text = ByteDecoding.string(bytes, ratingField)
                try reject("rating", text.isEmpty ? "the rating is empty: expected a number\(scaleText)"
                           : "\"\(text)\" is not a number: expected a number\(scaleText)")
                continue
            }
            var seconds = Self.missingTimestamp
            if let column = layout.timestamp {
                let field = fields[column]
                if field.isEmpty && !layout.requiresTimestamp {
                    seconds = Self.missingTimestamp
                } else if let parsed = ByteDecoding.integer(bytes, field.start, field.end) {
                    seconds = parsed
                } else {
                    let text = ByteDecoding.string(bytes, field)
                    try reject("timestamp", (text.isEmpty ? "the timestamp is empty" : "\"\(text)\" is not an integer")
                               + ": expected a Unix timestamp in whole seconds")
                    continue
                }
            }
            userIndex.append(users.index(bytes, userField))
            movieIndex.append(movies.index(bytes, movieField))
            rating.append(value)
            timestamp.append(seconds)
        }
        progress?(mapped.bytes.count, rowsRead)
        if rowsRead == 0 {
            throw StoreError(.emptyFile, file: path, reason: "the file has a header but no ratings",
                             expected: "at least one data line after the header")
        }
        self.file = path
        self.format = format
        self.bounds = effectiveBounds
        self.byteCount = mapped.bytes.count
        self.userExternalIDs = users.externalIDs
        self.movieExternalIDs = movies.externalIDs
        self.userIndex = userIndex
        self.movieIndex = movieIndex
        self.rating = rating
        self.timestamp = timestamp
        self.rowsRead = rowsRead
        self.rejects = rejects
    }

    /// Prints 5 as "5" and 0.5 as "0.5".
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    private static func isBlank(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        for position in start..<end where bytes[position] != 0x20 && bytes[position] != 0x09 { return false }
        return true
    }

    /// Row count estimated from the mean line length of the first 64 KiB (for reserving capacity).
    private static func estimatedRows(_ buffer: UnsafeBufferPointer<UInt8>) -> Int {
        let sample = min(buffer.count, 1 << 16)
        guard sample > 0 else { return 0 }
        let newlines = buffer[0..<sample].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        return Int(Double(buffer.count) / Double(sample) * Double(max(newlines, 1)) * 1.02) + 16
    }
}

/// Column positions and header handling resolved for one file.
private struct Layout {
    var delimiter: FieldDelimiter
    var columnCount: Int
    var user: Int
    var movie: Int
    var rating: Int
    var timestamp: Int?
    var requiresTimestamp: Bool
    var hasHeader: Bool

    init(format: RatingsFormat, firstLine: (start: Int, end: Int), bytes: UnsafePointer<UInt8>, file: String) throws {
        let firstText = ByteDecoding.string(bytes, firstLine.start, firstLine.end)
        switch format {
        case .auto, .movieLensCSV, .ml100k, .ml1m:
            (user, movie, rating, timestamp, columnCount, requiresTimestamp) = (0, 1, 2, 3, 4, true)
            switch format {
            case .ml100k: delimiter = .byte(UInt8(ascii: "\t"))
            case .ml1m: delimiter = .doubleColon
            default: delimiter = .byte(UInt8(ascii: ","))
            }
            hasHeader = RatingsFormat.detect(firstLine: firstText) == .movieLensCSV
        case .csv(let spec):
            delimiter = spec.delimiter
            requiresTimestamp = false
            var splitter = FieldSplitter(delimiter: spec.delimiter)
            guard splitter.split(bytes, from: firstLine.start, to: firstLine.end) else {
                throw StoreError(.invalidRow, file: file, line: nil, field: "columns", value: firstText,
                                 reason: "the first line has an unclosed quote")
            }
            columnCount = splitter.count
            let cells = splitter.fields.map { ByteDecoding.string(bytes, $0) }
            let byName = spec.references.contains { if case .name = $0 { return true } else { return false } }
            let header: Bool
            if let explicit = spec.hasHeader {
                header = explicit
            } else if byName {
                header = true
            } else if case .number(let column) = spec.rating, column <= cells.count {
                header = Double(cells[column - 1].trimmingASCIISpaces()) == nil
            } else {
                header = false
            }
            hasHeader = header
            func resolve(_ reference: ColumnReference, _ role: String) throws -> Int {
                switch reference {
                case .number(let number):
                    guard number >= 1 && number <= cells.count else {
                        throw StoreError(.invalidOption, file: file, field: role, value: String(number),
                                         reason: "the \(role) column #\(number) does not exist",
                                         expected: "a column number from 1 to \(cells.count)")
                    }
                    return number - 1
                case .name(let name):
                    guard header else {
                        throw StoreError(.invalidOption, file: file, field: role, value: name,
                                         reason: "the \(role) column is given by name but the file has no header",
                                         expected: "a 1-based column number")
                    }
                    let wanted = name.trimmingASCIISpaces().lowercased()
                    guard let index = cells.firstIndex(where: { $0.trimmingASCIISpaces().lowercased() == wanted }) else {
                        throw StoreError(.invalidOption, file: file, field: role, value: name,
                                         reason: "no column named \"\(name)\" in the header",
                                         expected: "one of \(cells.map { "\"\($0)\"" }.joined(separator: ", "))")
                    }
                    return index
                }
            }
            user = try resolve(spec.user, "user")
            movie = try resolve(spec.movie, "movie")
            rating = try resolve(spec.rating, "rating")
            timestamp = try spec.timestamp.map { try resolve($0, "timestamp") }
        }
    }
}
