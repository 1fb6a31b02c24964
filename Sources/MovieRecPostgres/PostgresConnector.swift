import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// Opens connections and pools to a ``PostgresLocation``, turning every failure into a ``PostgresError`` whose
/// text names the server in its redacted form.
public enum PostgresConnector {
    /// The postgres-nio configuration of `location` (TLS when the URL asks for it).
    static func configuration(_ location: PostgresLocation) throws -> PostgresConnection.Configuration {
        var tls = PostgresConnection.Configuration.TLS.disable
        if location.requiresTLS {
            do {
                tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            } catch {
                throw PostgresError.unreachable(server: location.description, reason: "cannot set up TLS: \(error)")
            }
        }
        return PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                password: location.password, database: location.database, tls: tls)
    }

    /// A quiet logger (postgres-nio logs nothing unless asked).
    static let logger: Logger = {
        var logger = Logger(label: "movierec.postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// One connection to `location`.
    public static func connect(_ location: PostgresLocation) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration: try configuration(location), id: 1, logger: logger)
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError.unreachable(server: location.description, reason: reason(error))
        }
    }

    /// The server's own words for `error` (its message for a PSQLError), with any URL password redacted.
    static func reason(_ error: Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] { return PostgresLocation.redact(message) }
            if let underlying = psql.underlying { return PostgresLocation.redact("\(underlying)") }
            return PostgresLocation.redact("\(psql.code)")
        }
        return PostgresLocation.redact("\(error)")
    }

    /// `name` as a quoted SQL identifier (`"a""b"`), optionally schema-qualified (`schema.table`).
    public static func quoteIdentifier(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false)
            .map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
            .joined(separator: ".")
    }
}
