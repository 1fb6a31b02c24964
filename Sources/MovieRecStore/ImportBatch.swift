import Foundation
import GRDB
import GRDBSQLite

/// One parsed import, applied to a database inside a transaction the caller opened.
struct ImportBatch {
    /// Where the rating rows come from.
    enum Source {
        /// Parsed in full, in file order (the per-row columns are released once sorted).
        case parsed(ParsedRatings)
        /// Parsed chunk by chunk while they are written (a sorted file into a brand-new database).
        case streamed(RatingStream)
    }

    /// The ratings.
    var source: Source
    /// The movie catalogue, if one was given.
    let catalogue: ParsedMovies?
    /// Checksum of the ratings file, for `import_log` (awaited when the log is written).
    let checksum: BackgroundTask<String>
    /// File name (without directories) for `import_log`.
    let fileName: String
    /// The links file, if one was given.
    var links: ParsedLinks? = nil
    /// Whether the rows replace the stored ratings (``ImportMode/replace``) rather than merge into them.
    var replacing = false

    /// The format of the ratings file.
    var format: RatingsFormat {
        switch source {
        case .parsed(let parsed): parsed.format
        case .streamed(let stream): stream.plan.format
        }
    }

    /// Size of the ratings file in bytes.
    var byteCount: Int {
        switch source {
        case .parsed(let parsed): parsed.byteCount
        case .streamed(let stream): stream.mapped.bytes.count
        }
    }

    /// Data rows read (for a stream: so far).
    var rowsRead: Int {
        switch source {
        case .parsed(let parsed): parsed.rowsRead
        case .streamed(let stream): stream.rowsRead
        }
    }

    /// Skipped rows of the ratings file, in file order (for a stream: so far).
    var rejects: [RejectedRow] {
        switch source {
        case .parsed(let parsed): parsed.rejects
        case .streamed(let stream): stream.rejects
        }
    }

    /// External user and movie ids of the ratings file, in the order of the rows' dense indices.
    private var externalIDs: (users: [String], movies: [String]) {
        switch source {
        case .parsed(let parsed): (parsed.userExternalIDs, parsed.movieExternalIDs)
        case .streamed(let stream): (stream.users.externalIDs, stream.movies.externalIDs)
        }
    }

    /// Row outcomes and store totals after the import (see ``ImportSummary``).
    struct Counts {
        var inserted = 0
        var updated = 0
        var unchanged = 0
        var removed = 0
        var users = 0
        var movies = 0
        var ratings = 0
        var ratingsVersion: Int64 = 0
        var linksApplied = 0
        var linksUnknownMovie = 0
    }

    /// Writes users, movies and ratings; records the import; bumps the ratings version when ratings changed.
    mutating func apply(to db: Database, started: UInt64, progress: ((ImportProgress) -> Void)?) throws -> Counts {
        let catalogueIDs = catalogue?.movies.map(\.externalID) ?? []
        let (userExternalIDs, movieExternalIDs) = externalIDs
        let movies = try Self.resolveIDs(db, table: "movies", externalIDs: movieExternalIDs + catalogueIDs)
        let users = try Self.resolveIDs(db, table: "users", externalIDs: userExternalIDs)
        if let catalogue {
            let update = try RawStatement(db, sql: "UPDATE movies SET title = ?, year = ?, genres = ? WHERE id = ?")
            defer { update.finalize() }
            for (offset, movie) in catalogue.movies.enumerated() {
                sqlite3_bind_text(update.handle, 1, movie.title, Int32(movie.title.utf8.count), RawStatement.transient)
                if let year = movie.year {
                    sqlite3_bind_int64(update.handle, 2, Int64(year))
                } else {
                    sqlite3_bind_null(update.handle, 2)
                }
                sqlite3_bind_text(update.handle, 3, movie.genres.joined(separator: "|"), -1, RawStatement.transient)
                sqlite3_bind_int64(update.handle, 4, movies.ids[movieExternalIDs.count + offset])
                try update.run()
            }
        }
        var counts = Counts()
        if let links {
            (counts.linksApplied, counts.linksUnknownMovie) = try Self.apply(links, to: db)
        }
        let hadRatings: Bool
        switch source {
        case .parsed(var parsed):
            // Not COUNT(*): on a large store that reads every page into the cache just when the sort needs the memory.
            hadRatings = try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM ratings)") ?? false
            let sorted = Self.sortedRows(parsed, users: users, movieIDs: movies.ids)
            parsed.releaseRows()
            source = .parsed(parsed)
            try write(db, sorted: sorted, checkExisting: hadRatings, counts: &counts, progress: progress)
        case .streamed(let stream):
            hadRatings = false
            try write(db, stream: stream, userIDs: users.ids, movieIDs: movies.ids, counts: &counts, progress: progress)
        }

