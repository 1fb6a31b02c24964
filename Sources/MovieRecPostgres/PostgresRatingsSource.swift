import Foundation
import Logging
import MovieRecService
import NIOSSL
import PostgresNIO

/// The shared ratings of `movierec serve --ratings-source`: one PostgreSQL table that every replica writes to
/// and reads each user's current ratings from.
///
/// The table (created when missing) is
/// `ratings(user_id text, movie_id text, rating real, rated_at bigint, PRIMARY KEY (user_id, movie_id))`:
/// the primary key is the index the per-user read uses. A pool of connections reconnects by itself after a
/// server restart; while the server is down every call throws ``ServiceError`` `.ratingsSourceUnavailable`
/// within ``timeout``.
public final class PostgresRatingsSource: SharedRatingsSource, @unchecked Sendable {
    /// The server (redacted) and table.
    public let name: String
    /// The table's name, quoted.
    let table: String
    /// The connection pool (run by ``run()``).
    public let client: PostgresClient
    /// How long a call waits for the server before answering unavailable.
    public let timeout: Duration
    /// The server (for messages).
    let location: PostgresLocation

    /// A source for table `table` at `location` (nothing is connected until ``run()`` runs).
    public init(location: PostgresLocation, table: String = "ratings", timeout: Duration = .seconds(2)) throws {
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database,
            tls: try PostgresConnector.clientTLS(location))
        configuration.options.connectTimeout = .seconds(1)
        configuration.options.maximumConnections = 8
        client = PostgresClient(configuration: configuration, backgroundLogger: PostgresConnector.logger)
        self.table = PostgresConnector.quoteIdentifier(table)
        self.timeout = timeout
        self.location = location
        name = "\(location) table \(table)"
    }

    /// Runs the pool until the task is cancelled (start it in a task before the first call).
    public func run() async { await client.run() }

    /// Creates the table when missing.
    public func prepare() async throws {
        try await perform("creating the ratings table") { client in
            _ = try await client.query(PostgresQuery(unsafeSQL: """
                CREATE TABLE IF NOT EXISTS \(self.table) (
                    user_id text NOT NULL, movie_id text NOT NULL, rating real NOT NULL, rated_at bigint NOT NULL,
                    PRIMARY KEY (user_id, movie_id))
                """), logger: PostgresConnector.logger)
        }
    }

    public func upsertRating(user: String, movie: String, rating: Float, timestamp: Int64) async throws -> Bool {
        try await perform("storing a rating") { client in
            var query = PostgresQuery(unsafeSQL: """
                INSERT INTO \(self.table) AS r (user_id, movie_id, rating, rated_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (user_id, movie_id) DO UPDATE SET rating = EXCLUDED.rating, rated_at = EXCLUDED.rated_at
                WHERE EXCLUDED.rated_at >= r.rated_at AND (r.rating, r.rated_at) IS DISTINCT FROM (EXCLUDED.rating, EXCLUDED.rated_at)
                RETURNING 1
                """)
            query.binds.append(user)
            query.binds.append(movie)
            query.binds.append(rating)
            query.binds.append(timestamp)
            var changed = false
            for try await _ in try await client.query(query, logger: PostgresConnector.logger) { changed = true }
            return changed
        }
    }

    public func deleteRating(user: String, movie: String) async throws -> Bool {
        try await perform("deleting a rating") { client in
            var query = PostgresQuery(unsafeSQL: "DELETE FROM \(self.table) WHERE user_id = $1 AND movie_id = $2 RETURNING 1")
            query.binds.append(user)
            query.binds.append(movie)
            var changed = false
            for try await _ in try await client.query(query, logger: PostgresConnector.logger) { changed = true }
            return changed
        }
    }

    public func ratings(ofUser user: String) async throws -> [(movie: String, rating: Float)] {
        try await perform("reading a user's ratings") { client in
            var query = PostgresQuery(unsafeSQL: "SELECT movie_id, rating FROM \(self.table) WHERE user_id = $1")
            query.binds.append(user)
            var result: [(movie: String, rating: Float)] = []
            for try await (movie, rating) in try await client.query(query, logger: PostgresConnector.logger)
                .decode((String, Float).self) {
                result.append((movie, rating))
            }
            return result
        }
    }

    /// Runs `work` against the pool within ``timeout``; a failure to reach the server (or a timeout) becomes
    /// `.ratingsSourceUnavailable`, a failed statement a ``PostgresError``.
    func perform<T: Sendable>(_ doing: String, _ work: @escaping @Sendable (PostgresClient) async throws -> T) async throws -> T {
        let client = self.client
        let timeout = self.timeout
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await work(client) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else {
                    throw ServiceError(.ratingsSourceUnavailable, "\(name) did not answer within \(timeout) while \(doing): "
                                       + "retry in a moment")
                }
                return value
            }
        } catch let error as ServiceError {
            throw error
        } catch let error as PSQLError where error.serverInfo?[.sqlState] != nil
            && !(error.serverInfo?[.sqlState]?.hasPrefix("57") ?? false) && !(error.serverInfo?[.sqlState]?.hasPrefix("08") ?? false) {
            throw PostgresError.statementFailed(server: name, doing: doing, reason: PostgresConnector.reason(error))
        } catch {
            throw ServiceError(.ratingsSourceUnavailable, "\(name) cannot be reached while \(doing) "
                               + "(\(PostgresConnector.reason(error, at: self.location))): retry in a moment")
        }
    }
}
