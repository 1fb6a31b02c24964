import Foundation

/// How rows are validated: the layout, the error policy and the rating scale, shared by all chunks of a file.
struct RowRules: Sendable {
    /// The file, for rejected rows.
    let file: String
    /// Column positions and delimiter.
    let layout: Layout
    /// Stop at the first bad row, or record them all.
    let policy: ErrorPolicy
    /// Lowest allowed rating.
    let lowest: Double
    /// Highest allowed rating.
    let highest: Double
    /// " between 0.5 and 5" (or empty), for messages.
    let scaleText: String
    /// Ids are decoded as latin-1 (else they must be UTF-8).
    var latin1 = false

    /// The one-byte delimiter when the layout is `user,movie,rating,timestamp` with it (the MovieLens CSV and
    /// ml-100k layouts), which ``ParsedChunk`` reads through a fast path; `nil` otherwise.
    var fastDelimiter: UInt8? {
        guard case .byte(let byte) = layout.delimiter, layout.columnCount == 4, layout.user == 0,
              layout.movie == 1, layout.rating == 2, layout.timestamp == 3, byte != UInt8(ascii: " ") else { return nil }
        return byte
    }
}

/// The rows of one line-aligned byte range of a ratings file, parsed with ids local to the range; line numbers
/// in ``rejects`` count from 1 at the start of the range until ``rebaseRejects(lineOffset:)``.
struct ParsedChunk {
    var users = ExternalIDTable()
    var movies = ExternalIDTable()
    var userIndex: [Int32] = []
    var movieIndex: [Int32] = []
    var rating: [Double] = []
    var timestamp: [Int64] = []
    var rejects: [RejectedRow] = []
    /// Data rows read (accepted + rejected).
    var rowsRead = 0
    /// Lines in the range, blank ones included.
    var lineCount = 0

    /// Parses `buffer[start..<end]`, which starts at a line start and ends after a line feed or at the end of
    /// the file. With ``ErrorPolicy/abort`` it stops at the first bad row, which is then the only reject.
    /// `users` and `movies` are the id tables to start from (ids already known keep their indices).
    init(
        _ buffer: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, rules: RowRules, capacity: Int,
        users knownUsers: ExternalIDTable = ExternalIDTable(), movies knownMovies: ExternalIDTable = ExternalIDTable(),
        progress: ((_ bytes: Int, _ rows: Int) -> Void)?
    ) {
        users = knownUsers
        movies = knownMovies
        userIndex.reserveCapacity(capacity)
        movieIndex.reserveCapacity(capacity)
        rating.reserveCapacity(capacity)
        timestamp.reserveCapacity(capacity)
        var lines = LineCursor(buffer, from: start, to: end)
        let bytes = lines.bytes
        let layout = rules.layout
        let fastDelimiter = rules.fastDelimiter
        var splitter = FieldSplitter(delimiter: layout.delimiter)
        defer { lineCount = lines.lineNumber }
        while let line = lines.next() {
            if line.start == line.end { continue }
            func reject(_ field: String, _ reason: String) -> Bool {
                rejects.append(RejectedRow(file: rules.file, line: lines.lineNumber, field: field, reason: reason,
                                           raw: ByteDecoding.excerpt(bytes, line.start, line.end)))
                return rules.policy == .abort
            }
            if line.end - line.start > ByteDecoding.maximumLineBytes {
                rowsRead += 1
                if reject("columns", "the line is \(line.end - line.start) bytes long: expected at most "
                          + "\(ByteDecoding.maximumLineBytes) bytes (1 MiB) per line") { return }
                continue
            }
            if ParsedRatings.isBlank(bytes, line.start, line.end) { continue }
            rowsRead += 1
            if rowsRead & 0x3FFFF == 0 { progress?(line.end, rowsRead) }
            if let delimiter = fastDelimiter, appendSimpleRow(bytes, line.start, line.end, delimiter, rules) { continue }

            guard splitter.split(bytes, from: line.start, to: line.end) else {
                if reject("columns", "a quoted field is not closed properly: expected \"...\" followed by a delimiter") { return }
                continue
            }
            guard splitter.count == layout.columnCount else {
                if reject("columns", "found \(splitter.count) column\(splitter.count == 1 ? "" : "s"): expected "
                          + "\(layout.columnCount) separated by '\(layout.delimiter)'") { return }
                continue
            }
            let fields = splitter.fields
            let userField = fields[layout.user]
            let movieField = fields[layout.movie]
            let ratingField = fields[layout.rating]
            if userField.isEmpty {
                if reject("user", "the user id is empty: expected a non-empty id") { return }
                continue
            }
            if movieField.isEmpty {
                if reject("movie", "the movie id is empty: expected a non-empty id") { return }
                continue
            }
            if let problem = ByteDecoding.textProblem(bytes, userField.start, userField.end, latin1: rules.latin1) {
                if reject("user", "the user id \(problem): expected \(ByteDecoding.textExpectation(latin1: rules.latin1, problem: problem))") { return }
                continue
            }
            if let problem = ByteDecoding.textProblem(bytes, movieField.start, movieField.end, latin1: rules.latin1) {
                if reject("movie", "the movie id \(problem): expected \(ByteDecoding.textExpectation(latin1: rules.latin1, problem: problem))") { return }
                continue
            }
            let value: Double
            switch ByteDecoding.decimal(bytes, ratingField.start, ratingField.end) {
            case .value(let parsed):
                guard parsed >= rules.lowest && parsed <= rules.highest else {
                    if reject("rating", "\(StoreError.quoted(ByteDecoding.string(bytes, ratingField))) is outside the rating scale: "
                              + "expected a number\(rules.scaleText) (set --min-rating/--max-rating for another scale)") { return }
                    continue
                }
                value = parsed
            case .nonFinite:
                if reject("rating", "\(StoreError.quoted(ByteDecoding.string(bytes, ratingField))) is not a finite number: "
                          + "expected a number\(rules.scaleText)") { return }
                continue
            case .invalid:
                let text = ByteDecoding.string(bytes, ratingField)
                if reject("rating", text.isEmpty ? "the rating is empty: expected a number\(rules.scaleText)"
                          : "\(StoreError.quoted(text)) is not a number: expected a number\(rules.scaleText)") { return }
                continue
            }
            var seconds = ParsedRatings.missingTimestamp
            if let column = layout.timestamp {
                let field = fields[column]
                if field.isEmpty && !layout.requiresTimestamp {
                    seconds = ParsedRatings.missingTimestamp
                } else if let parsed = ByteDecoding.integer(bytes, field.start, field.end) {
                    seconds = parsed
                } else {
                    let text = ByteDecoding.string(bytes, field)
                    if reject("timestamp", (text.isEmpty ? "the timestamp is empty" : "\(StoreError.quoted(text)) is not an integer")
                              + ": expected a Unix timestamp in whole seconds") { return }
                    continue
                }
            }
            userIndex.append(users.index(bytes, userField, latin1: rules.latin1))
            movieIndex.append(movies.index(bytes, movieField, latin1: rules.latin1))
            rating.append(value)
            timestamp.append(seconds)
        }
    }

