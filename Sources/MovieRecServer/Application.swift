import Foundation
import Hummingbird
import NIOPosix
import Logging
import MovieRecModel
import MovieRecService
import MovieRecStore
import ServiceLifecycle

/// The JSON error body: `{"error": kind, "message": text}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    /// A short machine-readable kind (`unknownUser`, `badRequest`, `unauthorized`, …).
    public let error: String
    /// What was wrong and how to fix it.
    public let message: String
}

/// An error answered with `status` and an ``ErrorBody``.
struct APIError: Error {
    let status: HTTPResponse.Status
    let body: ErrorBody

    init(_ status: Int, _ error: String, _ message: String) {
        self.status = HTTPResponse.Status(code: status)
        body = ErrorBody(error: error, message: message)
    }

    /// The one place errors become HTTP statuses: ``ServiceError`` by its kind's ``ServiceError/Kind/httpStatus``,
    /// Hummingbird's errors (413 for a body over 1 MiB, 404 for an unknown path) by theirs, a bad JSON body 400,
    /// anything else 500 with its description (never a stack trace).
    static func from(_ error: Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ServiceError:
            return APIError(error.kind.httpStatus, error.kind.rawValue, error.description)
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge:
                return APIError(413, "bodyTooLarge", "the request body is over \(maximumBodyBytes) bytes (1 MiB)")
            case .notFound:
                return APIError(404, "notFound", error.body ?? "no such endpoint: see GET / and /api/v1/health")
            default:
                return APIError(Int(error.status.code), "httpError", error.body ?? error.status.reasonPhrase)
            }
        case let error as any HTTPResponseError where error.status == .contentTooLarge:
            // NIO's "too many bytes" while collecting the body.
            return APIError(413, "bodyTooLarge", "the request body is over \(maximumBodyBytes) bytes (1 MiB)")
        case let error as DecodingError:
            return APIError(400, "badJSON", "the request body is not the expected JSON: \(describe(error))")
        case let error as StoreError:
            return APIError(500, "storeError", error.description)
        case let error as ModelError:
            return APIError(500, "modelError", error.description)
        default:
            return APIError(500, "internalError", "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context): return context.debugDescription.isEmpty ? "malformed JSON" : context.debugDescription
        case .keyNotFound(let key, _): return "field \"\(key.stringValue)\" is missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "field \"\(path)\": \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// The largest request body accepted (1 MiB); a larger one is answered 413.
public let maximumBodyBytes = 1 << 20

/// Catches every error of a route into a JSON error response and logs one line per request.
struct ErrorAndLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logs: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let failure = APIError.from(error)
            response = JSONResponse.make(failure.body, status: failure.status)
            if failure.status == .serviceUnavailable { response.headers[.retryAfter] = "1" }
        }
        if logs {
            let elapsed = ContinuousClock.now - start
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) * 1e-15
            RequestLog.write("\(request.method) \(request.uri.description) \(response.status.code) "
                             + String(format: "%.2f ms", ms))
        }
        return response
    }
}

/// One line per request on stderr.
enum RequestLog {
    static func write(_ line: String) {
        var text = line
        text.append("\n")
        text.withCString { _ = fputs($0, stderr) }
    }
}

/// JSON responses.
enum JSONResponse {
    /// A hot result written by hand (``FastJSONEncodable``); a recommendation list with skipped file lines, which
    /// the routes never produce, goes through the generic encoder.
    static func make<T: Encodable & FastJSONEncodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        if let list = value as? RecommendationList, list.unmatched != nil { return make(generic: value, status: status) }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.fastJSON)))
    }

    static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        make(generic: value, status: status)
    }

    static func make<T: Encodable>(generic value: T, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":"internalError","message":"encoding failed"}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Builds the application: the router (``buildRouter(host:configuration:)``) served at the configured address.
/// The model starts loading in the background when the server runs (503 until it is loaded).
public func buildApplication(host: ModelHost, configuration: ServerConfiguration, policy: ModelPolicy,
                             logger: Logger? = nil) -> some ApplicationProtocol {
    let router = buildRouter(host: host, configuration: configuration)
    let logger = logger ?? {
        var logger = Logger(label: "movierec-serve")
        logger.logLevel = .notice
        return logger
    }()
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "movierec"),
        onServerRunning: { channel in
            RequestLog.write("movierec serve: listening on http://\(configuration.host):\(channel.localAddress?.port ?? configuration.port) "
                             + "(database \(host.path); model loading in the background)")
            Thread.detachNewThread {
                host.load(policy: policy, warn: { RequestLog.write($0) })
                let health = host.health()
                RequestLog.write("movierec serve: model \(health.status)"
                                 + (health.message.map { ": \($0)" } ?? ", \(health.ratings) ratings"))
            }
        },
        eventLoopGroupProvider: EventLoops.provider(threads: configuration.eventLoopThreads),
        logger: logger)
}

/// The event-loop groups servers run on, one per thread count, each kept for the life of the process (a server
/// built again, as tests do, reuses the group instead of starting threads it never stops).
private enum EventLoops {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var groups: [Int: MultiThreadedEventLoopGroup] = [:]

    static func provider(threads: Int) -> EventLoopGroupProvider {
        lock.withLock {
            if let group = groups[threads] { return .shared(group) }
            let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            groups[threads] = group
            return .shared(group)
        }
    }
}

/// Runs `app` until SIGTERM or SIGINT, then shuts it down gracefully: no new connections, requests in flight
/// answered. A request that cannot finish (one waiting on a PostgreSQL connection lost in a restart) must not keep
/// the server up for ever, so after `gracePeriod` the server is cancelled, and after 2 s more it returns anyway.
public func runUntilSignalled(_ app: some ApplicationProtocol, gracePeriod: Duration = .seconds(8),
                              logger: Logger = Logger(label: "movierec.serve")) async throws {
    var configuration = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint],
                                                  logger: logger)
    configuration.maximumGracefulShutdownDuration = gracePeriod
    configuration.maximumCancellationDuration = .seconds(2)
    try await ServiceGroup(configuration: configuration).run()
}
