import Foundation
import GRDB
import GRDBSQLite

let traceStart = DispatchTime.now().uptimeNanoseconds
func trace(_ label: String) {
    let start = traceStart
    if ProcessInfo.processInfo.environment["MOVIEREC_TRACE"] != nil {
        FileHandle.standardError.write(Data(String(format: "%8.3f %@\n", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, label).utf8))
    }
}

/// One parsed import, applied to a database inside a transaction the caller opened.
struct ImportBatch {
    /// The accepted ratings, in file order.
    let ratings: ParsedRatings
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
    func apply(to db: Database, started: UInt64, progress: ((ImportProgress) -> Void)?) throws -> Counts {
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
        trace("ids resolved")
        let order = sortedRows(userIDs: users.ids, movieIDs: movies.ids)
        var counts = Counts()
        trace("sorted")
        let writes = try resolvePairs(db, order: order, users: users, movieIDs: movies.ids,
                                      checkExisting: existingRatings > 0, counts: &counts)
        let rebuildIndex = writes.count >= 200_000 && writes.count >= existingRatings
        trace("pairs resolved")
        if rebuildIndex { try db.execute(sql: "DROP INDEX \(StoreSchema.ratingsByMovieIndex)") }
        try write(db, rows: writes, userIDs: users.ids, movieIDs: movies.ids, upsert: existingRatings > 0, progress: progress)
        trace("written")
        if rebuildIndex { try db.execute(sql: "CREATE INDEX \(StoreSchema.ratingsByMovieIndex) ON ratings(movie_id)") }

        trace("indexed")
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
    /// depend on row order in the file. `existedBefore(id)` tells whether an id predates this import.
    static func resolveIDs(_ db: Database, table: String, externalIDs: [String]) throws -> ResolvedIDs {
        var known: [String: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT external_id, id FROM \(table)") { known[row[0]] = row[1] }
        let previousMax = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(table)") ?? 0
        var missing = Set<String>()
        for id in externalIDs where known[id] == nil { missing.insert(id) }
        let insert = try db.makeStatement(sql: "INSERT INTO \(table)(id, external_id) VALUES (?, ?)")
        var next = previousMax + 1
        for externalID in missing.sorted(by: externalIDPrecedes) {
            try insert.execute(arguments: [next, externalID])
            known[externalID] = next
            next += 1
        }
        return ResolvedIDs(ids: externalIDs.map { known[$0]! }, previousMax: previousMax)
    }

    /// Canonical order of external ids: canonical integers by value, before any text, texts by Unicode order.
    static func externalIDPrecedes(_ left: String, _ right: String) -> Bool {
        func integer(_ text: String) -> Int? {
            guard let value = Int(text), value >= 0, String(value) == text else { return nil }
            return value
        }
        switch (integer(left), integer(right)) {
        case let (l?, r?): return l < r
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return left < right
        }
    }

    /// Ids of a table resolved for this import.
    struct ResolvedIDs {
        /// Database id per requested external id.
        let ids: [Int64]
        /// The largest id before the import; ids above it were created by it.
        let previousMax: Int64
    }

    /// Row indices ordered by (user id, movie id, file position): a counting sort by user, then a sort of
    /// `movieRank << 32 | row` keys within each user.
    private func sortedRows(userIDs: [Int64], movieIDs: [Int64]) -> (order: [Int32], userStarts: [Int], usersByID: [Int]) {
        let usersByID = (0..<userIDs.count).sorted { userIDs[$0] < userIDs[$1] }
        var userRank = [Int32](repeating: 0, count: userIDs.count)
        for (rank, user) in usersByID.enumerated() { userRank[user] = Int32(rank) }
        let moviesByID = (0..<ratings.movieExternalIDs.count).sorted { movieIDs[$0] < movieIDs[$1] }
        var movieRank = [UInt64](repeating: 0, count: ratings.movieExternalIDs.count)
        for (rank, movie) in moviesByID.enumerated() { movieRank[movie] = UInt64(rank) }

        let count = ratings.count
        var starts = [Int](repeating: 0, count: userIDs.count + 1)
        var order = [Int32](repeating: 0, count: count)
        ratings.userIndex.withUnsafeBufferPointer { userIndex in
            for row in 0..<count { starts[Int(userRank[Int(userIndex[row])]) + 1] += 1 }
            for rank in 0..<userIDs.count { starts[rank + 1] += starts[rank] }
            var fill = starts
            order.withUnsafeMutableBufferPointer { order in
                for row in 0..<count {
                    let rank = Int(userRank[Int(userIndex[row])])
                    order[fill[rank]] = Int32(row)
                    fill[rank] += 1
                }
            }
        }
        var keys: [UInt64] = []
        ratings.movieIndex.withUnsafeBufferPointer { movieIndex in
            order.withUnsafeMutableBufferPointer { order in
                for rank in 0..<userIDs.count where starts[rank + 1] - starts[rank] > 1 {
                    keys.removeAll(keepingCapacity: true)
                    for position in starts[rank]..<starts[rank + 1] {
                        let row = order[position]
                        keys.append(movieRank[Int(movieIndex[Int(row)])] << 32 | UInt64(UInt32(row)))
                    }
                    keys.sort()
                    for (offset, key) in keys.enumerated() {
                        order[starts[rank] + offset] = Int32(truncatingIfNeeded: key)
                    }
                }
            }
        }
        return (order, starts, usersByID)
    }

    /// Walks the sorted rows pair by pair, comparing with the stored rating of pre-existing users, counts every
    /// row's outcome, and returns the winning row of each pair that must be written (in key order).
    ///
    /// A row replaces the current rating when `timestamp ≥ current timestamp` (a missing timestamp is older than
    /// any other, and on a tie the later row wins).
    private func resolvePairs(
        _ db: Database, order sorted: (order: [Int32], userStarts: [Int], usersByID: [Int]),
        users: ResolvedIDs, movieIDs: [Int64], checkExisting: Bool, counts: inout Counts
    ) throws -> [Int32] {
        var writes: [Int32] = []
        writes.reserveCapacity(ratings.count)
        let existing = checkExisting
            ? try RawStatement(db, sql: "SELECT movie_id, rating, timestamp FROM ratings WHERE user_id = ? ORDER BY movie_id")
            : nil
        defer { existing?.finalize() }
        var storedMovie: [Int64] = []
        var storedRating: [Double] = []
        var storedTimestamp: [Int64] = []
        let order = sorted.order
        let movieIndex = ratings.movieIndex
        let rating = ratings.rating
        let timestamp = ratings.timestamp
        for (rank, user) in sorted.usersByID.enumerated() {
            let userID = users.ids[user]
            storedMovie.removeAll(keepingCapacity: true)
            storedRating.removeAll(keepingCapacity: true)
            storedTimestamp.removeAll(keepingCapacity: true)
            if let existing, userID <= users.previousMax {
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
            var position = sorted.userStarts[rank]
            let end = sorted.userStarts[rank + 1]
            while position < end {
                let movie = movieIndex[Int(order[position])]
                let movieID = movieIDs[Int(movie)]
                while stored < storedMovie.count && storedMovie[stored] < movieID { stored += 1 }
                var current: (rating: Double, timestamp: Int64)?
                if stored < storedMovie.count && storedMovie[stored] == movieID {
                    current = (storedRating[stored], storedTimestamp[stored])
                }
                var winner: Int32 = -1
                while position < end && movieIndex[Int(order[position])] == movie {
                    let row = Int(order[position])
                    let candidate = (rating: rating[row], timestamp: timestamp[row])
                    if let present = current {
                        if candidate.timestamp >= present.timestamp
                            && (candidate.rating != present.rating || candidate.timestamp != present.timestamp) {
                            counts.updated += 1
                            current = candidate
                            winner = Int32(row)
                        } else {
                            counts.unchanged += 1
                        }
                    } else {
                        counts.inserted += 1
                        current = candidate
                        winner = Int32(row)
                    }
                    position += 1
                }
                if winner >= 0 { writes.append(winner) }
            }
        }
        return writes
    }

    /// Inserts (or, when the table already had ratings, upserts) the rows, 64 per statement.
    private func write(
        _ db: Database, rows: [Int32], userIDs: [Int64], movieIDs: [Int64], upsert: Bool,
        progress: ((ImportProgress) -> Void)?
    ) throws {
        func sql(_ count: Int) -> String {
            "INSERT INTO ratings(user_id, movie_id, rating, timestamp) VALUES "
                + Array(repeating: "(?,?,?,?)", count: count).joined(separator: ",")
                + (upsert ? " ON CONFLICT(user_id, movie_id) DO UPDATE SET rating = excluded.rating, timestamp = excluded.timestamp" : "")
        }
        let width = RatingsImporter.rowsPerStatement
        let full = try RawStatement(db, sql: sql(width))
        defer { full.finalize() }
        let userIndex = ratings.userIndex
        let movieIndex = ratings.movieIndex
        let rating = ratings.rating
        let timestamp = ratings.timestamp
        func bind(_ statement: RawStatement, _ range: Range<Int>) throws {
            let handle = statement.handle
            var parameter: Int32 = 1
            for position in range {
                let row = Int(rows[position])
                sqlite3_bind_int64(handle, parameter, userIDs[Int(userIndex[row])])
                sqlite3_bind_int64(handle, parameter + 1, movieIDs[Int(movieIndex[row])])
                sqlite3_bind_double(handle, parameter + 2, rating[row])
                if timestamp[row] == ParsedRatings.missingTimestamp {
                    sqlite3_bind_null(handle, parameter + 3)
                } else {
                    sqlite3_bind_int64(handle, parameter + 3, timestamp[row])
                }
                parameter += 4
            }
            try statement.run()
        }
        var position = 0
        var statements = 0
        while position + width <= rows.count {
            try bind(full, position..<(position + width))
            position += width
            statements += 1
            if statements & 0xFFF == 0 { progress?(ImportProgress(phase: .writing, completed: position, total: rows.count, rows: position)) }
        }
        if position < rows.count {
            let tail = try RawStatement(db, sql: sql(rows.count - position))
            defer { tail.finalize() }
            try bind(tail, position..<rows.count)
        }
        progress?(ImportProgress(phase: .writing, completed: rows.count, total: rows.count, rows: rows.count))
    }
}
