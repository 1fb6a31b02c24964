import Foundation
import GRDB
import GRDBSQLite
import MovieRecModel

/// What a model was trained on, cheap to compute from a ``RatingTable``: the store's ratings version, the
/// user, film and rating counts, and a checksum of the users' and films' database ids in dense-index order.
///
/// Two equal fingerprints mean the dense user and film indices of the training data are those of the table
/// (the model's factor rows line up with them) and no import changed a rating since.
public struct RatingsFingerprint: Sendable, Equatable, Codable {
    /// The store's ratings version (see ``RatingStore/ratingsVersion()``).
    public let ratingsVersion: Int64
    /// Number of users (dense user indices `0..<users`).
    public let users: Int
    /// Number of films, rated or not (dense film indices `0..<movies`).
    public let movies: Int
    /// Number of ratings.
    public let ratings: Int
    /// FNV-1a (64 bit) over the little-endian bytes of `userIDs` then `movieIDs` (the dense → database id maps).
    public let idChecksum: UInt64

    /// Creates a fingerprint from its parts.
    public init(ratingsVersion: Int64, users: Int, movies: Int, ratings: Int, idChecksum: UInt64) {
        self.ratingsVersion = ratingsVersion
        self.users = users
        self.movies = movies
        self.ratings = ratings
        self.idChecksum = idChecksum
    }

    /// The fingerprint of `table`, read from a store at `ratingsVersion`.
    public init(table: RatingTable, ratingsVersion: Int64) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for ids in [table.userIDs, [-1], table.movieIDs] {
            for id in ids {
                var value = UInt64(bitPattern: id)
                for _ in 0..<8 {
                    hash = (hash ^ (value & 0xFF)) &* 0x0000_0100_0000_01B3
                    value >>= 8
                }
            }
        }
        self.init(ratingsVersion: ratingsVersion, users: table.userIDs.count, movies: table.movieIDs.count,
                  ratings: table.count, idChecksum: hash)
    }

    /// Whether a model trained on `self` can be restored with ratings of fingerprint `other`: same users, films
    /// (ids and order) and number of ratings. The ratings version may differ (a stale but restorable model).
    public func hasSameShape(as other: RatingsFingerprint) -> Bool {
        users == other.users && movies == other.movies && ratings == other.ratings && idChecksum == other.idChecksum
    }
}

/// Why a saved model does not match the current ratings.
public struct Staleness: Sendable, Equatable, CustomStringConvertible {
    /// What the model was trained on.
    public let trained: RatingsFingerprint
    /// What the database holds now.
    public let current: RatingsFingerprint

    /// Whether the stale model can still be restored (same users, films and rating count: only rating values
    /// changed). Otherwise its factor rows no longer line up with the users and films, and it must be retrained.
    public var isRestorable: Bool { trained.hasSameShape(as: current) }

    /// E.g. `the model is stale (trained on ratings version 1, the database is at 2)`.
    public var description: String {
        if trained.ratingsVersion != current.ratingsVersion {
            return "the model is stale (trained on ratings version \(trained.ratingsVersion), "
                + "the database is at \(current.ratingsVersion))"
        }
        return "the model was trained on other data (\(trained.users) users, \(trained.movies) films, "
            + "\(trained.ratings) ratings; the database has \(current.users) users, \(current.movies) films, "
            + "\(current.ratings) ratings)"
    }
}

/// A saved model's metadata (everything but the factor arrays).
public struct ModelInfo: Sendable, Equatable {
    /// Row id in `models`.
    public let id: Int64
    /// When it was saved, ISO 8601 UTC.
    public let createdAt: String
    /// The ratings it was trained on.
    public let fingerprint: RatingsFingerprint
    /// Shapes, parameters and μ.
    public let header: ModelArchive.Header
    /// Wall-clock seconds the training took.
    public let trainingSeconds: Double

    /// `nil` when the model matches `current`, else why not.
    public func staleness(against current: RatingsFingerprint) -> Staleness? {
        fingerprint == current ? nil : Staleness(trained: fingerprint, current: current)
    }
}

