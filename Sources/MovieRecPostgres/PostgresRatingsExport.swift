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
    public var sql: String {
        let source = table.map(PostgresConnector.quoteIdentifier) ?? "(\(query!)) AS movierec_source"
        let columns = [userColumn, movieColumn, ratingColumn] + (timestampColumn.map { [$0] } ?? [])
        return "SELECT " + columns.map { PostgresConnector.quoteIdentifier($0) + "::text" }.joined(separator: ", ")
            + " FROM " + source
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

/// Streams the ratings rows of a PostgreSQL database into a CSV file (with backpressure: rows arrive as fast as
/// the file takes them), for ``RatingsImporter`` to import with its validation, `--on-error`, progress and
/// atomicity.
///
/// postgres-nio 1.33 implements `COPY … FROM STDIN` but not `COPY … TO STDOUT`, so the rows come as a streamed
/// query (every column cast to text, read as raw bytes, no per-row decoding).
public enum PostgresRatingsExport {
    /// Writes the rows of `query` at `location` to `file` (created or truncated); `progress` receives the row
    /// count every 100,000 rows. Returns the number of rows.
    ///
    /// - Throws: ``PostgresError`` when the server cannot be reached or the statement fails (the file is
    ///   removed then).
    public static func export(from location: PostgresLocation, query: PostgresRatingsQuery, to file: String,
                              progress: @escaping (Int) -> Void = { _ in }) async throws -> Int {
        guard FileManager.default.createFile(atPath: file, contents: nil), let handle = FileHandle(forWritingAtPath: file) else {
            throw PostgresError.badArguments("cannot create the temporary file \(file)")
        }
        defer { try? handle.close() }
        let connection = try await PostgresConnector.connect(location)
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: query.sql), logger: PostgresConnector.logger)
            var writer = CSVRowWriter(header: query.header)
            var fields: [ByteBufferView?] = []
            for try await row in rows {
                fields.removeAll(keepingCapacity: true)
                for cell in row { fields.append(cell.bytes?.readableBytesView) }
                writer.append(fields)
                if writer.bytes.count >= 1 << 20 { handle.write(Data(writer.takeBytes())) }
                if writer.rows % 100_000 == 0 { progress(writer.rows) }
            }
            handle.write(Data(writer.takeBytes()))
            try? await connection.close()
            return writer.rows
        } catch {
            try? await connection.close()
            try? FileManager.default.removeItem(atPath: file)
            if let error = error as? PostgresError { throw error }
            throw PostgresError.statementFailed(server: location.description, doing: "reading the ratings",
                                                reason: PostgresConnector.reason(error))
        }
    }
}
