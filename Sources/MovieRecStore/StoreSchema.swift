import GRDB

/// The database schema, as GRDB migrations. Later modules append their own migrations (e.g. model tables)
/// by registering more on ``StoreSchema/migrator`` before migrating.
public enum StoreSchema {
    /// Name of the first migration (users, movies, ratings, import_log, store_state).
    public static let initialMigration = "v1"

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
        return migrator
    }
}
