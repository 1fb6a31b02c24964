import Foundation

/// How `movierec serve` runs: where it listens and who may write.
public struct ServerConfiguration: Sendable, Equatable {
    /// The address to bind (`127.0.0.1` unless told otherwise).
    public var host: String
    /// The TCP port (0: any free port).
    public var port: Int
    /// The bearer token write endpoints require, when set.
    public var token: String?
    /// Whether to log one line per request on stderr.
    public var logsRequests: Bool
    /// Threads that accept, read and write the connections (SwiftNIO event loops); at least 1.
    public var eventLoopThreads: Int

    /// The default number of event-loop threads: one. The answers are computed in the route handlers, on Swift's
    /// pool of one thread per core; the event loops only parse requests and write responses. With one loop per core
    /// as well (SwiftNIO's default), the loop threads competed with the handlers for the same cores and the
    /// connections of each loop were served unevenly: on 2 cores with `wrk -t2 -c32` (docs/serve-load.md), computed
    /// recommendations p99 64 ms against 21 ms with one loop (2,835 against 3,072 req/s), `similar` 22,890 against
    /// 29,447 req/s. A machine with many cores serving mostly cached answers may want more (`--event-loops`).
    public static let defaultEventLoopThreads = 1

    /// A configuration; the defaults bind 127.0.0.1:8080 without a token, with one event-loop thread.
    public init(host: String = "127.0.0.1", port: Int = 8080, token: String? = nil, logsRequests: Bool = true,
                eventLoopThreads: Int = ServerConfiguration.defaultEventLoopThreads) {
        self.host = host
        self.port = port
        self.token = token?.isEmpty == true ? nil : token
        self.logsRequests = logsRequests
        self.eventLoopThreads = max(1, eventLoopThreads)
    }

    /// Whether `host` is a loopback address (`127.x.x.x`, `::1`, `localhost`).
    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The write rule: a token, when set, is required; without one, writes are allowed only on loopback.
    /// Returns nil when a request with this `Authorization` header may write, else why not and the status.
    public func refusesWrite(authorization: String?) -> (status: Int, message: String)? {
        if let token {
            guard let authorization, authorization == "Bearer \(token)" else {
                return (401, "this endpoint writes: send the header Authorization: Bearer <token> with the server's "
                        + "--token (or MOVIEREC_TOKEN)")
            }
            return nil
        }
        guard isLoopback else {
            return (403, "writes are refused: the server listens on \(host), not on loopback, and has no token; "
                    + "restart it with --token T (or MOVIEREC_TOKEN)")
        }
        return nil
    }
}
