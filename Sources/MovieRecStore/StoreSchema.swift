import GRDB

/// The database schema, as GRDB migrations. Later modules append their own migrations (e.g. model tables)
/// by registering more on ``StoreSchema/migrator`` before migrating.
public enum StoreSchema {
    /// Name of the first migration (users, movies, ratings, import_log, store_state).
    public static let initialMigration = "v1"
    /// Name of the migration that adds each movie's IMDb and TMDb ids (`movies.imdb_id`, `movies.tmdb_id`).
    public static let linksMigration = "v3-links"
    /// Name of the migration that adds `import_log.removed` (the stored ratings a replace-mode import deleted).
    public static let importRemovedMigration = "v4-import-removed"

    /// `PRAGMA application_id` of every database movierec writes (the bytes `MVRC`): a file with another non-zero
    /// id belongs to another program and is never opened for writing.
    public static let applicationID: Int32 = 0x4D56_5243
    /// `PRAGMA user_version` written with ``applicationID``: the store schema's version (2 = with links,
    /// 3 = with `import_log.removed`).
    public static let schemaVersion: Int32 = 3

    /// Tables the first migration creates: a database with all of them (and GRDB's migration log) but no
    /// ``applicationID`` is a movierec database written before the id existed, upgraded on the next write.
    static let legacyTables: Set<String> = ["users", "movies", "ratings", "import_log", "store_state", "grdb_migrations"]

    /// What a database file holds, as far as movierec is concerned.
    public enum Identity: Sendable, Equatable {
        /// No tables at all (a new or empty file): `import` may create the schema.
        case empty
        /// A movierec database (``applicationID`` set).
        case movierec
        /// A movierec database from before ``applicationID`` existed (recognised by its tables).
        case legacy
        /// Another program's database: its application id and (some of) its table names.
        case foreign(applicationID: Int32, tables: [String])
    }

    /// Reads the application id and the table names of `db` and tells whose database it is.
    public static func identity(_ db: Database) throws -> Identity {
        let application = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
        if application == applicationID { return .movierec }
        let tables = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        if application == 0 && tables.isEmpty { return .empty }
        if application == 0 && legacyTables.isSubset(of: Set(tables)) { return .legacy }
        return .foreign(applicationID: application, tables: tables)
    }

    /// Throws ``StoreError`` `.notMovieRecDatabase` for `.foreign` (naming at most five of its tables), and
    /// `.databaseNotFound`-like advice for `.empty` when `allowEmpty` is false.
    static func check(_ identity: Identity, path: String, allowEmpty: Bool) throws {
        switch identity {
        case .movierec, .legacy: return
        case .empty:
            guard !allowEmpty else { return }
            throw StoreError(.notMovieRecDatabase, file: path, reason: "the database holds no movierec data yet",
                             expected: "a database created by `movierec import`")
        case .foreign(let application, let tables):
            let shown = tables.prefix(5).map { StoreError.quoted($0) }.joined(separator: ", ")
                + (tables.count > 5 ? ", … (\(tables.count) tables)" : "")
            let owner = application == 0 ? "" : String(format: ", application_id 0x%08X", UInt32(bitPattern: application))
            throw StoreError(.notMovieRecDatabase, file: path,
                             reason: "not a movierec database (tables \(shown.isEmpty ? "none" : shown)\(owner)); "
                                 + "movierec leaves it unchanged",
                             expected: "a database created by `movierec import`, or a path that does not exist yet")
        }
    }

    /// Marks `db` as movierec's (``applicationID``, ``schemaVersion``) when it is not yet.
    static func stamp(_ db: Database) throws {
        if try Int32.fetchOne(db, sql: "PRAGMA application_id") != applicationID {
            try db.execute(sql: "PRAGMA application_id = \(applicationID)")
        }
        if try Int32.fetchOne(db, sql: "PRAGMA user_version") != schemaVersion {
            try db.execute(sql: "PRAGMA user_version = \(schemaVersion)")
        }
    }

    /// The store's migrations, in order.
    ///
    /// `v1` creates:
    /// - `users(id INTEGER PRIMARY KEY, external_id TEXT NOT NULL UNIQUE)`;
    /// - `movies(id INTEGER PRIMARY KEY, external_id TEXT NOT NULL UNIQUE, title TEXT, year INTEGER, genres TEXT)`,
    ///   genres joined with `|`, `title` NULL for movies only seen in ratings;
    /// - `ratings(user_id, movie_id, rating REAL NOT NULL, timestamp INTEGER, PRIMARY KEY(user_id, movie_id))
    ///   WITHOUT ROWID`, with no secondary index: the model loads the whole table in primary-key order and the
    ///   per-movie queries scan it once, so an index on `movie_id` would only slow every import down;
    /// - `import_log` (one row per import: file, size, checksum, counts, time);
    /// - `store_state(id = 1, ratings_version)`: incremented by every import that changes ratings.
    ///
    /// `v3-links` adds `movies.imdb_id TEXT` (`tt` + at least 7 digits) and `movies.tmdb_id INTEGER`, both NULL
    /// until an import with a links file sets them (see ``RatingStore/movieLinks()``).
    ///
    /// `v4-import-removed` adds `import_log.removed INTEGER NOT NULL DEFAULT 0`: the stored ratings an import in
    /// ``ImportMode/replace`` deleted because the source lacks them (0 for a merge, and for the imports logged
    /// before the column existed).
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration(initialMigration) { db in
            try db.execute(sql: """
                CREATE TABLE users(
                    id INTEGER PRIMARY KEY,
                    external_id TEXT NOT NULL UNIQUE);
                CREATE TABLE movies(
                    id INTEGER PRIMARY KEY,
                    external_id TEXT NOT NULL UNIQUE,
                    title TEXT,
                    year INTEGER,
                    genres TEXT);
                CREATE TABLE ratings(
                    user_id INTEGER NOT NULL REFERENCES users(id),
                    movie_id INTEGER NOT NULL REFERENCES movies(id),
                    rating REAL NOT NULL,
                    timestamp INTEGER,
                    PRIMARY KEY(user_id, movie_id)) WITHOUT ROWID;
                CREATE TABLE import_log(
                    id INTEGER PRIMARY KEY,
                    imported_at TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    file_size INTEGER NOT NULL,
                    checksum TEXT NOT NULL,
                    format TEXT NOT NULL,
                    movies_file TEXT,
                    rows_read INTEGER NOT NULL,
                    inserted INTEGER NOT NULL,
                    updated INTEGER NOT NULL,
                    unchanged INTEGER NOT NULL,
                    skipped INTEGER NOT NULL,
                    seconds REAL NOT NULL);
                CREATE TABLE store_state(
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    ratings_version INTEGER NOT NULL);
                INSERT INTO store_state(id, ratings_version) VALUES (1, 0);
                """)
        }
        migrator.registerMigration(linksMigration, foreignKeyChecks: .immediate) { db in
            try db.execute(sql: """
                ALTER TABLE movies ADD COLUMN imdb_id TEXT;
                ALTER TABLE movies ADD COLUMN tmdb_id INTEGER;
                """)
        }
        migrator.registerMigration(importRemovedMigration, foreignKeyChecks: .immediate) { db in
            try db.execute(sql: "ALTER TABLE import_log ADD COLUMN removed INTEGER NOT NULL DEFAULT 0")
        }
        return migrator
    }
}
