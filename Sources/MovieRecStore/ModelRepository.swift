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
/// The BLOBs are the ``ModelArchive`` arrays as raw little-endian Float32, written and read as whole buffers.
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

    /// Opens the repository, creating the `models` table when missing.
    public init(store: RatingStore) throws {
        self.store = store
        var migrator = StoreSchema.migrator
        Self.registerMigrations(in: &migrator)
        do {
            try migrator.migrate(store.databaseWriter)
        } catch {
            throw StoreError.wrapping(error, database: store.path, while: "creating the models table")
        }
    }

    /// Appends the model migrations to `migrator` (after the store's own).
    public static func registerMigrations(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration(migrationName) { db in
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
    /// - Throws: ``StoreError`` when the database cannot be written.
    @discardableResult
    public func save(_ model: TrainedModel, trainedOn fingerprint: RatingsFingerprint,
                     trainingSeconds: Double) throws -> ModelInfo {
        let archive = model.encode()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let createdAt = ISO8601DateFormatter().string(from: Date())
        do {
            let parameters = String(decoding: try encoder.encode(archive.header.parameters), as: UTF8.self)
            let header = String(decoding: try encoder.encode(archive.header), as: UTF8.self)
            let id = try store.databaseWriter.write { db -> Int64 in
                try db.execute(sql: "DELETE FROM models")
                try db.execute(sql: """
                    INSERT INTO models(created_at, ratings_version, user_count, movie_count, rating_count, id_checksum,
                                       training_seconds, parameters, header, biases, latent_factors, watch_factors)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [
                        createdAt, fingerprint.ratingsVersion, fingerprint.users, fingerprint.movies,
                        fingerprint.ratings, Int64(bitPattern: fingerprint.idChecksum), trainingSeconds,
                        parameters, header, FloatBlob.data(archive.biases), FloatBlob.data(archive.latentFactors),
                        FloatBlob.data(archive.watchFactors),
                    ])
                return db.lastInsertedRowID
            }
            return ModelInfo(id: id, createdAt: createdAt, fingerprint: fingerprint, header: archive.header,
                             trainingSeconds: trainingSeconds)
        } catch {
            throw StoreError.wrapping(error, database: store.path, while: "saving the model")
        }
    }

    /// The latest model's metadata, or `nil` when no model was saved yet (reads no factor arrays).
    public func latestInfo() throws -> ModelInfo? {
        try read("reading the saved model") { db in
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
    /// Copies the factor arrays only (no training): milliseconds plus the sparse matrix build.
    ///
    /// - Throws: ``StoreError`` `.database` when the model is missing, damaged, or does not fit `ratings`.
    public func load(_ info: ModelInfo, ratings: RatingTable, fingerprint: RatingsFingerprint) throws -> TrainedModel {
        guard info.fingerprint.hasSameShape(as: fingerprint) else {
            throw StoreError(.database, file: store.path, field: "models",
                             reason: Staleness(trained: info.fingerprint, current: fingerprint).description,
                             expected: "a model trained on the current ratings (run `movierec train`)")
        }
        let arrays = try read("reading the saved model") { db -> [[Float]]? in
            let statement = try RawStatement(
                db, sql: "SELECT biases, latent_factors, watch_factors FROM models WHERE id = ?")
            defer { statement.finalize() }
            sqlite3_bind_int64(statement.handle, 1, info.id)
            guard try statement.step() else { return nil }
            return try ["biases", "latent_factors", "watch_factors"].enumerated().map { column, name in
                try FloatBlob.floats(statement.handle, column: Int32(column), name: name, in: store.path)
            }
        }
        guard let arrays else {
            throw StoreError(.database, file: store.path, field: "models", value: "\(info.id)",
                             reason: "the saved model was replaced while loading it", expected: "an unchanged model")
        }
        let archive = ModelArchive(header: info.header, biases: arrays[0], latentFactors: arrays[1],
                                   watchFactors: arrays[2])
        do {
            return try TrainedModel(archive: archive, ratings: ratings.ratingData)
        } catch let error as ModelError {
            throw StoreError(.database, file: store.path, field: "models", value: error.field,
                             reason: "the saved model does not fit the ratings: \(error)",
                             expected: "a model saved by `movierec train` on this database (run it again)")
        }
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
        do { return try store.databaseWriter.read(body) } catch {
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

/// `[Float]` ⇄ BLOB of little-endian Float32, copied as one buffer.
enum FloatBlob {
    /// The raw little-endian bytes of `values`.
    static func data(_ values: [Float]) -> Data {
        #if _endian(big)
        return values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
        #else
        return values.withUnsafeBytes { Data($0) }
        #endif
    }

    /// The floats stored in column `column` (named `name`) of the current row of `statement`, copied once
    /// straight from SQLite's buffer.
    /// - Throws: ``StoreError`` `.database` when the value is not a BLOB or its size is not a multiple of 4.
    static func floats(_ statement: OpaquePointer, column: Int32, name: String, in path: String) throws -> [Float] {
        let byteCount = Int(sqlite3_column_bytes(statement, column))
        guard sqlite3_column_type(statement, column) == SQLITE_BLOB, byteCount % MemoryLayout<Float>.size == 0,
              let bytes = sqlite3_column_blob(statement, column) else {
            throw StoreError(.database, file: path, field: "models.\(name)", value: "\(byteCount) bytes",
                             reason: "the saved model is damaged", expected: "a BLOB of whole Float32 values")
        }
        let count = byteCount / MemoryLayout<Float>.size
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(start: bytes, count: byteCount))
            initialized = count
        }
        #if _endian(big)
        return values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
        #else
        return values
        #endif
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
