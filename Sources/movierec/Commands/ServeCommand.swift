import ArgumentParser
import Foundation
import Hummingbird
import MovieRecPostgres
import MovieRecServer
import MovieRecService

/// `movierec serve`: the JSON API and the web page over HTTP.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the JSON API and a web page to rate films and get recommendations live.",
        discussion: """
            Binds 127.0.0.1 unless --host says otherwise and logs one line per request on stderr; Ctrl-C (SIGINT) or \
            SIGTERM stops it cleanly. Endpoints under /api/v1: health, stats, users/{id}/recommendations, \
            users/{id}/similar, users/{id}/ratings, compare?a=&b=, movies?search=, movies/{id}, movies/{id}/similar, \
            POST recommendations (a new user's ratings, nothing stored), PUT/DELETE users/{id}/ratings/{movie}, \
            POST model/train. Write endpoints need `Authorization: Bearer T` when --token (or MOVIEREC_TOKEN) is \
            set, and are refused on a non-loopback address without a token.

            With --ratings-source several replicas share one PostgreSQL: rating PUT/DELETE are stored there (one \
            upsert each, newest timestamp wins), recommendations fold in the user's ratings read from there, and \
            the newest model published with `movierec train --publish` is fetched and swapped in (polled every \
            second; GET /api/v1/health shows modelVersion). While PostgreSQL is down, writes get 503 with \
            Retry-After and reads answer from the ratings seen last (header X-MovieRec-Ratings: last-seen).

            Examples:
              movierec serve --db demo.sqlite
              movierec serve --db movies.sqlite --port 9000 --token s3cret
              movierec serve --db local.sqlite \\
                  --ratings-source postgresql://app@db:5432/site
            """
    )

    @Option(help: ArgumentHelp("Address to listen on (loopback by default).", valueName: "host"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("TCP port (0: any free port, printed at start).", valueName: "port"))
    var port = 8080

    @Option(help: ArgumentHelp("Bearer token the write endpoints require (default: $MOVIEREC_TOKEN).", valueName: "T"))
    var token: String?

    @Option(help: ArgumentHelp("postgresql://USER@HOST:PORT/DB shared by replicas: ratings and published models "
                               + "(password from PGPASSWORD or ~/.pgpass).", valueName: "url"))
    var ratingsSource: String?

    @Option(help: ArgumentHelp("The ratings table in --ratings-source (created when missing).", valueName: "table"))
    var ratingsTable = "ratings"

    @Flag(help: "Do not log one line per request.")
    var noRequestLog = false

    @Option(help: ArgumentHelp("Threads that read and write connections; answers are computed on a pool of one thread "
                               + "per core (more loops competed with it on 2 cores: see docs/serve-load.md).",
                               valueName: "n"))
    var eventLoops = ServerConfiguration.defaultEventLoopThreads

    @OptionGroup var model: ModelOptions
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0…65535.") }
        guard (1...256).contains(eventLoops) else { throw ValidationError("--event-loops must be in 1…256.") }
    }

    func run() async throws {
        let token = self.token ?? ProcessInfo.processInfo.environment["MOVIEREC_TOKEN"]
        let configuration = ServerConfiguration(host: host, port: port, token: token, logsRequests: !noRequestLog,
                                                eventLoopThreads: eventLoops)
        let source = try ratingsSource.map { try PostgresRatingsSource(location: try PostgresLocation($0), table: ratingsTable) }
        let modelHost = try ModelHost(path: database.resolvedPath, sharedRatings: source)
        if !configuration.isLoopback && configuration.token == nil {
            printError("warning: listening on \(host) without a token: write endpoints are refused")
        }
        let app = buildApplication(host: modelHost, configuration: configuration, policy: model.policy)
        guard let source else {
            try await runUntilSignalled(app)
            printError("movierec serve: stopped")
            return
        }
        let follower = PublishedModelFollower(source: source, host: modelHost,
                                              folder: database.resolvedPath + ".published") { printError($0) }
        let finished = StoppedFlag()
        let sourceTask = Task {
            await source.run()
            finished.set()
        }
        let followerTask = Task {
            var reported = false
            while !Task.isCancelled {
                do {
                    try await source.prepare()
                    break
                } catch {
                    if !reported { printError("movierec serve: \(error) (retrying every second)") }
                    reported = true
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            await follower.run()
        }
        defer {
            followerTask.cancel()
            sourceTask.cancel()
        }
        try await runUntilSignalled(app)
        followerTask.cancel()
        sourceTask.cancel()
        // Cancelled, the PostgreSQL client waits for every connection it has lent; a query given up after its
        // timeout while PostgreSQL restarted can hold one for ever (a replica then never stopped on SIGTERM).
        // Its connections are closed with the process anyway, so the wait is bounded.
        for _ in 0..<50 where !finished.isSet {
            try? await Task.sleep(for: .milliseconds(100))
        }
        if !finished.isSet { printError("movierec serve: PostgreSQL connections still busy after 5 s; stopping anyway") }
        printError("movierec serve: stopped")
    }
}

/// Set once by one task, read by another: whether the PostgreSQL client has stopped.
private final class StoppedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    /// Marks it set.
    func set() { lock.withLock { value = true } }

    /// Whether it is set.
    var isSet: Bool { lock.withLock { value } }
}
