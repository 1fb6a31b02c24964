import Foundation
import MovieRecStore
import PostgresNIO

/// Which rows of a PostgreSQL database are ratings: a table or a query, and the names of its columns.
public struct PostgresRatingsQuery: Sendable, Equatable {
    /// A table (optionally `schema.table`), or nil when ``query`` is given.
    public var table: String?
    /// A `SELECT …` whose result has the named columns, or nil when ``table`` is given.
    public var query: String?
    /// The user id column.
    public var userColumn: String
    /// The movie id column.
    public var movieColumn: String
    /// The rating column.
    public var ratingColumn: String
    /// The timestamp column (Unix seconds), or nil for none.
    public var timestampColumn: String?

    /// The column names of the table `movierec serve --ratings-source` writes (``PostgresRatingsSource``).
    public static let sharedTableColumns = (user: "user_id", movie: "movie_id", rating: "rating", timestamp: "rated_at")

    /// Rows of `table` or of `query` (exactly one of them), with the given columns (default: the shared table's).
    public init(table: String?, query: String?, userColumn: String? = nil, movieColumn: String? = nil,
                ratingColumn: String? = nil, timestampColumn: String? = nil) throws {
        guard (table == nil) != (query == nil) else {
            throw PostgresError.badArguments("give either --table or --query (exactly one of them)")
        }
        self.table = table
        self.query = query
        self.userColumn = userColumn ?? Self.sharedTableColumns.user
        self.movieColumn = movieColumn ?? Self.sharedTableColumns.movie
        self.ratingColumn = ratingColumn ?? Self.sharedTableColumns.rating
        self.timestampColumn = timestampColumn ?? ((userColumn == nil && movieColumn == nil && ratingColumn == nil)
                                                   ? Self.sharedTableColumns.timestamp : nil)
    }

    /// The SELECT that streams the rows, every column cast to text (so any id or number type reads the same
    /// way the file importer reads it).
    public var sql: String { select(castToText: true) }

    /// The SELECT of the columns (each cast to text, or as they are) from the table or the query, limited to the
    /// rows matching `condition` when one is given.
    private func select(castToText: Bool, where condition: String? = nil) -> String {
        let source = table.map(PostgresConnector.quoteIdentifier) ?? "(\(query!)) AS movierec_source"
        return "SELECT " + quotedColumns.map { castToText ? $0 + "::text" : $0 }.joined(separator: ", ")
            + " FROM " + source + (condition.map { " WHERE " + $0 } ?? "")
    }

    /// The quoted column names, in the exported file's order.
    var quotedColumns: [String] {
        ([userColumn, movieColumn, ratingColumn] + (timestampColumn.map { [$0] } ?? [])).map(PostgresConnector.quoteIdentifier)
    }

    /// The rows of one block range of ``table`` (blocks `first..<end`, or from `first` on when `end` is nil), a
    /// TID range scan: as a `COPY … TO STDOUT` in CSV (each column in its type's own text form, which is what a
    /// cast to text gives, without building the cast value first: about a quarter cheaper on the server), and as
    /// the SELECT that reads them row by row with every column cast to text.
    func chunkSQL(blocks first: Int, end: Int?) -> (copy: String, rowByRow: String) {
        let range = tidRange(first: first, end: end)
        return (Self.copySQL(select(castToText: false, where: range)), select(castToText: true, where: range))
    }

    /// The COPY of every row of ``table`` or ``query``, in CSV.
    var copySQL: String { Self.copySQL(select(castToText: false)) }

    /// `select` as a `COPY … TO STDOUT` in CSV.
    static func copySQL(_ select: String) -> String { "COPY (\(select)) TO STDOUT WITH (FORMAT csv)" }

    private func tidRange(first: Int, end: Int?) -> String {
        "ctid >= '(\(first),0)'::tid" + (end.map { " AND ctid < '(\($0),0)'::tid" } ?? "")
    }

    /// The header of the exported CSV file (the file importer's column names).
    public var header: [String] {
        ["user_id", "movie_id", "rating"] + (timestampColumn == nil ? [] : ["rated_at"])
    }

    /// How the file importer reads the exported CSV file.
    public var columnSpec: ColumnSpec {
        ColumnSpec(user: ColumnReference("user_id"), movie: ColumnReference("movie_id"),
                   rating: ColumnReference("rating"), timestamp: timestampColumn == nil ? nil : ColumnReference("rated_at"),
                   delimiter: FieldDelimiter(",")!, hasHeader: true)
    }
}

