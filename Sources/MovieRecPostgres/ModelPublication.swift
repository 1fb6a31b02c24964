import Foundation
import GRDB
import MovieRecService
import MovieRecStore
import NIOCore
import PostgresNIO

/// A model published to PostgreSQL: its version and size.
public struct PublishedModel: Sendable, Equatable, Codable {
    /// The version (1, 2, …; the newest answers on every replica).
    public let version: Int64
    /// Bytes of the published database snapshot.
    public let bytes: Int
    /// Chunks it was stored in.
    public let chunks: Int
}

/// Publishes trained models to PostgreSQL for every replica, and fetches them there.
///
/// The unit published is a consistent snapshot (`VACUUM INTO`) of the trainer's SQLite database: the saved
/// model archive (the same bytes as in SQLite) together with the ratings and catalogue it was trained on,
/// because answering needs both (neighbour scoring reads the training ratings, and the archive is checked
/// against their fingerprint). It is stored as `bytea` chunks of 1 MiB in `movierec_model_chunks` under a row of
/// `movierec_models`; the row is committed with its last chunk, so a replica never sees half a model.
public enum ModelPublication {
    /// Bytes per `bytea` chunk.
    public static let chunkBytes = 1 << 20

    static let createTables = [
        """
        CREATE TABLE IF NOT EXISTS movierec_models (
            version bigserial PRIMARY KEY, published_at timestamptz NOT NULL DEFAULT now(),
            bytes bigint NOT NULL, chunks integer NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS movierec_model_chunks (
            version bigint NOT NULL REFERENCES movierec_models (version) ON DELETE CASCADE,
            index integer NOT NULL, data bytea NOT NULL, PRIMARY KEY (version, index))
        """,
    ]

    /// Publishes the model saved in the database at `databasePath` to `location` (one transaction).
    ///
    /// - Throws: ``PostgresError`` when the server cannot be reached or a statement fails (nothing is
    ///   published then); the database's errors when it cannot be read.
    public static func publish(databasePath: String, to location: PostgresLocation) async throws -> PublishedModel {
        let snapshot = FileManager.default.temporaryDirectory
            .appendingPathComponent("movierec-publish-\(ProcessInfo.processInfo.processIdentifier).sqlite").path
        try? FileManager.default.removeItem(atPath: snapshot)
        defer { try? FileManager.default.removeItem(atPath: snapshot) }
        try copyConsistently(databasePath, to: snapshot)
        let data = try Data(contentsOf: URL(fileURLWithPath: snapshot))
        let chunks = max(1, (data.count + chunkBytes - 1) / chunkBytes)
        let connection = try await PostgresConnector.connect(location)
        do {
            for statement in createTables {
                _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: PostgresConnector.logger)
            }
            _ = try await connection.query("BEGIN", logger: PostgresConnector.logger)
            let rows = try await connection.query(
                "INSERT INTO movierec_models (bytes, chunks) VALUES (\(Int64(data.count)), \(Int32(chunks))) RETURNING version",
                logger: PostgresConnector.logger)
            var version: Int64 = 0
            for try await value in rows.decode(Int64.self) { version = value }
            for index in 0..<chunks {
                let part = data[(index * chunkBytes)..<min(data.count, (index + 1) * chunkBytes)]
                let buffer = ByteBuffer(bytes: part)
                _ = try await connection.query(
                    "INSERT INTO movierec_model_chunks (version, index, data) VALUES (\(version), \(Int32(index)), \(buffer))",
                    logger: PostgresConnector.logger)
            }
            _ = try await connection.query("COMMIT", logger: PostgresConnector.logger)
            try? await connection.close()
            return PublishedModel(version: version, bytes: data.count, chunks: chunks)
        } catch {
            try? await connection.close()
            throw PostgresError.statementFailed(server: location.description, doing: "publishing the model",
                                                reason: PostgresConnector.reason(error))
        }
    }

    /// Writes a consistent copy of the SQLite database at `path` to `target` (`VACUUM INTO`).
    static func copyConsistently(_ path: String, to target: String) throws {
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [target]) }
            try queue.close()
        } catch {
            throw PostgresError.badArguments("cannot snapshot \(path) for publishing: \(error)")
        }
    }

    /// The newest published version (nil: none yet, or the tables do not exist).
    public static func latest(in client: PostgresClient) async throws -> PublishedModel? {
        var exists = false
        for try await value in try await client.query("SELECT to_regclass('movierec_models') IS NOT NULL",
                                                      logger: PostgresConnector.logger).decode(Bool.self) {
            exists = value
        }
        guard exists else { return nil }
        let rows = try await client.query("SELECT version, bytes, chunks FROM movierec_models ORDER BY version DESC LIMIT 1",
                                          logger: PostgresConnector.logger)
        for try await (version, bytes, chunks) in rows.decode((Int64, Int64, Int32).self) {
            return PublishedModel(version: version, bytes: Int(bytes), chunks: Int(chunks))
        }
        return nil
    }

    /// Writes published `model` to `file` (checking its size and chunk count).
    public static func download(_ model: PublishedModel, from client: PostgresClient, to file: String) async throws {
        let rows = try await client.query(
            "SELECT index, data FROM movierec_model_chunks WHERE version = \(model.version) ORDER BY index",
            logger: PostgresConnector.logger)
        var data = Data(capacity: model.bytes)
        var expected: Int32 = 0
        for try await (index, chunk) in rows.decode((Int32, ByteBuffer).self) {
            guard index == expected else {
                throw PostgresError.badArguments("published model \(model.version): chunk \(expected) is missing")
            }
            data.append(contentsOf: chunk.readableBytesView)
            expected += 1
        }
        guard data.count == model.bytes, Int(expected) == model.chunks else {
            throw PostgresError.badArguments("published model \(model.version) has \(data.count) bytes in \(expected) "
                                             + "chunks, expected \(model.bytes) in \(model.chunks)")
        }
        try data.write(to: URL(fileURLWithPath: file), options: .atomic)
    }
}

