import Foundation

/// How a connection uses TLS: libpq's `sslmode` values.
public enum PostgresTLSMode: String, Sendable, Equatable, CaseIterable {
    /// No TLS (the default); `allow` means the same here.
    case disable
    /// TLS when the server offers it, else plain; the certificate is not checked.
    case prefer
    /// TLS or no connection; the certificate is not checked, unless a root certificate file exists
    /// (``PostgresLocation/rootCertificate``): then, as libpq, the chain is checked as by ``verifyCA``.
    case require
    /// TLS, and the server's certificate must be signed by a trusted root (``PostgresLocation/rootCertificate``).
    case verifyCA = "verify-ca"
    /// As ``verifyCA``, and the certificate must name the host (or its IP address).
    case verifyFull = "verify-full"
}

/// A `postgresql://USER@HOST:PORT/DB[?sslmode=…&sslrootcert=…]` connection string, with the password taken from
/// the environment (never from the URL) and a redacted form for every message.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// The user name.
    public let user: String
    /// The server's host name or address.
    public let host: String
    /// The server's TCP port.
    public let port: Int
    /// The database name.
    public let database: String
    /// How TLS is used (`sslmode`; default ``PostgresTLSMode/disable``).
    public let tlsMode: PostgresTLSMode
    /// The file of trusted root certificates (PEM) that `verify-ca`, `verify-full` (and `require` when the file
    /// exists) check the server against:
    /// `sslrootcert` in the URL, else `PGSSLROOTCERT`, else `~/.postgresql/root.crt` when it exists; nil (or
    /// `sslrootcert=system`) for the system's roots.
    public let rootCertificate: String?
    /// Whether TLS is required (`sslmode=require`, `verify-ca` or `verify-full`).
    public var requiresTLS: Bool { [.require, .verifyCA, .verifyFull].contains(tlsMode) }
    /// The password found in `PGPASSWORD` or `~/.pgpass` (nil: none, for trust or peer authentication).
    let password: String?

    /// The connection string without any secret, for messages: `postgresql://USER@HOST:PORT/DB`.
    public var description: String { "postgresql://\(user)@\(host):\(port)/\(database)" }

    /// Parses `url`; the password comes from `environment["PGPASSWORD"]`, else from the `.pgpass` file
    /// (`PGPASSFILE`, else `~/.pgpass`), else none.
    ///
    /// - Throws: ``PostgresError/badURL(_:reason:)`` (with the URL redacted) for another scheme, a missing
    ///   host or database, a bad port, or a password written into the URL.
    public init(_ url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let shown = Self.redact(url)
        guard let components = URLComponents(string: url),
              let scheme = components.scheme, scheme == "postgresql" || scheme == "postgres" else {
            throw PostgresError.badURL(shown, reason: "expected postgresql://USER@HOST:PORT/DB")
        }
        if components.password != nil {
            throw PostgresError.badURL(shown, reason: "a password must not be written into the URL: "
                                       + "set PGPASSWORD or use ~/.pgpass")
        }
        guard let host = components.host, !host.isEmpty else {
            throw PostgresError.badURL(shown, reason: "no host (expected postgresql://USER@HOST:PORT/DB)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw PostgresError.badURL(shown, reason: "no database name (expected postgresql://USER@HOST:PORT/DB)")
        }
        let port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw PostgresError.badURL(shown, reason: "port \(port) is out of range") }
        let user = components.user ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        let parameter = { (name: String) in components.queryItems?.first(where: { $0.name == name })?.value }
        let sslmode = parameter("sslmode") ?? environment["PGSSLMODE"] ?? "disable"
        guard let mode = sslmode == "allow" ? .disable : PostgresTLSMode(rawValue: sslmode) else {
            throw PostgresError.badURL(shown, reason: "sslmode \"\(sslmode)\" is not one of disable, allow, prefer, require, "
                                       + "verify-ca, verify-full")
        }
        self.user = user
        self.host = host
        self.port = port
        self.database = database
        tlsMode = mode
        let defaultRoot = environment["HOME"].map { $0 + "/.postgresql/root.crt" }
        let root = parameter("sslrootcert") ?? environment["PGSSLROOTCERT"]
            ?? defaultRoot.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
        rootCertificate = root == "system" ? nil : root
        password = environment["PGPASSWORD"] ?? Self.passwordFromPassFile(
            host: host, port: port, database: database, user: user,
            file: environment["PGPASSFILE"] ?? (environment["HOME"].map { $0 + "/.pgpass" }))
    }

    /// `text` with the password of any `scheme://user:password@` part replaced by `***`.
    public static func redact(_ text: String) -> String {
        guard let regex = try? NSRegularExpression(pattern: "(://[^:/@\\s]*):[^@/\\s]*@") else { return text }
        return regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: "$1:***@")
    }

    /// The password of the first matching `host:port:database:user:password` line (`*` matches anything).
    static func passwordFromPassFile(host: String, port: Int, database: String, user: String, file: String?) -> String? {
        guard let file, let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = splitPassLine(String(line))
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// Splits a `.pgpass` line on unescaped colons (`\:` and `\\` are escapes).
    static func splitPassLine(_ line: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