/// Streams the ratings rows of a PostgreSQL database into a CSV file, for ``RatingsImporter`` to import with its
/// validation, `--on-error`, progress and atomicity.
///
/// The rows come with `COPY (SELECT …) TO STDOUT WITH (FORMAT csv)` (see ``CopyOutConnection``): the server
/// formats them as CSV itself, with about a quarter less CPU than building the same lines in an aggregate. A table
/// (`--table`, a plain or materialized table on PostgreSQL 14 or later) is read in ranges of ``blocksPerChunk``
/// heap blocks (`WHERE ctid >= … AND ctid < …`, a TID range scan) on two connections that share one read-only
/// repeatable-read snapshot: every row exactly once, in the table's physical order (the order a plain SELECT
/// returns), written in range order. Anything else (`--query`, a view) is one `COPY` streamed into the file.
///
/// The server's CSV quotes only fields holding a comma, a quote or a line break, writes NULL as an empty field,
/// and does not quote a field with a leading or trailing space, which the file importer would trim. So data with
/// no quote, carriage return or space (``CSVChunk/isPlain(_:)``) is taken as it comes: it is exactly what
/// ``CSVRowWriter`` writes for the same rows. Anything else is read again row by row and written by
/// ``CSVRowWriter`` (a range alone, or the whole query).
public enum PostgresRatingsExport {
    /// Heap blocks (8 KiB each by default) per range: about 80,000 ratings rows, 2 MB of CSV.
    static let blocksPerChunk = 512

    /// Writes the rows of `query` at `location` to `file` (created or truncated); `progress` receives the row
    /// count every 100,000 rows or so. Returns the number of rows.
    ///
    /// - Throws: ``PostgresError`` when the server cannot be reached, the statement fails or the file cannot be
    ///   written (the file is removed then).
    public static func export(from location: PostgresLocation, query: PostgresRatingsQuery, to file: String,
                              progress: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Int {
        let output = try OutputFile(path: file)
        let main = try await CopyOutConnection.connect(location)
        var helper: CopyOutConnection?
        do {
            var writer = CSVRowWriter(header: query.header)
            try output.write(writer.takeBytes())
            var rows = 0
            if let table = query.table {
                try await run("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", on: main.connection)
                if let layout = try await tableLayout(table, on: main.connection) {
                    // A second connection in the same snapshot halves the server's share when there is enough to share.
                    if layout.blocks > 2 * blocksPerChunk && layout.canExportSnapshot {
                        helper = try await CopyOutConnection.connect(location)
                        try await joinSnapshot(of: main.connection, with: helper!.connection)
                    }
                    rows = try await exportChunks(of: query, blocks: layout.blocks, on: [main] + (helper.map { [$0] } ?? []),
                                                  to: output, server: location.description, progress: progress)
                } else {
                    rows = try await exportAll(query, on: main, to: output, progress: progress)
                }
                if let helper { try await run("COMMIT", on: helper.connection) }
                try await run("COMMIT", on: main.connection)
            } else {
                rows = try await exportAll(query, on: main, to: output, progress: progress)
            }
            try output.close()
            await helper?.close()
            await main.close()
            return rows
        } catch {
            await helper?.close()
            await main.close()
            output.discard()
            if let error = error as? PostgresError { throw error }
            throw PostgresError.statementFailed(server: location.description, doing: "reading the ratings",
                                                reason: PostgresConnector.reason(error))
        }
    }

    /// How `table` can be read in block ranges: its number of heap blocks, and whether its snapshot can be shared
    /// with a second connection (not on a standby); nil when it cannot (not a plain or materialized table, or a
    /// server older than 14: no TID range scans). Run inside the export's transaction, after its snapshot is
    /// taken, so every row the snapshot sees lies in these blocks (the last range is open-ended all the same).
    static func tableLayout(_ table: String, on connection: PostgresConnection) async throws
        -> (blocks: Int, canExportSnapshot: Bool)? {
        var probe = PostgresQuery(unsafeSQL: """
            SELECT current_setting('server_version_num')::int >= 140000 AND c.relkind IN ('r', 'm'),
                   pg_relation_size(c.oid) / current_setting('block_size')::bigint, NOT pg_is_in_recovery()
            FROM pg_class c WHERE c.oid = to_regclass($1)
            """)
        probe.binds.append(PostgresConnector.quoteIdentifier(table))
        for try await (rangeable, blocks, primary) in try await connection.query(probe, logger: PostgresConnector.logger)
            .decode((Bool, Int64, Bool).self) {
            return rangeable ? (Int(blocks), primary) : nil
        }
        return nil  // no such table: the whole-table COPY reports the server's error
    }

    /// Starts a read-only repeatable-read transaction on `helper` that sees exactly the snapshot of `connection`'s.
    static func joinSnapshot(of connection: PostgresConnection, with helper: PostgresConnection) async throws {
        var snapshot = ""
        for try await (id) in try await connection.query("SELECT pg_export_snapshot()", logger: PostgresConnector.logger)
            .decode(String.self) {
            snapshot = id
        }
        try await run("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", on: helper)
        let set = PostgresQuery(unsafeSQL: "SET TRANSACTION SNAPSHOT '"
                                + snapshot.replacingOccurrences(of: "'", with: "''") + "'")
        try await helper.query(set, logger: PostgresConnector.logger)
    }

    /// Reads `blocks` heap blocks of the query's table range by range (the last range open-ended), range i on
    /// connection i mod n, written to `output` in range order.
    static func exportChunks(of query: PostgresRatingsQuery, blocks: Int, on connections: [CopyOutConnection],
                             to output: OutputFile, server: String,
                             progress: @escaping @Sendable (Int) -> Void) async throws -> Int {
        let chunks = max(1, (blocks + blocksPerChunk - 1) / blocksPerChunk)
        let sequencer = ChunkSequencer()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (lane, connection) in connections.enumerated() {
                let stride = connections.count
                group.addTask {
                    do {
                        for chunk in Swift.stride(from: lane, to: chunks, by: stride) {
                            let first = chunk * blocksPerChunk
                            let end = chunk + 1 < chunks ? first + blocksPerChunk : nil
                            try await exportChunk(of: query, blocks: first, end: end, index: chunk, on: connection,
                                                  to: output, sequencer: sequencer, server: server, progress: progress)
                        }
                    } catch {
                        await sequencer.fail(error)
                        throw error
                    }
                }
            }
            try await group.waitForAll()
        }
        return await sequencer.rows
    }