/// Keeps a server's model at the newest published version: polls the version row every ``interval`` (one
/// indexed read of one row), downloads a newer model, opens it and swaps it in atomically (requests keep the
/// model they started with). Runs until cancelled; a server that cannot be reached is retried next poll.
public struct PublishedModelFollower: Sendable {
    /// Where the published models come from.
    public let source: PostgresRatingsSource
    /// The model host to swap into.
    public let host: ModelHost
    /// A folder for the downloaded databases (one per version; older ones are removed).
    public let folder: String
    /// Poll interval.
    public let interval: Duration
    /// Receives one line per swap or failure.
    public let log: @Sendable (String) -> Void

    /// Creates a follower (call ``run()``).
    public init(source: PostgresRatingsSource, host: ModelHost, folder: String, interval: Duration = .seconds(1),
                log: @escaping @Sendable (String) -> Void) {
        self.source = source
        self.host = host
        self.folder = folder
        self.interval = interval
        self.log = log
    }

    /// Polls until the task is cancelled.
    public func run() async {
        var lastFailure: String?
        while !Task.isCancelled {
            do {
                try await pollOnce()
                lastFailure = nil
            } catch {
                let text = "\(error)"
                if text != lastFailure { log("movierec serve: model publication: \(text)") }
                lastFailure = text
            }
            try? await Task.sleep(for: interval)
        }
    }

    /// Installs the newest published model when it is newer than the one answering. Returns its version when
    /// it swapped.
    @discardableResult
    public func pollOnce() async throws -> Int64? {
        let found = try await source.perform("checking the published model") { client in
            try await ModelPublication.latest(in: client)
        }
        guard let model = found, model.version > (host.servedModelVersion ?? 0) else { return nil }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let file = (folder as NSString).appendingPathComponent("model-v\(model.version).sqlite")
        try await source.perform("downloading published model \(model.version)") { client in
            try await ModelPublication.download(model, from: client, to: file)
        }
        let session = try ModelSession.open(path: file, policy: ModelPolicy()).withCatalogue()
        host.installPublished(session, version: model.version)
        log("movierec serve: published model \(model.version) answers now (\(session.info.fingerprint.ratings) ratings)")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        where name.hasPrefix("model-v") && name != "model-v\(model.version).sqlite" {
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
        }
        return model.version
    }
}
