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
        if let settings = try tlsSettings(location) {
            do {
                let context = try NIOSSLContext(configuration: settings)
                tls = location.tlsMode == .prefer ? .prefer(context) : .require(context)
            } catch {
                throw PostgresError.unreachable(server: location.description, reason: "cannot set up TLS: \(error)")
            }
        }
        return PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                password: location.password, database: location.database, tls: tls)
    }

    /// The TLS setting of a connection pool to `location` (the same rules as ``configuration(_:)``).
    static func clientTLS(_ location: PostgresLocation) throws -> PostgresClient.Configuration.TLS {
        guard let settings = try tlsSettings(location) else { return .disable }
        return location.tlsMode == .prefer ? .prefer(settings) : .require(settings)
    }

    /// What a connection checks of the server's certificate.
    enum CertificateCheck: Equatable {
        /// Nothing (the connection is encrypted, the server not authenticated).
        case none
        /// The chain, against the root certificates in `roots` (nil: the system's).
        case chain(roots: String?)
        /// The chain as in ``chain(roots:)``, and that the certificate names the host (or its IP address).
        case chainAndHost(roots: String?)
    }

    /// libpq's decision of what `mode` checks (nil: no TLS), given the root certificate file `rootCertificate`
    /// (``PostgresLocation/rootCertificate``) and whether it exists: `prefer` checks nothing; `require` checks
    /// nothing, unless the root certificate file exists: then it checks the chain like `verify-ca` (as libpq does);
    /// `verify-ca` checks the chain, `verify-full` also the host, both against the file when one is named, else
    /// the system's roots.
    ///
    /// - Throws: ``PostgresError/badURL(_:reason:)`` (naming `server`) when `verify-ca` or `verify-full` names a
    ///   root certificate file that does not exist.
    static func certificateCheck(_ mode: PostgresTLSMode, rootCertificate: String?, rootExists: Bool,
                                 server: String) throws -> CertificateCheck? {
        if let rootCertificate, !rootExists, mode == .verifyCA || mode == .verifyFull {
            throw PostgresError.badURL(server, reason: "the root certificate file \(rootCertificate) (sslrootcert) "
                                       + "does not exist")
        }
        switch mode {
        case .disable: return nil
        case .prefer: return CertificateCheck.none
        case .require: return rootCertificate != nil && rootExists ? .chain(roots: rootCertificate) : CertificateCheck.none
        case .verifyCA: return .chain(roots: rootCertificate)
        case .verifyFull: return .chainAndHost(roots: rootCertificate)
        }
    }

    /// The TLS settings of `location` (nil: no TLS), as ``certificateCheck(_:rootCertificate:rootExists:server:)``
    /// decides.
    ///
    /// - Throws: ``PostgresError/badURL(_:reason:)`` when `verify-ca` or `verify-full` names a root certificate
    ///   file that does not exist.
    static func tlsSettings(_ location: PostgresLocation) throws -> TLSConfiguration? {
        let rootExists = location.rootCertificate.map { FileManager.default.fileExists(atPath: $0) } ?? false
        guard let check = try certificateCheck(location.tlsMode, rootCertificate: location.rootCertificate,
                                               rootExists: rootExists, server: location.description) else { return nil }
        var settings = TLSConfiguration.makeClientConfiguration()
        let roots: String?
        switch check {
        case .none:
            settings.certificateVerification = .none
            roots = nil
        case .chain(let file):
            settings.certificateVerification = .noHostnameVerification
            roots = file
        case .chainAndHost(let file):
            settings.certificateVerification = .fullVerification
            roots = file
        }
        if let roots { settings.trustRoots = .file(roots) }
        return settings
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
            throw PostgresError.unreachable(server: location.description, reason: reason(error, at: location))
        }
    }

    /// ``reason(_:)``, saying in plain words when TLS is what failed (the certificate not trusted, not naming the
    /// host, or TLS not offered by the server).
    static func reason(_ error: Error, at location: PostgresLocation) -> String {
        let psql = error as? PSQLError
        if psql?.code == .sslUnsupported {
            return "the server does not offer TLS, which sslmode=\(location.tlsMode.rawValue) requires"
        }
        let underlying = psql?.underlying ?? error
        guard underlying is NIOSSLError || underlying is BoringSSLError || underlying is NIOSSLExtraError else {
            return reason(error)
        }
        let text = PostgresLocation.redact("\(underlying)")
        let roots = location.rootCertificate.map { "the root certificates in \($0)" } ?? "the system's root certificates"
        let detail: String
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            detail = "the server's certificate is not signed by \(roots) (CERTIFICATE_VERIFY_FAILED)"
        } else if underlying is NIOSSLExtraError, text.contains("ostname") {
            detail = "the server's certificate does not name \(location.host) (\(text))"
        } else {
            detail = text
        }
        return "TLS (sslmode=\(location.tlsMode.rawValue)) failed: \(detail)"
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