        if counts.inserted + counts.updated + counts.removed > 0 {
            try db.execute(sql: "UPDATE store_state SET ratings_version = ratings_version + 1 WHERE id = 1")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        try db.execute(sql: """
            INSERT INTO import_log(imported_at, file_name, file_size, checksum, format, movies_file, rows_read,
                                   inserted, updated, unchanged, skipped, removed, seconds)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [ISO8601DateFormatter().string(from: Date()), fileName, byteCount, try checksum.value(),
                             format.description, catalogue.map { ($0.file as NSString).lastPathComponent },
                             rowsRead, counts.inserted, counts.updated, counts.unchanged, rejects.count, counts.removed,
                             seconds])
        counts.users = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0
        counts.movies = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movies") ?? 0
        counts.ratings = hadRatings ? try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ratings") ?? 0 : counts.inserted
        counts.ratingsVersion = try Int64.fetchOne(db, sql: "SELECT ratings_version FROM store_state WHERE id = 1") ?? 0
        return counts
    }

    /// Stores the IMDb and TMDb ids of `links` on the movies of the store with the same external id (after this
    /// import's movies were created); returns how many were stored and how many name a movie the store lacks.
    static func apply(_ links: ParsedLinks, to db: Database) throws -> (applied: Int, unknown: Int) {
        let update = try RawStatement(db, sql: "UPDATE movies SET imdb_id = ?, tmdb_id = ? WHERE external_id = ?")
        defer { update.finalize() }
        var applied = 0
        for link in links.links {
            if let imdb = link.imdbID {
                sqlite3_bind_text(update.handle, 1, imdb, -1, RawStatement.transient)
            } else {
                sqlite3_bind_null(update.handle, 1)
            }
            if let tmdb = link.tmdbID {
                sqlite3_bind_int64(update.handle, 2, tmdb)
            } else {
                sqlite3_bind_null(update.handle, 2)
            }
            sqlite3_bind_text(update.handle, 3, link.externalID, Int32(link.externalID.utf8.count), RawStatement.transient)
            try update.run()
            applied += Int(sqlite3_changes(db.sqliteConnection))
        }
        return (applied, links.links.count - applied)
    }

    /// Database ids for external ids (duplicates allowed), inserting the missing ones. New rows get ids after the
    /// current maximum, assigned in external-id order (integers numerically first, then text), so ids do not
    /// depend on row order in the file; ids up to ``ResolvedIDs/previousMax`` predate this import.
    static func resolveIDs(_ db: Database, table: String, externalIDs: [String]) throws -> ResolvedIDs {
        var known: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT external_id, id FROM \(table)") { known[row[0]] = row[1] }
        let previousMax = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(table)") ?? 0
        var missing: [String] = []
        var seen = Set<String>()
        for id in externalIDs where known[id] == nil && seen.insert(id).inserted { missing.append(id) }
        // Up to ``RatingsImporter/rowsPerStatement`` rows per statement: at 224,000 new ids 0.08 s (20 %) less CPU
        // than one row per statement.
        let newIDs = RankedRows.canonicalOrder(of: missing).map { missing[$0] }
        func insert(rows: Int) throws -> RawStatement {
            try RawStatement(db, sql: "INSERT INTO \(table)(id, external_id) VALUES "
                             + Array(repeating: "(?, ?)", count: rows).joined(separator: ", "))
        }
        let perStatement = min(RatingsImporter.rowsPerStatement, newIDs.count)
        let full = perStatement > 0 ? try insert(rows: perStatement) : nil
        defer { full?.finalize() }
        var next = previousMax + 1
        for start in stride(from: 0, to: newIDs.count, by: max(perStatement, 1)) {
            let rows = newIDs[start..<min(start + perStatement, newIDs.count)]
            let statement = rows.count == perStatement ? full! : try insert(rows: rows.count)
            defer { if statement !== full { statement.finalize() } }
            for (offset, externalID) in rows.enumerated() {
                sqlite3_bind_int64(statement.handle, Int32(2 * offset + 1), next)
                sqlite3_bind_text(statement.handle, Int32(2 * offset + 2), externalID, Int32(externalID.utf8.count), RawStatement.transient)
                known[externalID] = next
                next += 1
            }
            try statement.run()
        }
        return ResolvedIDs(ids: externalIDs.map { known[$0]! }, previousMax: previousMax)
    }

    /// Ids of a table resolved for this import.
    struct ResolvedIDs {
        /// Database id per requested external id.
        let ids: [Int64]
        /// The largest id before the import; ids above it were created by it.
        let previousMax: Int64
    }

    /// The accepted rows in primary-key order (see ``RankedRows``) with the database ids of the ranks.
    struct SortedRows {
        /// The rows, ranked by database id.
        var rows: RankedRows
        /// Rank → database id of users (ascending).
        var userIDs: [Int64]
        /// Rank → database id of movies (ascending).
        var movieIDs: [Int64]
        /// Rank → whether the user existed before this import.
        var userExisted: [Bool]
    }

    /// Sorts the rows by (user id, movie id, file position).
    private static func sortedRows(_ ratings: ParsedRatings, users: ResolvedIDs, movieIDs: [Int64]) -> SortedRows {
        let usersByID = users.ids.indices.sorted { users.ids[$0] < users.ids[$1] }
        let moviesByID = movieIDs.indices.sorted { movieIDs[$0] < movieIDs[$1] }
        return SortedRows(rows: RankedRows(ratings, userRank: RankedRows.ranks(of: usersByID),
                                           movieRank: RankedRows.ranks(of: moviesByID)),
                          userIDs: usersByID.map { users.ids[$0] }, movieIDs: moviesByID.map { movieIDs[$0] },
                          userExisted: usersByID.map { users.ids[$0] <= users.previousMax })
    }

    /// Walks the sorted rows pair by pair, comparing with the stored rating of pre-existing users, counts every
    /// row's outcome, and writes the winning row of each changed pair, in primary-key order.
    ///
    /// A row replaces the current rating when `timestamp ≥ current timestamp` (a missing timestamp is older than
    /// any other, and on a tie the later row wins). When ``replacing``, only the rows of a pair are compared with
    /// each other that way; the pair's winning row then replaces a stored rating that differs in any way, and the
    /// stored pairs the rows lack are deleted (first every rating of the users the rows lack).
    private func write(
        _ db: Database, sorted: SortedRows, checkExisting: Bool, counts: inout Counts,
        progress: ((ImportProgress) -> Void)?
    ) throws {
        var writer = try RatingWriter(db, upsert: checkExisting)
        defer { writer.finalize() }
        let existing = checkExisting
            ? try RawStatement(db, sql: "SELECT movie_id, rating, timestamp FROM ratings WHERE user_id = ? ORDER BY movie_id")
            : nil
        defer { existing?.finalize() }
        let remover = replacing && checkExisting
            ? try RawStatement(db, sql: "DELETE FROM ratings WHERE user_id = ? AND movie_id = ?") : nil
        defer { remover?.finalize() }
        if remover != nil { counts.removed += try Self.removeRatings(db, ofUsersOtherThan: sorted.userIDs) }
        func remove(user: Int64, movie: Int64) throws {
            guard let remover else { return }
            sqlite3_bind_int64(remover.handle, 1, user)
            sqlite3_bind_int64(remover.handle, 2, movie)
            try remover.run()
            counts.removed += 1
        }
        var storedMovie: [Int64] = []
        var storedRating: [Double] = []
        var storedTimestamp: [Int64] = []
        let total = sorted.rows.count
        let movieRank = sorted.rows.movieRank
        let rating = sorted.rows.rating
        let timestamp = sorted.rows.timestamp
        var reported = 0
        for rank in 0..<sorted.userIDs.count {
            let userID = sorted.userIDs[rank]
            storedMovie.removeAll(keepingCapacity: true)
            storedRating.removeAll(keepingCapacity: true)
            storedTimestamp.removeAll(keepingCapacity: true)
            if let existing, sorted.userExisted[rank] {
                sqlite3_bind_int64(existing.handle, 1, userID)
                while try existing.step() {
                    storedMovie.append(sqlite3_column_int64(existing.handle, 0))
                    storedRating.append(sqlite3_column_double(existing.handle, 1))
                    storedTimestamp.append(sqlite3_column_type(existing.handle, 2) == SQLITE_NULL
                                           ? ParsedRatings.missingTimestamp : sqlite3_column_int64(existing.handle, 2))
                }
                sqlite3_reset(existing.handle)
            }
            var stored = 0
            var position = sorted.rows.userStarts[rank]
            let end = sorted.rows.userStarts[rank + 1]
            while position < end {
                let movie = movieRank[position]
                let movieID = sorted.movieIDs[Int(movie)]
                while stored < storedMovie.count && storedMovie[stored] < movieID {
                    try remove(user: userID, movie: storedMovie[stored])
                    stored += 1
                }
                var current: (rating: Double, timestamp: Int64)?
                if stored < storedMovie.count && storedMovie[stored] == movieID {
                    current = (storedRating[stored], storedTimestamp[stored])
                }
                if replacing {
                    var winner = position
                    position += 1
                    while position < end && movieRank[position] == movie {
                        if RankedRows.replaces(timestamp[position], timestamp[winner]) { winner = position }
                        counts.unchanged += 1
                        position += 1
                    }
                    if let present = current {
                        stored += 1
                        if present.rating == rating[winner] && present.timestamp == timestamp[winner] {
                            counts.unchanged += 1
                            continue
                        }
                        counts.updated += 1
                    } else {
                        counts.inserted += 1
                    }
                    try writer.append(user: userID, movie: movieID, rating: rating[winner], timestamp: timestamp[winner])
                    continue
                }
                var winner = -1
                while position < end && movieRank[position] == movie {
                    let candidate = (rating: rating[position], timestamp: timestamp[position])
                    if let present = current {
                        if RankedRows.replaces(candidate.timestamp, present.timestamp)
                            && (candidate.rating != present.rating || candidate.timestamp != present.timestamp) {
                            counts.updated += 1
                            current = candidate
                            winner = position
                        } else {
                            counts.unchanged += 1
                        }
                    } else {
                        counts.inserted += 1
                        current = candidate
                        winner = position
                    }
                    position += 1
                }
                if winner >= 0 {
                    try writer.append(user: userID, movie: movieID, rating: rating[winner], timestamp: timestamp[winner])
                }
            }
            if remover != nil {
                for movieID in storedMovie[stored...] { try remove(user: userID, movie: movieID) }
            }
            if position - reported >= 1 << 18 {
                reported = position
                progress?(ImportProgress(phase: .writing, completed: position, total: total, rows: position))
            }
        }
        try writer.flush()
        progress?(ImportProgress(phase: .writing, completed: total, total: total, rows: total))
    }

    /// Deletes every rating of the users not in `userIDs` (ascending database ids); returns how many.
    private static func removeRatings(_ db: Database, ofUsersOtherThan userIDs: [Int64]) throws -> Int {
        let kept = Set(userIDs)
        let absent = try Int64.fetchAll(db, sql: "SELECT DISTINCT user_id FROM ratings").filter { !kept.contains($0) }
        guard !absent.isEmpty else { return 0 }
        let delete = try RawStatement(db, sql: "DELETE FROM ratings WHERE user_id = ?")
        defer { delete.finalize() }
        var removed = 0
        for user in absent {
            sqlite3_bind_int64(delete.handle, 1, user)
            try delete.run()
            removed += Int(sqlite3_changes(db.sqliteConnection))
        }
        return removed
    }

    /// Writes a stream into a brand-new database: the rows come in (user, movie) order, so each pair's rows are
    /// adjacent (possibly across chunks). The first row of a pair is `inserted`; a later one `updated` when
    /// `timestamp ≥ current timestamp` and it differs, else `unchanged`; the pair's winning row is written.
    private func write(
        _ db: Database, stream: RatingStream, userIDs: [Int64], movieIDs: [Int64], counts: inout Counts,
        progress: ((ImportProgress) -> Void)?
    ) throws {
        var writer = try RatingWriter(db, upsert: false)
        defer { writer.finalize() }
        var current: (user: Int64, movie: Int64, rating: Double, timestamp: Int64)?
        var done = 0
        try stream.forEachChunk { chunk in
            for row in 0..<chunk.rating.count {
                let user = userIDs[Int(chunk.userIndex[row])]
                let movie = movieIDs[Int(chunk.movieIndex[row])]
                let rating = chunk.rating[row]
                let timestamp = chunk.timestamp[row]
                if let present = current, present.user == user, present.movie == movie {
                    if RankedRows.replaces(timestamp, present.timestamp)
                        && (rating != present.rating || timestamp != present.timestamp) {
                        counts.updated += 1
                        current = (user, movie, rating, timestamp)
                    } else {
                        counts.unchanged += 1
                    }
                    continue
                }
                if let present = current {
                    try writer.append(user: present.user, movie: present.movie, rating: present.rating,
                                      timestamp: present.timestamp)
                }
                counts.inserted += 1
                current = (user, movie, rating, timestamp)
            }
            done += chunk.rating.count
            progress?(ImportProgress(phase: .writing, completed: done, total: stream.lineCount, rows: done))
        }
        if let present = current {
            try writer.append(user: present.user, movie: present.movie, rating: present.rating, timestamp: present.timestamp)
        }
        try writer.flush()
        progress?(ImportProgress(phase: .writing, completed: done, total: done, rows: done))
    }
}

/// Writes ratings through a prepared multi-row `INSERT` (or upsert), ``rowsPerStatement`` rows per execution,
/// bound with the SQLite C API; rows must come in primary-key order.
private struct RatingWriter {
    /// Rows per multi-row statement (capped by the connection's limit on bound parameters).
    let rowsPerStatement: Int
    private let db: Database
    private let upsert: Bool
    private let full: RawStatement
    /// Queued rows, `rowsPerStatement` slots.
    private let queue: UnsafeMutablePointer<(user: Int64, movie: Int64, rating: Double, timestamp: Int64)>
    private var pending = 0

    init(_ db: Database, upsert: Bool) throws {
        let limit = db.sqliteConnection.map { Int(sqlite3_limit($0, SQLITE_LIMIT_VARIABLE_NUMBER, -1)) } ?? 999
        rowsPerStatement = max(1, min(RatingsImporter.rowsPerStatement, limit / 4))
        self.db = db
        self.upsert = upsert
        full = try RawStatement(db, sql: Self.sql(rows: rowsPerStatement, upsert: upsert))
        queue = .allocate(capacity: rowsPerStatement)
    }

    private static func sql(rows: Int, upsert: Bool) -> String {
        "INSERT INTO ratings(user_id, movie_id, rating, timestamp) VALUES "
            + Array(repeating: "(?,?,?,?)", count: rows).joined(separator: ",")
            + (upsert ? " ON CONFLICT(user_id, movie_id) DO UPDATE SET rating = excluded.rating, timestamp = excluded.timestamp" : "")
    }

    /// Queues one row, executing the statement when ``rowsPerStatement`` rows are queued.
    @inline(__always)
    mutating func append(user: Int64, movie: Int64, rating: Double, timestamp: Int64) throws {
        queue[pending] = (user, movie, rating, timestamp)
        pending += 1
        if pending == rowsPerStatement { try execute(full) }
    }

    /// Writes the queued rows.
    mutating func flush() throws {
        guard pending > 0 else { return }
        let tail = try RawStatement(db, sql: Self.sql(rows: pending, upsert: upsert))
        defer { tail.finalize() }
        try execute(tail)
    }

    private mutating func execute(_ statement: RawStatement) throws {
        let handle = statement.handle
        var parameter: Int32 = 1
        for row in 0..<pending {
            let (user, movie, rating, timestamp) = queue[row]
            sqlite3_bind_int64(handle, parameter, user)
            sqlite3_bind_int64(handle, parameter + 1, movie)
            sqlite3_bind_double(handle, parameter + 2, rating)
            if timestamp == ParsedRatings.missingTimestamp {
                sqlite3_bind_null(handle, parameter + 3)
            } else {
                sqlite3_bind_int64(handle, parameter + 3, timestamp)
            }
            parameter += 4
        }
        try statement.run()
        pending = 0
    }

    /// Finalizes the statement and frees the queue.
    func finalize() {
        full.finalize()
        queue.deallocate()
    }
}