/// Saves trained models into the store's SQLite file and restores them without retraining.
///
/// The `models` table (migration ``migrationName``, appended after ``StoreSchema/migrator``'s own):
///
///     models(id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT, ratings_version INTEGER,
///            user_count, movie_count, rating_count INTEGER, id_checksum INTEGER (UInt64 bit pattern),
///            training_seconds REAL, parameters TEXT (JSON), header TEXT (JSON of ModelArchive.Header),
///            biases BLOB, latent_factors BLOB, watch_factors BLOB)
///
/// The BLOBs are the ``ModelArchive`` arrays as raw little-endian Float32, written and read piece by piece
/// through SQLite's incremental BLOB I/O straight from and into the model's arrays (``FactorBlob``).
/// Only the latest model is kept: ``save(_:trainedOn:trainingSeconds:)`` replaces older ones in one transaction.
///
/// ```swift
/// let store = try RatingStore(path: "movierec.sqlite")
/// let repository = try ModelRepository(store: store)
/// let snapshot = try store.ratingsSnapshot()
/// let model = try Model.train(data: snapshot.table.ratingData)
/// try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 1.2)
/// let restored = try repository.loadLatest(ratings: snapshot.table, fingerprint: snapshot.fingerprint)
/// ```
public final class ModelRepository: Sendable {
    /// Name of the migration that creates `models`.
    public static let migrationName = "v2-model"

    /// The store the models live in.
    public let store: RatingStore

    /// Opens the repository. On a store opened for writing the `models` table is created when missing; on a
    /// read-only store (``RatingStore/isReadOnly``) nothing is written: without the table there is simply no model
    /// yet, and ``save(_:trainedOn:trainingSeconds:)`` creates it (opening the store's writer).
    public init(store: RatingStore) throws {
        self.store = store
        if !store.isReadOnly { try migrate() }
    }

    /// Applies the store's and the model migrations through the store's writer.
    private func migrate() throws {
        var migrator = StoreSchema.migrator
        Self.registerMigrations(in: &migrator)
        do {
            try migrator.migrate(store.databaseWriter)
        } catch {
            throw StoreError.wrapping(error, database: store.path, while: "creating the models table")
        }
    }

    /// Whether the `models` table exists (read through the store's reader).
    private func hasModelsTable() throws -> Bool {
        try read("reading the saved model") { db in try RatingStore.tableExists(db, "models") }
    }