    /// Copies the blocks `first..<end`, waits for its turn and writes them (or, when they need quoting, reads the
    /// same rows again row by row on its turn).
    private static func exportChunk(of query: PostgresRatingsQuery, blocks first: Int, end: Int?, index: Int,
                                    on connection: CopyOutConnection, to output: OutputFile, sequencer: ChunkSequencer,
                                    server: String, progress: @Sendable (Int) -> Void) async throws {
        let sql = query.chunkSQL(blocks: first, end: end)
        let (rows, lines) = try await connection.copyOut(sql.copy)
        let plain = lines.withUnsafeReadableBytes { CSVChunk.isPlain($0) }
        try await sequencer.waitForTurn(index)
        if plain {
            try output.write(lines)
        } else {
            let written = try await exportRows(sql.rowByRow, fields: query.header.count, on: connection.connection,
                                               to: output) { _ in }
            guard written == rows else {
                throw PostgresError.statementFailed(server: server, doing: "reading the ratings",
                                                    reason: "blocks from \(first) gave \(rows) rows, then \(written) read row by row")
            }
        }
        if let total = await sequencer.finished(index, rows: rows) { progress(total) }
    }

    /// Copies every row of the query into `output` with one `COPY`; when some of it needs quoting (see
    /// ``CSVChunk/isPlain(_:)``), the file is cut back and the rows are read again row by row.
    static func exportAll(_ query: PostgresRatingsQuery, on connection: CopyOutConnection, to output: OutputFile,
                          progress: @escaping @Sendable (Int) -> Void) async throws -> Int {
        let start = output.offset
        let state = StreamedCopy(output: output, progress: progress)
        let (rows, _) = try await connection.copyOut(query.copySQL) { try state.take($0) }
        if state.plain { return rows }
        try output.truncate(to: start)
        return try await exportRows(query.sql, fields: query.header.count, on: connection.connection, to: output,
                                    progress: progress)
    }

    /// Streams the rows of `sql` (every column text) one by one into `output` as CSV lines.
    static func exportRows(_ sql: String, fields: Int, on connection: PostgresConnection, to output: OutputFile,
                           progress: @Sendable (Int) -> Void) async throws -> Int {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresConnector.logger)
        var writer = CSVRowWriter(header: nil)
        var cells: [ByteBufferView?] = []
        cells.reserveCapacity(fields)
        for try await row in rows {
            cells.removeAll(keepingCapacity: true)
            for cell in row { cells.append(cell.bytes?.readableBytesView) }
            writer.append(cells)
            if writer.bytes.count >= 1 << 20 { try output.write(writer.takeBytes()) }
            if writer.rows % 100_000 == 0 { progress(writer.rows) }
        }
        try output.write(writer.takeBytes())
        return writer.rows
    }

    private static func run(_ sql: String, on connection: PostgresConnection) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: PostgresConnector.logger)
    }
}

