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
    ///   - encoding: how ids are decoded: UTF-8 (``TextEncoding/auto``, ``TextEncoding/utf8``; an id with a byte
    ///     sequence that is not UTF-8 is a bad row) or latin-1. An id with a NUL byte or another control character
    ///     is always a bad row, so every id is stored exactly as written.
    ///   - progress: called now and then with the bytes consumed and data rows read so far.
    /// - Throws: ``StoreError`` for a missing/unreadable/empty file, an unknown format, or (with `.abort`) a bad row.
    public init(
        contentsOf path: String, format: RatingsFormat = .auto, bounds: ClosedRange<Double>? = nil,
        policy: ErrorPolicy = .abort, encoding: TextEncoding = .auto,
        progress: ((_ bytes: Int, _ rows: Int) -> Void)? = nil
    ) throws {
        let mapped = try MappedFile(path: path)
        try self.init(mapped: mapped, format: format, bounds: bounds, policy: policy, encoding: encoding,
                      progress: progress)
    }

    /// Parses a mapped file. The data lines are split at line boundaries into `chunks` parts (by default one per
    /// core, up to 8, for files of at least ``parallelThreshold`` bytes) parsed on separate threads and merged in
    /// file order: ids, rows, rejects, line numbers and the error thrown are the same for any number of chunks.
    init(
        mapped: MappedFile, format requested: RatingsFormat, bounds requestedBounds: ClosedRange<Double>?,
        policy: ErrorPolicy, encoding: TextEncoding = .auto, chunks requestedChunks: Int? = nil,
        progress: ((_ bytes: Int, _ rows: Int) -> Void)?
    ) throws {
        let plan = try ParsePlan(mapped: mapped, format: requested, bounds: requestedBounds, policy: policy,
                                 encoding: encoding)
        let (path, format, effectiveBounds, rules) = (mapped.path, plan.format, plan.bounds, plan.rules)
        let (bodyStart, linesBefore) = (plan.bodyStart, plan.linesBefore)
        let buffer = mapped.bytes
        let chunkCount = requestedChunks
            ?? (buffer.count >= Self.parallelThreshold ? min(ProcessInfo.processInfo.activeProcessorCount, 8) : 1)
        let cuts = Self.chunkBounds(buffer, from: bodyStart, chunks: max(1, chunkCount))
        let estimate = Self.estimatedRows(buffer)
        let parts = ParallelResults<ParsedChunk>(count: cuts.count - 1)
        let group = DispatchGroup()
        for part in 1..<(cuts.count - 1) {
            let share = Int(Double(estimate) * Double(cuts[part + 1] - cuts[part]) / Double(max(buffer.count, 1))) + 16
            DispatchQueue.global().async(group: group) {
                parts.store(ParsedChunk(mapped.bytes, from: cuts[part], to: cuts[part + 1], rules: rules, capacity: share,
                                        progress: nil), at: part)
            }
        }
        // The first chunk runs here (reporting progress, scaled to the whole file) and reserves room for every
        // row, so that the other chunks are appended to it without reallocating.
        let scale = Double(buffer.count - bodyStart) / Double(max(cuts[1] - bodyStart, 1))
        parts.store(ParsedChunk(buffer, from: cuts[0], to: cuts[1], rules: rules, capacity: estimate) { bytes, rows in
            progress?(bodyStart + Int(Double(bytes - bodyStart) * scale), Int(Double(rows) * scale))
        }, at: 0)
        group.wait()

        var merged = parts.take(0)
        merged.rebaseRejects(lineOffset: linesBefore)
        var lineOffset = linesBefore + merged.lineCount
        for part in 1..<parts.count {
            if policy == .abort, !merged.rejects.isEmpty { break }
            var chunk = parts.take(part)
            chunk.rebaseRejects(lineOffset: lineOffset)
            lineOffset += chunk.lineCount
            merged.append(&chunk)
        }
        if policy == .abort, let bad = merged.rejects.first { throw bad.error }
        progress?(buffer.count, merged.rowsRead)
        if merged.rowsRead == 0 {
            throw StoreError(.emptyFile, file: path, reason: "the file has a header but no ratings",
                             expected: "at least one data line after the header")
        }
        self.file = path
        self.format = format
        self.bounds = effectiveBounds
        self.byteCount = buffer.count
        self.userExternalIDs = merged.users.externalIDs
        self.movieExternalIDs = merged.movies.externalIDs
        self.userIndex = merged.userIndex
        self.movieIndex = merged.movieIndex
        self.rating = merged.rating
        self.timestamp = merged.timestamp
        self.rowsRead = merged.rowsRead
        self.rejects = merged.rejects
    }

    /// Files smaller than this are parsed on one thread.
    static let parallelThreshold = 8 << 20

    /// `chunks + 1` offsets splitting `buffer[start...]` into parts of about equal size, each ending after a
    /// line feed (the last at the end of the buffer); parts may be empty.
    static func chunkBounds(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int, chunks: Int) -> [Int] {
        var bounds = [start]
        for part in 1..<chunks {
            let target = max(start + (buffer.count - start) / chunks * part, bounds[part - 1])
            guard target < buffer.count, let base = buffer.baseAddress,
                  let found = memchr(base + target, 0x0A, buffer.count - target) else {
                bounds.append(buffer.count)
                continue
            }
            bounds.append(UnsafePointer(base).distance(to: found.assumingMemoryBound(to: UInt8.self)) + 1)
        }
        bounds.append(buffer.count)
        return bounds
    }

    /// Prints 5 as "5" and 0.5 as "0.5".
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    static func isBlank(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        for position in start..<end where bytes[position] != 0x20 && bytes[position] != 0x09 { return false }
        return true
    }

    /// Row count estimated from the mean line length of the first 64 KiB (for reserving capacity).
    static func estimatedRows(_ buffer: UnsafeBufferPointer<UInt8>) -> Int {
        let sample = min(buffer.count, 1 << 16)
        guard sample > 0 else { return 0 }
        let newlines = buffer[0..<sample].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        return Int(Double(buffer.count) / Double(sample) * Double(max(newlines, 1)) * 1.02) + 16
    }
}

