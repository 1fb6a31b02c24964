import Foundation
import GRDB
import GRDBSQLite

/// A movie as stored: internal id, external id, and catalogue data when a movie file provided it.
public struct MovieInfo: Sendable, Equatable, Codable {
    /// Internal database id (`movies.id`).
    public let id: Int64
    /// The id as written in the imported files.
    public let externalID: String
    /// The title as given (`nil` for movies only seen in ratings).
    public let title: String?
    /// The release year parsed from the title, if any.
    public let year: Int?
    /// Genre names.
    public let genres: [String]

    /// Creates a movie description.
    public init(id: Int64, externalID: String, title: String?, year: Int?, genres: [String]) {
        self.id = id
        self.externalID = externalID
        self.title = title
        self.year = year
        self.genres = genres
    }

    /// The title, or `movie <external id>` when the catalogue has none.
    public var displayTitle: String { title ?? "movie \(externalID)" }

    init(row: Row) {
        let genres: String? = row["genres"]
        self.init(id: row["id"], externalID: row["external_id"], title: row["title"], year: row["year"],
                  genres: (genres ?? "").split(separator: "|").map(String.init))
    }
}

/// A movie's ids in other catalogues, from a MovieLens `links.csv` (``ImportOptions/linksFile``).
public struct MovieLinks: Sendable, Equatable, Codable {
    /// The movie's external id in this store.
    public let externalID: String
    /// The IMDb id, `tt` followed by at least 7 digits (`tt0114709`), if known.
    public let imdbID: String?
    /// The TMDb (themoviedb.org) id, if known.
    public let tmdbID: Int64?

    /// Creates a link record.
    public init(externalID: String, imdbID: String?, tmdbID: Int64?) {
        self.externalID = externalID
        self.imdbID = imdbID
        self.tmdbID = tmdbID
    }

    /// `tt` + the digits padded to 7 (`114709` → `tt0114709`, `tt0114709` unchanged); `nil` unless the text is
    /// 1–10 digits with an optional `tt` prefix.
    public static func canonicalIMDbID(_ text: String) -> String? {
        var digits = Substring(text.trimmingASCIISpaces())
        if digits.lowercased().hasPrefix("tt") { digits = digits.dropFirst(2) }
        guard (1...10).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let value = String(digits)
        return "tt" + String(repeating: "0", count: max(0, 7 - value.count)) + value
    }
}

/// Every rating of the store in dense-index form, ready for the model.
///
/// Users and movies are numbered 0..<n in ascending database-id order; `movieIDs` covers *all* movies, rated or
/// not. The rating columns are sorted by (user, movie) and hold one row per pair.
public struct RatingTable: Sendable, Equatable {
    /// Dense user index → `users.id`.
    public let userIDs: [Int64]
    /// Dense user index → external user id.
    public let userExternalIDs: [String]
    /// Dense movie index → `movies.id`.
    public let movieIDs: [Int64]
    /// Dense movie index → external movie id.
    public let movieExternalIDs: [String]
    /// Per rating: dense user index.
    public let userIndex: [Int32]
    /// Per rating: dense movie index.
    public let movieIndex: [Int32]
    /// Per rating: the rating value.
    public let rating: [Float]
    /// Per rating: Unix timestamp in seconds, or ``ParsedRatings/missingTimestamp``.
    public let timestamp: [Int64]

    /// Creates a table from its columns.
    public init(
        userIDs: [Int64], userExternalIDs: [String], movieIDs: [Int64], movieExternalIDs: [String],
        userIndex: [Int32], movieIndex: [Int32], rating: [Float], timestamp: [Int64]
    ) {
        self.userIDs = userIDs
        self.userExternalIDs = userExternalIDs
        self.movieIDs = movieIDs
        self.movieExternalIDs = movieExternalIDs
        self.userIndex = userIndex
        self.movieIndex = movieIndex
        self.rating = rating
        self.timestamp = timestamp
    }

    /// Number of ratings.
    public var count: Int { rating.count }