/// The sink of a whole-query `COPY`: writes plain pieces to the file and counts their lines for the progress
/// report, until a piece needs quoting; then drops the rest. Used by one event loop at a time, read after the
/// copy has finished.
private final class StreamedCopy: @unchecked Sendable {
    let output: OutputFile
    let progress: @Sendable (Int) -> Void
    private(set) var plain = true
    private var lines = 0
    private var reported = 0

    init(output: OutputFile, progress: @escaping @Sendable (Int) -> Void) {
        self.output = output
        self.progress = progress
    }

    func take(_ piece: ByteBuffer) throws {
        guard plain else { return }
        let (isPlain, count) = piece.withUnsafeReadableBytes { bytes in
            (CSVChunk.isPlain(bytes), bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) })
        }
        guard isPlain else {
            plain = false
            return
        }
        try output.write(piece)
        lines += count
        if lines - reported >= 100_000 {
            reported = lines
            progress(lines)
        }
    }
}

/// Hands out turns to write the ranges in order: a range read early waits (holding one range per connection).
actor ChunkSequencer {
    /// The range whose turn it is.
    private var next = 0
    /// Rows written so far.
    private(set) var rows = 0
    private var reported = 0
    private var failure: Error?
    private var waiting: [Int: CheckedContinuation<Void, Error>] = [:]

    /// Returns when range `index` may be written; throws when another range failed meanwhile.
    func waitForTurn(_ index: Int) async throws {
        if let failure { throw failure }
        if index == next { return }
        try await withCheckedThrowingContinuation { waiting[index] = $0 }
    }

    /// Range `index` is written with `rows` rows: the next range's turn. Returns the row count when another
    /// 100,000 rows are done (for the progress report).
    func finished(_ index: Int, rows: Int) -> Int? {
        self.rows += rows
        next = index + 1
        waiting.removeValue(forKey: next)?.resume()
        guard self.rows - reported >= 100_000 else { return nil }
        reported = self.rows
        return self.rows
    }

    /// A range failed: every waiting range gives up.
    func fail(_ error: Error) {
        failure = failure ?? error
        for continuation in waiting.values { continuation.resume(throwing: error) }
        waiting.removeAll()
    }
}

/// The exported file, written with `write(2)` so that a full disk is an error rather than a crash.
final class OutputFile: @unchecked Sendable {
    let path: String
    private var descriptor: Int32
    /// Bytes written so far (the file's size).
    private(set) var offset = 0

    init(path: String) throws {
        self.path = path
        descriptor = posixOpen(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw Self.failure(path, "cannot create") }
    }

    deinit { if descriptor >= 0 { posixClose(descriptor) } }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { try write($0) }
    }

    private func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = posixWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw Self.failure(path, "cannot write")
            }
            offset += written
        }
        self.offset += bytes.count
    }

    /// Cuts the file back to its first `size` bytes; later writes go after them.
    func truncate(to size: Int) throws {
        guard posixTruncate(descriptor, size) == 0, posixSeek(descriptor, size) == size else {
            throw Self.failure(path, "cannot cut back")
        }
        offset = size
    }

    func close() throws {
        let result = posixClose(descriptor)
        descriptor = -1
        guard result == 0 else { throw Self.failure(path, "cannot write") }
    }

    /// Closes and removes the file.
    func discard() {
        if descriptor >= 0 { posixClose(descriptor) }
        descriptor = -1
        posixUnlink(path)
    }

    private static func failure(_ path: String, _ what: String) -> PostgresError {
        .temporaryFile(path: path, reason: "\(what) it: \(String(cString: strerror(errno)))")
    }
}

// The C calls by other names (inside ``OutputFile`` its own methods would shadow them).
private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func posixWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int { write(fd, bytes, count) }
@discardableResult private func posixClose(_ fd: Int32) -> Int32 { close(fd) }
private func posixUnlink(_ path: String) { unlink(path) }
private func posixTruncate(_ fd: Int32, _ size: Int) -> Int32 { ftruncate(fd, off_t(size)) }
private func posixSeek(_ fd: Int32, _ offset: Int) -> Int { Int(lseek(fd, off_t(offset), SEEK_SET)) }