    /// Appends the model migrations to `migrator` (after the store's own).
    ///
    /// The migration only adds a table, so it runs with foreign keys enforced as it goes (`.immediate`) instead
    /// of GRDB's default check of every foreign key afterwards — which on a store of 25 M ratings took over 10 s
    /// (50 M lookups) the first time a model was saved.
    public static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration(migrationName, foreignKeyChecks: .immediate) { db in
            try db.execute(sql: """
                CREATE TABLE models(
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    created_at TEXT NOT NULL,
                    ratings_version INTEGER NOT NULL,
                    user_count INTEGER NOT NULL,
                    movie_count INTEGER NOT NULL,
                    rating_count INTEGER NOT NULL,
                    id_checksum INTEGER NOT NULL,
                    training_seconds REAL NOT NULL,
                    parameters TEXT NOT NULL,
                    header TEXT NOT NULL,
                    biases BLOB NOT NULL,
                    latent_factors BLOB NOT NULL,
                    watch_factors BLOB NOT NULL)
                """)
        }
    }

    /// Saves `model`, trained on ratings with `fingerprint`, replacing any older model.
    ///
    /// The factor arrays are written piece by piece from the model's own arrays (``FactorBlob``): saving needs
    /// no copy of them in memory, which matters for large models (25 M ratings, rank 64: 90 MB of factors).
    ///
    /// - Throws: ``StoreError`` when the database cannot be written.
    @discardableResult
    public func save(_ model: TrainedModel, trainedOn fingerprint: RatingsFingerprint,
                     trainingSeconds: Double) throws -> ModelInfo {
        let archiveHeader = model.archiveHeader
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let createdAt = ISO8601DateFormatter().string(from: Date())
        let fields = ModelArchive.Field.allCases
        let byteCounts = fields.map { field in
            archiveHeader.segmentLengths(field).reduce(0, +) * MemoryLayout<Float>.size
        }
        if store.isReadOnly, try !hasModelsTable() { try migrate() }
        do {
            let parameters = String(decoding: try encoder.encode(archiveHeader.parameters), as: UTF8.self)
            let header = String(decoding: try encoder.encode(archiveHeader), as: UTF8.self)
            let id = try store.databaseWriter.write { db -> Int64 in
                try db.execute(sql: "DELETE FROM models")
                // Zero-filled BLOBs of the final sizes (as the row's last columns SQLite does not build them
                // in memory), then filled in place.
                try db.execute(sql: """
                    INSERT INTO models(created_at, ratings_version, user_count, movie_count, rating_count, id_checksum,
                                       training_seconds, parameters, header, biases, latent_factors, watch_factors)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, zeroblob(?), zeroblob(?), zeroblob(?))
                    """, arguments: [
                        createdAt, fingerprint.ratingsVersion, fingerprint.users, fingerprint.movies,
                        fingerprint.ratings, Int64(bitPattern: fingerprint.idChecksum), trainingSeconds,
                        parameters, header, byteCounts[0], byteCounts[1], byteCounts[2],
                    ])
                let id = db.lastInsertedRowID
                for field in fields {
                    try FactorBlob(db, column: Self.column(field), row: id, writable: true, database: store.path)
                        .write(model.archiveSegments(field))
                }
                return id
            }
            return ModelInfo(id: id, createdAt: createdAt, fingerprint: fingerprint, header: archiveHeader,
                             trainingSeconds: trainingSeconds)
        } catch {
            throw StoreError.wrapping(error, database: store.path, while: "saving the model")
        }
    }

    /// The `models` column that holds array `field`.
    static func column(_ field: ModelArchive.Field) -> String {
        switch field {
        case .biases: return "biases"
        case .latentFactors: return "latent_factors"
        case .watchFactors: return "watch_factors"
        }
    }

    /// The latest model's metadata, or `nil` when no model was saved yet (reads no factor arrays).
    public func latestInfo() throws -> ModelInfo? {
        try read("reading the saved model") { db in
            guard try RatingStore.tableExists(db, "models") else { return nil }
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, created_at, ratings_version, user_count, movie_count, rating_count, id_checksum,
                       training_seconds, header
                FROM models ORDER BY id DESC LIMIT 1
                """) else { return nil }
            return try info(row)
        }
    }

    /// Restores the model `info` describes with the ratings it was trained on.
    ///
    /// `ratings` must have the same users, films and rating count as the training data (checked against the
    /// model's fingerprint; the ratings version is not checked here: see ``ModelInfo/staleness(against:)``).
    /// Reads the factor arrays piece by piece straight into the model's arrays (no training, no extra copy):
    /// milliseconds plus the sparse matrix build.
    ///
    /// - Throws: ``StoreError`` `.database` when the model is missing, damaged, or does not fit `ratings`.
    public func load(_ info: ModelInfo, ratings: RatingTable, fingerprint: RatingsFingerprint) throws -> TrainedModel {
        guard info.fingerprint.hasSameShape(as: fingerprint) else {
            throw StoreError(.database, file: store.path, field: "models",
                             reason: Staleness(trained: info.fingerprint, current: fingerprint).description,
                             expected: "a model trained on the current ratings (run `movierec train`)")
        }
        do {
            try info.header.validate()   // before sizing any array by it
            let segments = try readSegments(info)
            return try TrainedModel(header: info.header, segments: segments, ratings: ratings.ratingData)
        } catch let error as ModelError {
            throw StoreError(.database, file: store.path, field: "models", value: error.field,
                             reason: "the saved model does not fit the ratings: \(error)",
                             expected: "a model saved by `movierec train` on this database (run it again)")
        }
    }

    /// The factor arrays of the model `info` describes (a valid header), in the pieces of
    /// ``ModelArchive/Header/segmentLengths(_:)``, read in one transaction.
    private func readSegments(_ info: ModelInfo) throws -> [ModelArchive.Field: [[Float]]] {
        let fields = ModelArchive.Field.allCases
        let segments = try read("reading the saved model") { db -> [ModelArchive.Field: [[Float]]]? in
            let types = fields.map { "typeof(\(Self.column($0)))" }.joined(separator: ", ")
            guard let row = try Row.fetchOne(db, sql: "SELECT \(types) FROM models WHERE id = ?",
                                             arguments: [info.id]) else { return nil }
            var segments: [ModelArchive.Field: [[Float]]] = [:]
            for (position, field) in fields.enumerated() {
                let column = Self.column(field)
                let lengths = info.header.segmentLengths(field)
                let expected = lengths.reduce(0, +) * MemoryLayout<Float>.size
                let type: String = row[position]
                let blob = type == "blob"
                    ? try FactorBlob(db, column: column, row: info.id, writable: false, database: store.path) : nil
                guard let blob, blob.byteCount == expected else {
                    throw StoreError(.database, file: store.path, field: "models.\(column)",
                                     value: blob.map { "\($0.byteCount) bytes" } ?? "a \(type) value",
                                     reason: "the saved model is damaged",
                                     expected: "a BLOB of \(expected) bytes (\(expected / MemoryLayout<Float>.size) "
                                        + "Float32 values for \(info.header.userCount) users, "
                                        + "\(info.header.movieCount) films, k = \(info.header.rank), "
                                        + "k_w = \(info.header.watchRank))")
                }
                segments[field] = try blob.read(lengths: lengths)
            }
            return segments
        }
        guard let segments else {
            throw StoreError(.database, file: store.path, field: "models", value: "\(info.id)",
                             reason: "the saved model was replaced while loading it", expected: "an unchanged model")
        }
        return segments
    }

    /// The latest model if it matches `fingerprint` (the current ratings), restored; `nil` when there is none.
    ///
    /// - Throws: ``StoreError`` `.database` when the latest model is stale (the message says why and to run
    ///   `movierec train`) or cannot be read.
    public func loadLatest(ratings: RatingTable, fingerprint: RatingsFingerprint) throws -> TrainedModel? {
        guard let info = try latestInfo() else { return nil }
        if let staleness = info.staleness(against: fingerprint) {
            throw StoreError(.database, file: store.path, field: "models", reason: staleness.description,
                             expected: "a model trained on the current ratings (run `movierec train`)")
        }
        return try load(info, ratings: ratings, fingerprint: fingerprint)
    }

    private func info(_ row: Row) throws -> ModelInfo {
        let headerText: String = row["header"]
        let header: ModelArchive.Header
        do {
            header = try JSONDecoder().decode(ModelArchive.Header.self, from: Data(headerText.utf8))
        } catch {
            throw StoreError(.database, file: store.path, field: "models.header",
                             reason: "the saved model was written by another version of movierec",
                             expected: "a model saved by this version (run `movierec train`)")
        }
        let checksum: Int64 = row["id_checksum"]
        return ModelInfo(id: row["id"], createdAt: row["created_at"],
                         fingerprint: RatingsFingerprint(ratingsVersion: row["ratings_version"], users: row["user_count"],
                                                         movies: row["movie_count"], ratings: row["rating_count"],
                                                         idChecksum: UInt64(bitPattern: checksum)),
                         header: header, trainingSeconds: row["training_seconds"])
    }

    private func read<T>(_ action: String, _ body: (Database) throws -> T) throws -> T {
        do { return try store.databaseReader.read(body) } catch {
            throw StoreError.wrapping(error, database: store.path, while: action)
        }
    }
}

extension StoreError {
    /// Whether the error says the saved model cannot be used — stale, damaged, or written by another version of
    /// movierec (field `models` or `models.<column>`): training again replaces it.
    public var concernsSavedModel: Bool {
        kind == .database && (field == "models" || field?.hasPrefix("models.") == true)
    }
}

/// One factor BLOB of a `models` row opened for incremental I/O (`sqlite3_blob_open`): little-endian Float32
/// values written from and read into `[Float]` arrays in chunks of ``chunkLength`` values, so no whole copy
/// of an array is made (a big-endian machine swaps the bytes of one chunk at a time).
final class FactorBlob {
    /// The SQLite BLOB handle.
    private let handle: OpaquePointer
    /// The connection it belongs to (for error messages).
    private let connection: OpaquePointer
    /// `models.<column>`, for error messages.
    private let field: String
    /// The database file, for error messages.
    private let path: String
    /// Values per `sqlite3_blob_write`/`sqlite3_blob_read` call.
    let chunkLength: Int

    /// Opens column `column` of row `row` of `models` (read-only unless `writable`).
    /// - Throws: ``StoreError`` `.database` when the row or column does not exist or the BLOB cannot be opened.
    init(_ db: Database, column: String, row: Int64, writable: Bool, database path: String,
         chunkLength: Int = 1 << 16) throws {
        precondition(chunkLength >= 1, "FactorBlob: chunks of at least one value")
        field = "models.\(column)"
        self.path = path
        self.chunkLength = chunkLength
        guard let connection = db.sqliteConnection else {
            throw StoreError(.database, file: path, field: field, reason: "the database connection is closed")
        }
        self.connection = connection
        var handle: OpaquePointer?
        let code = sqlite3_blob_open(connection, "main", "models", column, row, writable ? 1 : 0, &handle)
        guard code == SQLITE_OK, let handle else {
            sqlite3_blob_close(handle)
            throw StoreError(.database, file: path, field: field, value: "row \(row)",
                             reason: "cannot open the factor BLOB: \(String(cString: sqlite3_errmsg(connection)))",
                             expected: "a saved model")
        }
        self.handle = handle
    }

    deinit { sqlite3_blob_close(handle) }

    /// The BLOB's size in bytes.
    var byteCount: Int { Int(sqlite3_blob_bytes(handle)) }

    /// Writes `segments` one after the other from the BLOB's start (their total byte size must be ``byteCount``).
    /// - Throws: ``StoreError`` `.database` when SQLite fails to write.
    func write(_ segments: [[Float]]) throws {
        var offset = 0
        for segment in segments {
            try segment.withUnsafeBufferPointer { values in
                for start in stride(from: 0, to: values.count, by: chunkLength) {
                    let chunk = UnsafeBufferPointer(rebasing: values[start..<min(start + chunkLength, values.count)])
                    #if _endian(big)
                    let code = chunk.map { $0.bitPattern.littleEndian }.withUnsafeBytes {
                        sqlite3_blob_write(handle, $0.baseAddress, Int32($0.count), Int32(offset))
                    }
                    #else
                    let code = sqlite3_blob_write(handle, chunk.baseAddress, Int32(chunk.count * MemoryLayout<Float>.size),
                                                  Int32(offset))
                    #endif
                    try check(code, "writing")
                    offset += chunk.count * MemoryLayout<Float>.size
                }
            }
        }
    }

    /// Reads arrays of `lengths` values one after the other from the BLOB's start (their total byte size must
    /// be at most ``byteCount``).
    /// - Throws: ``StoreError`` `.database` when SQLite fails to read.
    func read(lengths: [Int]) throws -> [[Float]] {
        var offset = 0
        return try lengths.map { length in
            try [Float](unsafeUninitializedCapacity: length) { buffer, initialized in
                for start in stride(from: 0, to: length, by: chunkLength) {
                    let count = min(chunkLength, length - start)
                    let target = UnsafeMutableBufferPointer(rebasing: buffer[start..<(start + count)])
                    try check(sqlite3_blob_read(handle, target.baseAddress, Int32(count * MemoryLayout<Float>.size),
                                                Int32(offset)), "reading")
                    #if _endian(big)
                    for i in target.indices { target[i] = Float(bitPattern: UInt32(littleEndian: target[i].bitPattern)) }
                    #endif
                    offset += count * MemoryLayout<Float>.size
                }
                initialized = length
            }
        }
    }

    private func check(_ code: Int32, _ action: String) throws {
        guard code == SQLITE_OK else {
            throw StoreError(.database, file: path, field: field,
                             reason: "\(action) the factor BLOB failed: \(String(cString: sqlite3_errmsg(connection)))")
        }
    }
}

/// Ratings, film catalogue size and version read together: what `train` and the model commands work on.
public struct RatingsSnapshot: Sendable {
    /// Every rating in dense-index form (without timestamps: ``RatingTable/timestamp`` is empty).
    public let table: RatingTable
    /// The table's fingerprint (with the ratings version it was read at).
    public let fingerprint: RatingsFingerprint

    /// Creates a snapshot from a table and the fingerprint it was read with.
    public init(table: RatingTable, fingerprint: RatingsFingerprint) {
        self.table = table
        self.fingerprint = fingerprint
    }
}

extension RatingStore {
    /// Loads the ratings with their version; retries when an import changed the version meanwhile.
    ///
    /// - Throws: ``StoreError`` `.database` when imports keep changing the ratings during three attempts.
    public func ratingsSnapshot() throws -> RatingsSnapshot {
        for _ in 0..<3 {
            let before = try ratingsVersion()
            let table = try loadRatings(includeTimestamps: false)   // the model does not use them
            if try ratingsVersion() == before {
                return RatingsSnapshot(table: table, fingerprint: RatingsFingerprint(table: table, ratingsVersion: before))
            }
        }
        throw StoreError(.database, file: path, reason: "the ratings kept changing while they were read (an import is running)",
                         expected: "no import running at the same time")
    }
}

extension RatingTable {
    /// The ratings in the model's input form (dense indices; every film of the catalogue, rated or not).
    public var ratingData: RatingData {
        RatingData(userCount: userIDs.count, movieCount: movieIDs.count, userIndex: userIndex, movieIndex: movieIndex,
                   rating: rating)
    }
}