    /// Creates a table from the ids and a scan's rating columns.
    init(userIDs: [Int64], userExternalIDs: [String], movieIDs: [Int64], movieExternalIDs: [String],
         columns: RatingColumns) {
        self.init(userIDs: userIDs, userExternalIDs: userExternalIDs, movieIDs: movieIDs,
                  movieExternalIDs: movieExternalIDs, userIndex: columns.userIndex, movieIndex: columns.movieIndex,
                  rating: columns.rating, timestamp: columns.timestamp)
    }
}

/// Summary figures of a store (the `stats` command).
public struct StoreStatistics: Sendable, Equatable, Codable {
    /// How many ratings share one rating value (or fall in one bin for continuous scales).
    public struct RatingBucket: Sendable, Equatable, Codable {
        /// Lowest rating of the bucket (the exact value for discrete scales).
        public let from: Double
        /// Highest rating of the bucket (equal to `from` for discrete scales).
        public let to: Double
        /// Number of ratings in the bucket.
        public let count: Int
    }

    /// A movie with its rating count and mean rating.
    ///
    /// In JSON a movie has the shape every command uses: `{"movie": "<external id>", "title": …, "year": …,
    /// "genres": […], "ratings": n, "meanRating": x}` (`title`/`year` absent when unknown).
    public struct RatedMovie: Sendable, Equatable, Codable {
        /// The movie.
        public let movie: MovieInfo
        /// Number of ratings it received.
        public let ratings: Int
        /// Mean of its ratings.
        public let meanRating: Double

        private enum CodingKeys: String, CodingKey { case movie, internalID, title, year, genres, ratings, meanRating }

        /// Creates an entry.
        public init(movie: MovieInfo, ratings: Int, meanRating: Double) {
            self.movie = movie
            self.ratings = ratings
            self.meanRating = meanRating
        }

        /// Reads the JSON shape written by ``encode(to:)``.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            movie = MovieInfo(id: try container.decodeIfPresent(Int64.self, forKey: .internalID) ?? 0,
                              externalID: try container.decode(String.self, forKey: .movie),
                              title: try container.decodeIfPresent(String.self, forKey: .title),
                              year: try container.decodeIfPresent(Int.self, forKey: .year),
                              genres: try container.decodeIfPresent([String].self, forKey: .genres) ?? [])
            ratings = try container.decode(Int.self, forKey: .ratings)
            meanRating = try container.decode(Double.self, forKey: .meanRating)
        }

        /// Writes the movie as its external id plus title, year and genres; the mean to 6 significant digits.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(movie.externalID, forKey: .movie)
            try container.encodeIfPresent(movie.title, forKey: .title)
            try container.encodeIfPresent(movie.year, forKey: .year)
            try container.encode(movie.genres, forKey: .genres)
            try container.encode(ratings, forKey: .ratings)
            try container.encode(StoreStatistics.rounded(meanRating), forKey: .meanRating)
        }
    }

    /// `value` to 6 significant digits, for JSON (`0.043169650000000004` → `0.0431697`).
    public static func rounded(_ value: Double) -> Double {
        guard value.isFinite, value != 0 else { return value }
        return Double(String(format: "%.6g", value)) ?? value
    }

    private enum CodingKeys: String, CodingKey {
        case users, movies, ratedMovies, ratings, density, meanRating, distribution, mostRated, ratingsVersion, imports
    }

    /// Writes every field, the floating-point ones to 6 significant digits.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(users, forKey: .users)
        try container.encode(movies, forKey: .movies)
        try container.encode(ratedMovies, forKey: .ratedMovies)
        try container.encode(ratings, forKey: .ratings)
        try container.encode(Self.rounded(density), forKey: .density)
        try container.encode(Self.rounded(meanRating), forKey: .meanRating)
        try container.encode(distribution.map {
            RatingBucket(from: Self.rounded($0.from), to: Self.rounded($0.to), count: $0.count)
        }, forKey: .distribution)
        try container.encode(mostRated, forKey: .mostRated)
        try container.encode(ratingsVersion, forKey: .ratingsVersion)
        try container.encode(imports, forKey: .imports)
    }

    /// Number of users.
    public let users: Int
    /// Number of movies (including movies nobody rated).
    public let movies: Int
    /// Number of movies with at least one rating.
    public let ratedMovies: Int
    /// Number of ratings.
    public let ratings: Int
    /// `ratings / (users × movies)`; 0 for an empty store.
    public let density: Double
    /// Mean rating (0 for an empty store).
    public let meanRating: Double
    /// Rating distribution: exact values when there are at most 20 distinct values, else 10 equal-width bins.
    public let distribution: [RatingBucket]
    /// The most-rated movies, by count descending then id.
    public let mostRated: [RatedMovie]
    /// The store's ratings version (see ``RatingStore/ratingsVersion()``).
    public let ratingsVersion: Int64
    /// Number of imports recorded in `import_log`.
    public let imports: Int
}

