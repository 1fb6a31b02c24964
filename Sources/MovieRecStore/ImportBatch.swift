import Foundation
import GRDB
import GRDBSQLite

/// One parsed import, applied to a database inside a transaction the caller opened.
struct ImportBatch {
    /// The accepted ratings, in file order (the per-row columns are released once sorted).
    var ratings: ParsedRatings
    /// The movie catalogue, if one was given.
    let catalogue: ParsedMovies?
    /// Checksum of the ratings file, for `import_log`.
    let checksum: String
    /// File name (without directories) for `import_log`.
    let fileName: String

    /// Row outcomes and store totals after the import (see ``ImportSummary``).
    struct Counts {
        var inserted = 0
        var updated = 0
        var unchanged = 0
        var users = 0
        var movies = 0
        var ratings = 0
        var ratingsVersion: Int64 = 0
    }

    /// Writes users, movies and ratings; records the import; bumps the ratings version when ratings changed.
    mutating func apply(to db: Database, started: UInt64, progress: ((ImportProgress) -> Void)?) throws -> Counts {
        let catalogueIDs = catalogue?.movies.map(\.externalID) ?? []
        let movies = try Self.resolveIDs(db, table: "movies", externalIDs: ratings.movieExternalIDs + catalogueIDs)
        let users = try Self.resolveIDs(db, table: "users", externalIDs: ratings.userExternalIDs)
        if let catalogue {
            let update = try db.makeStatement(sql: "UPDATE movies SET title = ?, year = ?, genres = ? WHERE id = ?")
            for (offset, movie) in catalogue.movies.enumerated() {
                try update.execute(arguments: [movie.title, movie.year, movie.genres.joined(separator: "|"),
                                               movies.ids[ratings.movieExternalIDs.count + offset]])
            }
        }
        let existingRatings = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ratings") ?? 0
        let sorted = sortedRows(users: users, movieIDs: movies.ids)
        ratings.releaseRows()
        var counts = Counts()
        let writes = try resolvePairs(db, sorted: sorted, checkExisting: existingRatings > 0, counts: &counts)
        let rebuildIndex = writes.count >= 200_000 && writes.count >= existingRatings
        if rebuildIndex { try db.execute(sql: "DROP INDEX \(StoreSchema.ratingsByMovieIndex)") }
        try write(db, positions: writes, sorted: sorted, upsert: existingRatings > 0, progress: progress)
        if rebuildIndex {
            progress?(ImportProgress(phase: .indexing, completed: 0, total: existingRatings + counts.inserted, rows: 0))
            // SQLite's sorter is several times faster with small in-memory runs merged than with one huge run.
            let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
            try db.execute(sql: "PRAGMA cache_size = -2000")
            try db.execute(sql: "CREATE INDEX \(StoreSchema.ratingsByMovieIndex) ON ratings(movie_id)")
            try db.execute(sql: "PRAGMA cache_size = \(cacheSize)")
        }

        if counts.inserted + counts.updated > 0 {
            try db.execute(sql: "UPDATE store_state SET ratings_version = ratings_version + 1 WHERE id = 1")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        try db.execute(sql: """
            INSERT INTO import_log(imported_at, file_name, file_size, checksum, format, movies_file, rows_read,
                                   inserted, updated, unchanged, skipped, seconds)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [ISO8601DateFormatter().string(from: Date()), fileName, ratings.byteCount, checksum,
                             ratings.format.description, catalogue.map { ($0.file as NSString).lastPathComponent },
                             ratings.rowsRead, counts.inserted, counts.updated, counts.unchanged,
                             ratings.rejects.count, seconds])
        counts.users = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0
        counts.movies = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movies") ?? 0
        counts.ratings = existingRatings + counts.inserted
        counts.ratingsVersion = try Int64.fetchOne(db, sql: "SELECT ratings_version FROM store_state WHERE id = 1") ?? 0
        return counts
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
        let insert = try RawStatement(db, sql: "INSERT INTO \(table)(id, external_id) VALUES (?, ?)")
        defer { insert.finalize() }
        var next = previousMax + 1
        for externalID in RankedRows.canonicalOrder(of: missing).map({ missing[$0] }) {
            sqlite3_bind_int64(insert.handle, 1, next)
            sqlite3_bind_text(insert.handle, 2, externalID, -1, RawStatement.transient)
            try insert.run()
            known[externalID] = next
            next += 1
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
    private func sortedRows(users: ResolvedIDs, movieIDs: [Int64]) -> SortedRows {
        let usersByID = users.ids.indices.sorted { users.ids[$0] < users.ids[$1] }
        var userRank = [Int32](repeating: 0, count: users.ids.count)
        for (rank, user) in usersByID.enumerated() { userRank[user] = Int32(rank) }
        let moviesByID = movieIDs.indices.sorted { movieIDs[$0] < movieIDs[$1] }
        var movieRank = [UInt64](repeating: 0, count: movieIDs.count)
        for (rank, movie) in moviesByID.enumerated() { movieRank[movie] = UInt64(rank) }
        return SortedRows(rows: RankedRows(ratings, userRank: userRank, movieRank: movieRank),
                          userIDs: usersByID.map { users.ids[$0] }, movieIDs: moviesByID.map { movieIDs[$0] },
                          userExisted: usersByID.map { users.ids[$0] <= users.previousMax })
    }

    /// Walks the sorted rows pair by pair, comparing with the stored rating of pre-existing users, counts every
    /// row's outcome, and returns the positions (in `sorted.keys`) of the rows to write, in key order.
    ///
    /// A row replaces the current rating when `timestamp ≥ current timestamp` (a missing timestamp is older than
    /// any other, and on a tie the later row wins).
    private func resolvePairs(
        _ db: Database, sorted: SortedRows, checkExisting: Bool, counts: inout Counts
    ) throws -> [Int32] {
        var writes: [Int32] = []
        writes.reserveCapacity(sorted.rows.keys.count)
        let existing = checkExisting
            ? try RawStatement(db, sql: "SELECT movie_id, rating, timestamp FROM ratings WHERE user_id = ? ORDER BY movie_id")
            : nil
        defer { existing?.finalize() }
        var storedMovie: [Int64] = []
        var storedRating: [Double] = []
        var storedTimestamp: [Int64] = []
        let keys = sorted.rows.keys
        let rating = sorted.rows.rating
        let timestamp = sorted.rows.timestamp
        for rank in 0..<sorted.userIDs.count {
            storedMovie.removeAll(keepingCapacity: true)
            storedRating.removeAll(keepingCapacity: true)
            storedTimestamp.removeAll(keepingCapacity: true)
            if let existing, sorted.userExisted[rank] {
                sqlite3_bind_int64(existing.handle, 1, sorted.userIDs[rank])
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
                let movieRank = keys[position] >> 32
                let movieID = sorted.movieIDs[Int(movieRank)]
                while stored < storedMovie.count && storedMovie[stored] < movieID { stored += 1 }
                var current: (rating: Double, timestamp: Int64)?
                if stored < storedMovie.count && storedMovie[stored] == movieID {
                    current = (storedRating[stored], storedTimestamp[stored])
                }
                var winner = -1
                while position < end && keys[position] >> 32 == movieRank {
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
                if winner >= 0 { writes.append(Int32(winner)) }
            }
        }
        return writes
    }

    /// Inserts (or, when the table already had ratings, upserts) the rows at `positions`, 64 per statement.
    private func write(
        _ db: Database, positions: [Int32], sorted: SortedRows, upsert: Bool, progress: ((ImportProgress) -> Void)?
    ) throws {
        func sql(_ count: Int) -> String {
            "INSERT INTO ratings(user_id, movie_id, rating, timestamp) VALUES "
                + Array(repeating: "(?,?,?,?)", count: count).joined(separator: ",")
                + (upsert ? " ON CONFLICT(user_id, movie_id) DO UPDATE SET rating = excluded.rating, timestamp = excluded.timestamp" : "")
        }
        let width = RatingsImporter.rowsPerStatement
        let full = try RawStatement(db, sql: sql(width))
        defer { full.finalize() }
        let tail = positions.count % width == 0 ? nil : try RawStatement(db, sql: sql(positions.count % width))
        defer { tail?.finalize() }
        let total = positions.count
        let keys = sorted.rows.keys
        let rating = sorted.rows.rating
        let timestamp = sorted.rows.timestamp
        var userRank = 0
        var done = 0
        while done < total {
            let statement = done + width <= total ? full : tail!
            let handle = statement.handle
            let end = min(done + width, total)
            var parameter: Int32 = 1
            for offset in done..<end {
                let position = Int(positions[offset])
                while sorted.rows.userStarts[userRank + 1] <= position { userRank += 1 }
                sqlite3_bind_int64(handle, parameter, sorted.userIDs[userRank])
                sqlite3_bind_int64(handle, parameter + 1, sorted.movieIDs[Int(keys[position] >> 32)])
                sqlite3_bind_double(handle, parameter + 2, rating[position])
                if timestamp[position] == ParsedRatings.missingTimestamp {
                    sqlite3_bind_null(handle, parameter + 3)
                } else {
                    sqlite3_bind_int64(handle, parameter + 3, timestamp[position])
                }
                parameter += 4
            }
            try statement.run()
            done = end
            if done & 0x3FFFF == 0 {
                progress?(ImportProgress(phase: .writing, completed: done, total: total, rows: done))
            }
        }
        progress?(ImportProgress(phase: .writing, completed: total, total: total, rows: total))
    }
}
