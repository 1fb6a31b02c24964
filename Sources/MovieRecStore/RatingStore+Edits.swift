import Foundation
import GRDB

/// A user's stored ratings right after an edit, read in the edit's transaction.
public struct UserRatingsAfterEdit: Sendable, Equatable {
    /// The store's ratings version after the edit (unchanged when the edit changed nothing).
    public let ratingsVersion: Int64
    /// Whether the edit changed the database (a new or different rating; a deleted one).
    public let changed: Bool
    /// Every rating of the user after the edit, by movie external id, in movie id order.
    public let ratings: [(movie: String, rating: Float)]

    public static func == (a: Self, b: Self) -> Bool {
        a.ratingsVersion == b.ratingsVersion && a.changed == b.changed
            && a.ratings.map(\.movie) == b.ratings.map(\.movie) && a.ratings.map(\.rating) == b.ratings.map(\.rating)
    }
}

extension RatingStore {
    /// Stores `rating` of movie `movie` by user `user` (external ids) in one transaction: adds the user when new,
    /// replaces an earlier rating of the same film, and increments the ratings version when anything changed.
    /// Returns the user's ratings as they are after the write.
    ///
    /// - Throws: ``StoreError`` `.invalidRow` when the movie is not in the database; `.database` when SQLite fails
    ///   (nothing is written then).
    public func setRating(user: String, movie: String, rating: Float, timestamp: Int64) throws -> UserRatingsAfterEdit {
        try write("storing a rating") { db in
            guard let movieID = try Int64.fetchOne(db, sql: "SELECT id FROM movies WHERE external_id = ?", arguments: [movie]) else {
                throw StoreError(.invalidRow, file: path, field: "movie", value: movie, reason: "no movie with this id",
                                 expected: "a movie of the database")
            }
            try db.execute(sql: "INSERT OR IGNORE INTO users(external_id) VALUES (?)", arguments: [user])
            let userID = try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE external_id = ?", arguments: [user])!
            let old = try Double.fetchOne(db, sql: "SELECT rating FROM ratings WHERE user_id = ? AND movie_id = ?",
                                          arguments: [userID, movieID])
            let changed = old.map { Float($0) != rating } ?? true
            if changed {
                try db.execute(sql: """
                    INSERT INTO ratings(user_id, movie_id, rating, timestamp) VALUES (?, ?, ?, ?)
                    ON CONFLICT(user_id, movie_id) DO UPDATE SET rating = excluded.rating, timestamp = excluded.timestamp
                    """, arguments: [userID, movieID, Double(rating), timestamp])
                try db.execute(sql: "UPDATE store_state SET ratings_version = ratings_version + 1 WHERE id = 1")
            }
            return try Self.afterEdit(db, userID: userID, changed: changed)
        }
    }

    /// Deletes user `user`'s rating of movie `movie` (external ids) in one transaction, incrementing the ratings
    /// version when there was one. Returns the user's ratings after the delete, or nil when the user is unknown.
    public func deleteRating(user: String, movie: String) throws -> UserRatingsAfterEdit? {
        try write("deleting a rating") { db in
            guard let userID = try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE external_id = ?", arguments: [user]) else {
                return nil
            }
            try db.execute(sql: """
                DELETE FROM ratings WHERE user_id = ? AND movie_id = (SELECT id FROM movies WHERE external_id = ?)
                """, arguments: [userID, movie])
            let changed = db.changesCount > 0
            if changed { try db.execute(sql: "UPDATE store_state SET ratings_version = ratings_version + 1 WHERE id = 1") }
            return try Self.afterEdit(db, userID: userID, changed: changed)
        }
    }

    /// The stored ratings of user `user` (external ids), or nil when the user is unknown.
    public func ratings(ofUser user: String) throws -> [(movie: String, rating: Float)]? {
        try readEdits("reading a user's ratings") { db in
            guard let userID = try Int64.fetchOne(db, sql: "SELECT id FROM users WHERE external_id = ?", arguments: [user]) else {
                return nil
            }
            return try Self.afterEdit(db, userID: userID, changed: false).ratings
        }
    }

    private static func afterEdit(_ db: Database, userID: Int64, changed: Bool) throws -> UserRatingsAfterEdit {
        let rows = try Row.fetchAll(db, sql: """
            SELECT m.external_id, r.rating FROM ratings r JOIN movies m ON m.id = r.movie_id
            WHERE r.user_id = ? ORDER BY r.movie_id
            """, arguments: [userID])
        let version = try Int64.fetchOne(db, sql: "SELECT ratings_version FROM store_state WHERE id = 1") ?? 0
        return UserRatingsAfterEdit(ratingsVersion: version, changed: changed,
                                    ratings: rows.map { (movie: $0[0] as String, rating: Float($0[1] as Double)) })
    }

    private func write<T>(_ action: String, _ body: (Database) throws -> T) throws -> T {
        do { return try databaseWriter.write(body) } catch { throw StoreError.wrapping(error, database: path, while: action) }
    }

    private func readEdits<T>(_ action: String, _ body: (Database) throws -> T) throws -> T {
        do { return try databaseReader.read(body) } catch { throw StoreError.wrapping(error, database: path, while: action) }
    }
}