    /// Accepts a line of the exact form `user,movie,rating,timestamp` with canonical integer ids, a plain decimal
    /// rating inside the scale and a non-negative integer timestamp, and nothing else (no spaces, quotes or
    /// signs). Such a line gets exactly the values the general path would give it; any other line returns
    /// `false` and is left to the general path, which also words the errors.
    @inline(__always)
    private mutating func appendSimpleRow(
        _ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ delimiter: UInt8, _ rules: RowRules
    ) -> Bool {
        var position = start
        guard let user = Self.canonicalInteger(bytes, &position, end, delimiter),
              let movie = Self.canonicalInteger(bytes, &position, end, delimiter) else { return false }
        let ratingStart = position
        while position < end && bytes[position] != delimiter { position += 1 }
        guard position < end, let value = ByteDecoding.plainDecimal(bytes, ratingStart, position),
              value >= rules.lowest && value <= rules.highest else { return false }
        position += 1
        let timestampStart = position
        var seconds: Int64 = 0
        while position < end, case let digit = bytes[position] &- 0x30, digit < 10 {
            seconds = seconds &* 10 &+ Int64(digit)
            position += 1
        }
        guard position == end, position > timestampStart, position - timestampStart <= 18 else { return false }
        userIndex.append(users.index(integer: user))
        movieIndex.append(movies.index(integer: movie))
        rating.append(value)
        timestamp.append(seconds)
        return true
    }

    /// Reads a canonical integer id (no sign, no leading zero, ≤ 18 digits) followed by `delimiter`, moving
    /// `position` past the delimiter; `nil` when the field is anything else.
    @inline(__always)
    static func canonicalInteger(
        _ bytes: UnsafePointer<UInt8>, _ position: inout Int, _ end: Int, _ delimiter: UInt8
    ) -> Int? {
        let start = position
        var value = 0
        while position < end, case let digit = bytes[position] &- 0x30, digit < 10 {
            value = value &* 10 &+ Int(digit)
            position += 1
        }
        let length = position - start
        guard position < end, bytes[position] == delimiter, length > 0, length <= 18,
              length == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        position += 1
        return value
    }

    /// Adds `offset` to the line numbers of the rejects (turning range-relative numbers into file lines).
    mutating func rebaseRejects(lineOffset offset: Int) {
        rejects = rejects.map {
            RejectedRow(file: $0.file, line: $0.line + offset, field: $0.field, reason: $0.reason, raw: $0.raw)
        }
    }

    /// Appends the next chunk of the file: its new ids join ours in their order of first appearance, so the
    /// merged ids and indices equal those of one sequential pass.
    /// Each column of `next` is freed as soon as it is copied, to keep the peak memory down.
    mutating func append(_ next: inout ParsedChunk) {
        let userMap = next.users.externalIDs.map { users.index(externalID: $0) }
        let movieMap = next.movies.externalIDs.map { movies.index(externalID: $0) }
        userIndex.append(contentsOf: next.userIndex.lazy.map { userMap[Int($0)] })
        next.userIndex = []
        movieIndex.append(contentsOf: next.movieIndex.lazy.map { movieMap[Int($0)] })
        next.movieIndex = []
        rating.append(contentsOf: next.rating)
        next.rating = []
        timestamp.append(contentsOf: next.timestamp)
        next.timestamp = []
        rejects.append(contentsOf: next.rejects)
        rowsRead += next.rowsRead
        lineCount += next.lineCount
    }
}

/// One result slot per piece of parallel work, each written by exactly one thread before the threads are joined.
final class ParallelResults<Value>: @unchecked Sendable {
    /// Number of slots.
    let count: Int
    private let slots: UnsafeMutablePointer<Value?>

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    /// Stores the result of piece `index` (one writer per slot).
    func store(_ value: Value, at index: Int) { slots[index] = value }

    /// Moves the result of piece `index` out, leaving the slot empty (after all writers finished).
    func take(_ index: Int) -> Value {
        defer { slots[index] = nil }
        return slots[index]!
    }
}