/// The SQLite store of users, movies and ratings (GRDB).
///
/// ```swift
/// let store = try RatingStore(path: "movierec.sqlite")
/// let table = try store.loadRatings()
/// ```
public final class RatingStore: Sendable {
    /// The database file.
    public let path: String
    /// Whether the store was opened read-only (`createIfMissing: false`): reads never write, and the first
    /// write (``databaseWriter``) opens a second, writable connection.
    public let isReadOnly: Bool
    private let queue: DatabaseQueue
    private let writerLock = NSLock()
    nonisolated(unsafe) private var writer: DatabaseQueue?

    /// Opens the database at `path`.
    ///
    /// - With `createIfMissing` (import, tests) the file is opened for writing, created when missing, and the
    ///   schema is created or upgraded (``StoreSchema/migrator``) — only in an empty file or a movierec database.
    /// - Without it (every read command) a missing file throws ``StoreError`` `.databaseNotFound`, and the file is
    ///   opened **read-only**: a file that is not movierec's (``StoreSchema/identity(_:)``) or holds no tables
    ///   throws `.notMovieRecDatabase` and is left exactly as it was. A movierec database written before
    ///   ``StoreSchema/applicationID`` existed is read as it is and upgraded by the next write (import, train).
    public init(path: String, createIfMissing: Bool = true) throws {
        if !createIfMissing && !FileManager.default.fileExists(atPath: path) {
            throw StoreError(.databaseNotFound, file: path, reason: "no database here",
                             expected: "a database created by `movierec import` (or pass --db)")
        }
        self.path = path
        self.isReadOnly = !createIfMissing
        self.queue = createIfMissing ? try Self.openQueue(path: path, bulkWriting: false) : try Self.openReader(path: path)
    }

    /// The GRDB writer, for later modules' own tables (model persistence). On a read-only store the first use
    /// opens a writable connection (checking again that the file is movierec's, and upgrading its schema).
    public var databaseWriter: any DatabaseWriter {
        get throws {
            guard isReadOnly else { return queue }
            writerLock.lock()
            defer { writerLock.unlock() }
            if let writer { return writer }
            let opened = try Self.openQueue(path: path, bulkWriting: false)
            writer = opened
            return opened
        }
    }

    /// The GRDB reader every query of the store goes through (read-only when ``isReadOnly``).
    public var databaseReader: any DatabaseReader { queue }

    /// Busy timeout of every connection, in seconds. With write-ahead logging readers never wait for an import;
    /// the timeout only covers two writers at once.
    static let busyTimeout: TimeInterval = 10