/// What is decided from the first line of a ratings file before its data lines are read: the format, the
/// rating scale, the row rules and where the data begins.
struct ParsePlan {
    /// The format actually used (never ``RatingsFormat/auto``).
    let format: RatingsFormat
    /// The rating scale rows are validated against; `nil` = any finite number.
    let bounds: ClosedRange<Double>?
    /// Layout, policy and scale shared by all chunks.
    let rules: RowRules
    /// Offset of the first data line.
    let bodyStart: Int
    /// Lines before ``bodyStart`` (the header and blank lines before it).
    let linesBefore: Int

    /// Detects the format (for ``RatingsFormat/auto``), resolves the layout and checks the bounds.
    /// - Throws: ``StoreError`` for an empty file, an unknown format or invalid options.
    init(mapped: MappedFile, format requested: RatingsFormat, bounds requestedBounds: ClosedRange<Double>?,
         policy: ErrorPolicy, encoding: TextEncoding = .auto) throws {
        let path = mapped.path
        var lines = LineCursor(mapped.bytes)
        var firstLine: (start: Int, end: Int)?
        while let line = lines.next() {
            if !ParsedRatings.isBlank(lines.bytes, line.start, line.end) { firstLine = line; break }
        }
        guard let first = firstLine else {
            throw StoreError(.emptyFile, file: path, reason: "the file contains no ratings",
                             expected: "at least one line of user, movie and rating")
        }
        if first.end - first.start > ByteDecoding.maximumLineBytes {
            throw StoreError(.invalidRow, file: path, line: lines.lineNumber, field: "columns",
                             value: ByteDecoding.excerpt(lines.bytes, first.start, first.end, limit: 200),
                             reason: "the line is \(first.end - first.start) bytes long",
                             expected: "at most \(ByteDecoding.maximumLineBytes) bytes (1 MiB) per line")
        }
        let firstText = ByteDecoding.string(lines.bytes, first.start, first.end)
        if case .auto = requested {
            guard let detected = RatingsFormat.detect(firstLine: firstText) else {
                throw StoreError(
                    .unknownFormat, file: path, line: lines.lineNumber, value: firstText,
                    reason: "the first line \(StoreError.quoted(firstText)) matches no known ratings format",
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
        bounds = effectiveBounds
        if let effectiveBounds, !(effectiveBounds.lowerBound.isFinite && effectiveBounds.upperBound.isFinite) {
            throw StoreError(.invalidOption, value: "\(effectiveBounds)", reason: "rating bounds must be finite numbers")
        }

        rules = RowRules(
            file: path, layout: layout, policy: policy, lowest: effectiveBounds?.lowerBound ?? -.infinity,
            highest: effectiveBounds?.upperBound ?? .infinity,
            scaleText: effectiveBounds.map { " between \(ParsedRatings.format($0.lowerBound)) and \(ParsedRatings.format($0.upperBound))" } ?? "",
            latin1: encoding.decodesLatin1(byDefault: false))
        bodyStart = layout.hasHeader ? lines.position : first.start
        linesBefore = layout.hasHeader ? lines.lineNumber : lines.lineNumber - 1
    }
}

/// Column positions and header handling resolved for one file.
struct Layout {
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
                                         reason: "no column named \(StoreError.quoted(name)) in the header",
                                         expected: "one of \(StoreError.shortened(cells.map { "\"\($0)\"" }.joined(separator: ", ")))")
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