    /// Opens `path` read-only and checks that it is a movierec database (a legacy one included).
    static func openReader(path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(busyTimeout)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let identity = try queue.read { db in try StoreSchema.identity(db) }
            try StoreSchema.check(identity, path: path, allowEmpty: false)
            return queue
        } catch let error as DatabaseError where [.SQLITE_CANTOPEN, .SQLITE_PERM].contains(error.resultCode) {
            throw StoreError(.unreadableFile, file: path,
                             reason: "cannot open the database (\(StoreError.shortened(error.message ?? "\(error.resultCode)")))",
                             expected: "a readable SQLite file")
        } catch {
            throw StoreError.wrapping(error, database: path, while: "opening the database")
        }
    }

    /// Opens a writable queue on `path`, refuses a file that is not empty and not movierec's, applies
    /// ``StoreSchema/migrator``, stamps ``StoreSchema/applicationID`` and switches the file to write-ahead logging
    /// (unless `prepare` chose another journal mode, as the build of a brand-new database does).
    /// `bulkWriting` disables foreign-key checks (the importer guarantees them by construction) and enlarges the
    /// page cache.
    static func openQueue(path: String, bulkWriting: Bool, prepare: (@Sendable (Database) throws -> Void)? = nil) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = !bulkWriting
        configuration.prepareDatabase { db in
            if bulkWriting { try db.execute(sql: "PRAGMA cache_size = -262144") }
            try prepare?(db)
        }
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            let identity = try queue.read { db in try StoreSchema.identity(db) }
            try StoreSchema.check(identity, path: path, allowEmpty: true)
            try StoreSchema.migrator.migrate(queue)
            try queue.writeWithoutTransaction { db in
                try StoreSchema.stamp(db)
                if prepare == nil { try enableWriteAheadLog(db) }
            }
            return queue
        } catch let error as DatabaseError where [.SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM].contains(error.resultCode) {
            throw StoreError(.unwritableDatabase, file: path,
                             reason: "cannot open or create the database (\(StoreError.shortened(error.message ?? "\(error.resultCode)")))",
                             expected: "a writable file in an existing directory")
        } catch {
            throw StoreError.wrapping(error, database: path, while: "opening the database")
        }
    }

    /// `PRAGMA journal_mode = WAL` when the file is in another mode: readers then keep reading the last committed
    /// data while an import writes, and a commit never waits for them (nor they for it).
    static func enableWriteAheadLog(_ db: Database) throws {
        let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? ""
        if mode.lowercased() != "wal" { try db.execute(sql: "PRAGMA journal_mode = WAL") }
    }

    /// The ratings version: incremented by every import that inserted or updated a rating. A model stores the
    /// version it was trained on and is stale when the store's version differs.
    public func ratingsVersion() throws -> Int64 {
        try read("reading the ratings version") { db in
            try Int64.fetchOne(db, sql: "SELECT ratings_version FROM store_state WHERE id = 1") ?? 0
        }
    }

    /// Loads all users, movies and ratings in one read transaction (see ``RatingTable``).
    ///
    /// Stores of at least ``parallelLoadThreshold`` ratings are scanned in two halves by user id at once,
    /// the second on a second read-only connection; its rows are used only when that connection sees the
    /// same ratings version as the main transaction (else the main transaction reads them too), so the
    /// result is always one consistent snapshot.
    ///
    /// - Parameter includeTimestamps: `false` leaves ``RatingTable/timestamp`` empty (the model does not use
    ///   timestamps; at 25 M ratings that saves 200 MB).
    public func loadRatings(includeTimestamps: Bool = true) throws -> RatingTable {
        try loadRatings(parallelAbove: Self.parallelLoadThreshold, includeTimestamps: includeTimestamps)
    }

    /// ``loadRatings()`` with two connections from `threshold` ratings on.
    func loadRatings(parallelAbove threshold: Int, includeTimestamps: Bool = true) throws -> RatingTable {
        try read("loading ratings") { db in
            var userIDs: [Int64] = []
            var userExternalIDs: [String] = []
            for row in try Row.fetchAll(db, sql: "SELECT id, external_id FROM users ORDER BY id") {
                userIDs.append(row[0])
                userExternalIDs.append(row[1])
            }
            var movieIDs: [Int64] = []
            var movieExternalIDs: [String] = []
            for row in try Row.fetchAll(db, sql: "SELECT id, external_id FROM movies ORDER BY id") {
                movieIDs.append(row[0])
                movieExternalIDs.append(row[1])
            }
            let userDense = DenseIndex(ids: userIDs)
            let movieDense = DenseIndex(ids: movieIDs)
            let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ratings") ?? 0
            // Large stores are read in two halves by user id at once: the second half on a second
            // read-only connection, kept only when it sees the same ratings version as this transaction.
            guard count >= threshold, userIDs.count >= 2 else {
                return RatingTable(userIDs: userIDs, userExternalIDs: userExternalIDs, movieIDs: movieIDs,
                                   movieExternalIDs: movieExternalIDs,
                                   columns: try RatingColumns(db, users: userDense, movies: movieDense,
                                                              userIDs: nil, capacity: count,
                                                              timestamps: includeTimestamps))
            }
            let split = userIDs[userIDs.count / 2]
            let version = try Int64.fetchOne(db, sql: "SELECT ratings_version FROM store_state WHERE id = 1") ?? 0
            let path = self.path
            nonisolated(unsafe) var second: RatingColumns?
            let group = DispatchGroup()
            DispatchQueue.global().async(group: group) {
                var configuration = Configuration()
                configuration.readonly = true
                second = try? DatabaseQueue(path: path, configuration: configuration).read { other in
                    let seen = try Int64.fetchOne(other, sql: "SELECT ratings_version FROM store_state WHERE id = 1")
                    guard seen == version else { return nil }
                    return try RatingColumns(other, users: userDense, movies: movieDense, userIDs: split..<Int64.max,
                                             capacity: count / 2, timestamps: includeTimestamps)
                }
            }
            var columns = try RatingColumns(db, users: userDense, movies: movieDense, userIDs: Int64.min..<split,
                                            capacity: count, timestamps: includeTimestamps)
            group.wait()
            columns.append(try second ?? RatingColumns(db, users: userDense, movies: movieDense,
                                                       userIDs: split..<Int64.max, capacity: count / 2,
                                                       timestamps: includeTimestamps))
            return RatingTable(userIDs: userIDs, userExternalIDs: userExternalIDs, movieIDs: movieIDs,
                               movieExternalIDs: movieExternalIDs, columns: columns)
        }
    }

    /// Stores with at least this many ratings are loaded by two connections at once.
    static let parallelLoadThreshold = 1 << 20

    /// Counts, density, rating distribution and the `topMovies` most-rated movies.
    public func statistics(topMovies: Int = 10) throws -> StoreStatistics {
        try read("computing statistics") { db in
            let users = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0
            let movies = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM movies") ?? 0
            let totals = try RatingTotals(db)
            let values = totals.valueCounts.sorted { $0.key < $1.key }.map { (rating: $0.key, count: $0.value) }
            let ratings = values.reduce(0) { $0 + $1.count }
            let sum = values.reduce(0.0) { $0 + $1.rating * Double($1.count) }
            let ratedMovies = totals.count.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
            let topIndices = totals.mostRated(among: totals.ids.indices.filter { totals.count[$0] > 0 },
                                              limit: max(topMovies, 0))
            let statement = try db.makeStatement(sql: "SELECT id, external_id, title, year, genres FROM movies WHERE id = ?")
            let mostRated = try topIndices.map { index in
                let row = try Row.fetchOne(statement, arguments: [totals.ids[index]])!
                return StoreStatistics.RatedMovie(movie: MovieInfo(row: row), ratings: totals.count[index],
                                                  meanRating: totals.sum[index] / Double(totals.count[index]))
            }
            let cells = Double(users) * Double(movies)
            return StoreStatistics(
                users: users, movies: movies, ratedMovies: ratedMovies, ratings: ratings,
                density: cells > 0 ? Double(ratings) / cells : 0,
                meanRating: ratings > 0 ? sum / Double(ratings) : 0,
                distribution: Self.distribution(values),
                mostRated: mostRated,
                ratingsVersion: try Int64.fetchOne(db, sql: "SELECT ratings_version FROM store_state WHERE id = 1") ?? 0,
                imports: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM import_log") ?? 0)
        }
    }

    /// Exact values when there are at most 20, else 10 equal-width bins over [min, max]
    /// (bin `b` holds ratings r with `b = min(9, floor((r − min) / (max − min) × 10))`).
    static func distribution(_ values: [(rating: Double, count: Int)]) -> [StoreStatistics.RatingBucket] {
        guard values.count > 20, let low = values.first?.rating, let high = values.last?.rating else {
            return values.map { StoreStatistics.RatingBucket(from: $0.rating, to: $0.rating, count: $0.count) }
        }
        let width = (high - low) / 10
        var counts = [Int](repeating: 0, count: 10)
        for value in values { counts[min(9, Int((value.rating - low) / width))] += value.count }
        return (0..<10).map {
            StoreStatistics.RatingBucket(from: low + Double($0) * width, to: $0 == 9 ? high : low + Double($0 + 1) * width,
                                         count: counts[$0])
        }
    }

    /// Movies by internal id; ids that do not exist are absent from the result.
    public func movies(internalIDs: [Int64]) throws -> [Int64: MovieInfo] {
        try read("looking up movies") { db in
            var result: [Int64: MovieInfo] = [:]
            let statement = try db.makeStatement(sql: "SELECT id, external_id, title, year, genres FROM movies WHERE id = ?")
            for id in internalIDs where result[id] == nil {
                if let row = try Row.fetchOne(statement, arguments: [id]) { result[id] = MovieInfo(row: row) }
            }
            return result
        }
    }

    /// Movies whose external id equals `titleOrID`; else whose title equals it (ignoring case); else whose title
    /// contains it (ignoring case), most-rated first, at most 50.
    public func findMovies(matching titleOrID: String) throws -> [MovieInfo] {
        let query = titleOrID.trimmingCharacters(in: .whitespaces)
        guard !query.isEmpty else { return [] }
        return try read("searching movies") { db in
            let columns = "SELECT id, external_id, title, year, genres FROM movies"
            let byID = try Row.fetchAll(db, sql: "\(columns) WHERE external_id = ?", arguments: [query])
            if !byID.isEmpty { return byID.map(MovieInfo.init(row:)) }
            let exact = try Row.fetchAll(db, sql: "\(columns) WHERE title = ? COLLATE NOCASE", arguments: [query])
            if !exact.isEmpty { return try Self.mostRatedFirst(db, exact.map(MovieInfo.init(row:))) }
            let escaped = query.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            let containing = try Row.fetchAll(db, sql: "\(columns) WHERE title LIKE ? ESCAPE '\\'",
                                              arguments: ["%\(escaped)%"])
            return try Self.mostRatedFirst(db, containing.map(MovieInfo.init(row:)))
        }
    }

    /// Every movie's IMDb and TMDb ids, by external movie id; only movies with at least one of the two are
    /// present. Empty for a database without links (none imported, or written before links existed).
    ///
    /// ```swift
    /// let links = try store.movieLinks()
    /// links["1"]?.imdbID   // "tt0114709" after `movierec import ratings.csv --links links.csv`
    /// ```
    public func movieLinks() throws -> [String: MovieLinks] {
        try read("reading movie links") { db in
            guard try Self.hasLinkColumns(db) else { return [:] }
            var result: [String: MovieLinks] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT external_id, imdb_id, tmdb_id FROM movies WHERE imdb_id IS NOT NULL OR tmdb_id IS NOT NULL
                """) {
                let links = MovieLinks(externalID: row[0], imdbID: row[1], tmdbID: row[2])
                result[links.externalID] = links
            }
            return result
        }
    }

    /// The movies whose IMDb id is `imdbID` (`tt0114709`, or its digits `0114709` / `114709`), as stored by a
    /// links import; empty when none (or no links were imported).
    public func movies(imdbID: String) throws -> [MovieInfo] {
        guard let canonical = MovieLinks.canonicalIMDbID(imdbID) else { return [] }
        return try read("looking up an IMDb id") { db in
            guard try Self.hasLinkColumns(db) else { return [] }
            return try Row.fetchAll(db, sql: "SELECT id, external_id, title, year, genres FROM movies WHERE imdb_id = ? ORDER BY id",
                                    arguments: [canonical]).map(MovieInfo.init(row:))
        }
    }

    /// Whether `movies` has the link columns (migration ``StoreSchema/linksMigration``; a read-only store may
    /// predate it).
    private static func hasLinkColumns(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM pragma_table_info('movies') WHERE name = 'imdb_id')") ?? false
    }

    /// Whether `table` exists, asked of SQLite itself (GRDB's schema cache of a read-only connection does not see
    /// tables another connection created since).
    static func tableExists(_ db: Database, _ table: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?)",
                          arguments: [table]) ?? false
    }

    /// `movies` ordered by rating count (descending), then id, at most 50. The ratings table has no index by
    /// movie, so the counts come from one scan of it, skipped when there is at most one movie to order.
    private static func mostRatedFirst(_ db: Database, _ movies: [MovieInfo]) throws -> [MovieInfo] {
        guard movies.count > 1 else { return movies }
        let totals = try RatingTotals(db)
        let byID = Dictionary(uniqueKeysWithValues: totals.ids.enumerated().map { ($1, $0) })
        let wanted = movies.compactMap { byID[$0.id] }
        let moviesByID = Dictionary(uniqueKeysWithValues: movies.map { ($0.id, $0) })
        return totals.mostRated(among: wanted, limit: 50).map { moviesByID[totals.ids[$0]]! }
    }

    private func read<T>(_ action: String, _ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch { throw StoreError.wrapping(error, database: path, while: action) }
    }
}

/// Rating count and sum per movie, and the number of ratings of each value, from one scan of the ratings table
/// in primary-key order (no index or temporary B-tree needed: SQLite's `GROUP BY` over 50 M rows takes ~30 s).
struct RatingTotals {
    /// Movie ids, ascending.
    let ids: [Int64]
    /// Per movie: number of ratings.
    let count: [Int]
    /// Per movie: sum of its ratings.
    let sum: [Double]
    /// Rating value → number of ratings with it.
    let valueCounts: [Double: Int]

    init(_ db: Database) throws {
        let ids = try Int64.fetchAll(db, sql: "SELECT id FROM movies ORDER BY id")
        let dense = DenseIndex(ids: ids)
        var count = [Int](repeating: 0, count: ids.count)
        var sum = [Double](repeating: 0, count: ids.count)
        var valueCounts: [Double: Int] = [:]
        let statement = try RawStatement(db, sql: "SELECT movie_id, rating FROM ratings")
        defer { statement.finalize() }
        while try statement.step() {
            let index = Int(dense[sqlite3_column_int64(statement.handle, 0)])
            let rating = sqlite3_column_double(statement.handle, 1)
            count[index] += 1
            sum[index] += rating
            valueCounts[rating, default: 0] += 1
        }
        self.ids = ids
        self.count = count
        self.sum = sum
        self.valueCounts = valueCounts
    }

    /// The `limit` indices among `candidates` with the most ratings (ties by ascending id), most-rated first.
    func mostRated<Candidates: Sequence<Int>>(among candidates: Candidates, limit: Int) -> [Int] {
        Array(candidates.sorted { count[$0] != count[$1] ? count[$0] > count[$1] : ids[$0] < ids[$1] }.prefix(limit))
    }
}

/// Maps database ids to dense indices: an array when ids are compact, else a dictionary.
struct DenseIndex {
    private let flat: [Int32]
    private let sparse: [Int64: Int32]

    /// `ids[i]` gets index `i`.
    init(ids: [Int64]) {
        let maxID = ids.max() ?? 0
        if let minID = ids.min(), minID >= 0, maxID < Int64(ids.count) * 4 + 1024 {
            var flat = [Int32](repeating: -1, count: Int(maxID) + 1)
            for (index, id) in ids.enumerated() { flat[Int(id)] = Int32(index) }
            self.flat = flat
            self.sparse = [:]
        } else {
            self.flat = []
            self.sparse = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, Int32($0)) })
        }
    }

    /// The dense index of `id` (−1 when unknown, which the schema's foreign keys rule out).
    subscript(id: Int64) -> Int32 {
        if !flat.isEmpty { return id >= 0 && id < Int64(flat.count) ? flat[Int(id)] : -1 }
        return sparse[id] ?? -1
    }
}

/// A prepared statement used through the SQLite C API, for the bulk paths.
final class RawStatement {
    /// `SQLITE_TRANSIENT`: SQLite copies bound text before the call returns.
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    let handle: OpaquePointer
    private let connection: OpaquePointer

    init(_ db: Database, sql: String) throws {
        guard let connection = db.sqliteConnection else {
            throw StoreError(.database, reason: "the database connection is closed")
        }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(connection, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw StoreError(.database, reason: "preparing a statement failed: \(String(cString: sqlite3_errmsg(connection)))")
        }
        self.handle = statement
        self.connection = connection
    }

    /// Steps once: `true` when a row is available, `false` when done.
    @inline(__always)
    func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let message = StoreError.shortened(String(cString: sqlite3_errmsg(connection)))
            if code & 0xFF == SQLITE_CONSTRAINT {
                throw StoreError(.constraintViolation, reason: "the database refused a value (\(message))",
                                 expected: "ids that differ as text; please report this with the input file")
            }
            throw StoreError(.database, reason: "SQLite error \(code): \(message)")
        }
    }

    /// Runs to completion and resets for reuse (bindings are kept until rebound).
    @inline(__always)
    func run() throws {
        while try step() {}
        sqlite3_reset(handle)
    }

    func finalize() { sqlite3_finalize(handle) }
}

/// The rating columns of a scan of `ratings` in (user, movie) order, with ids mapped to dense indices.
struct RatingColumns: @unchecked Sendable {
    /// Dense user index of each rating.
    var userIndex: [Int32] = []
    /// Dense film index of each rating.
    var movieIndex: [Int32] = []
    /// Rating values.
    var rating: [Float] = []
    /// Timestamps (``ParsedRatings/missingTimestamp`` when absent).
    var timestamp: [Int64] = []

    /// Reads the ratings of the users whose database id is in `userIDs` (all users when `nil`), reserving
    /// room for `capacity` rows; `timestamp` stays empty unless `timestamps`.
    init(_ db: Database, users: DenseIndex, movies: DenseIndex, userIDs: Range<Int64>?, capacity: Int,
         timestamps: Bool) throws {
        // Without timestamps the column is not even read (one VDBE column step less per row).
        var sql = "SELECT user_id, movie_id, rating\(timestamps ? ", timestamp" : "") FROM ratings"
        if userIDs != nil { sql += " WHERE user_id >= ?1 AND user_id < ?2" }
        let statement = try RawStatement(db, sql: sql + " ORDER BY user_id, movie_id")
        defer { statement.finalize() }
        if let userIDs {
            sqlite3_bind_int64(statement.handle, 1, userIDs.lowerBound)
            sqlite3_bind_int64(statement.handle, 2, userIDs.upperBound)
        }
        userIndex.reserveCapacity(capacity)
        movieIndex.reserveCapacity(capacity)
        rating.reserveCapacity(capacity)
        if timestamps { timestamp.reserveCapacity(capacity) }
        while try statement.step() {
            let handle = statement.handle
            userIndex.append(users[sqlite3_column_int64(handle, 0)])
            movieIndex.append(movies[sqlite3_column_int64(handle, 1)])
            rating.append(Float(sqlite3_column_double(handle, 2)))
            if timestamps {
                timestamp.append(sqlite3_column_type(handle, 3) == SQLITE_NULL
                                 ? ParsedRatings.missingTimestamp : sqlite3_column_int64(handle, 3))
            }
        }
    }

    /// Appends the rows of `other` (a later range of users).
    mutating func append(_ other: RatingColumns) {
        userIndex += other.userIndex
        movieIndex += other.movieIndex
        rating += other.rating
        timestamp += other.timestamp
    }
}
