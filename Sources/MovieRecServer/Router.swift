import Foundation
import Hummingbird
import MovieRecModel
import MovieRecNumerics
import MovieRecService
import MovieRecStore

/// One rating in a request body: the movie by external id (a JSON string or number), `tt` IMDb id or title (with or
/// without "(1999)"; matched like a line of a `movie,rating` file), and the rating.
struct RatingEntry: Decodable {
    let movie: String
    let rating: Float

    enum CodingKeys: String, CodingKey { case movie, rating }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? container.decode(String.self, forKey: .movie) {
            movie = text
        } else if let number = try? container.decode(Int64.self, forKey: .movie) {
            movie = String(number)
        } else {
            throw DecodingError.typeMismatch(String.self, .init(codingPath: container.codingPath + [CodingKeys.movie],
                                                                debugDescription: "expected a movie id (a string or a whole number)"))
        }
        rating = try container.decode(Float.self, forKey: .rating)
    }
}

/// `POST /api/v1/recommendations` and `POST /api/v1/similar`: an anonymous user's ratings, and for recommendations
/// the filters (`genre`, `year`, `exclude` ids, `includeRated`). Films that match nothing or several are skipped
/// and listed in the answer's `unmatched` (`strict`: an error instead).
struct NewUserRequest: Decodable {
    let ratings: [RatingEntry]
    let count: Int?
    let explain: Bool?
    let strict: Bool?
    let genre: [String]?
    let year: String?
    let exclude: [String]?
    let includeRated: Bool?

    /// The filters of the request.
    var filter: FilterRequest {
        FilterRequest(genres: genre ?? [], years: year, exclude: exclude ?? [], includeRated: includeRated ?? false)
    }
}

/// `PUT /api/v1/users/{id}/ratings/{movie}`.
struct RatingBody: Decodable {
    let rating: Float
}

/// `GET /api/v1/users/{id}/ratings`: the user's stored ratings.
public struct UserRatings: Codable, Sendable, Equatable {
    /// One stored rating.
    public struct Entry: Codable, Sendable, Equatable {
        /// The film's id.
        public let movie: String
        /// Its title.
        public let title: String
        /// The rating.
        public let rating: Float
    }
    /// The user's id.
    public let user: String
    /// Every stored rating, in movie id order.
    public let ratings: [Entry]
}

/// `GET /api/v1/movies/{id}`: a film and its nearest films.
public struct MovieDetail: Codable, Sendable, Equatable {
    /// The film.
    public let movie: MovieSummary
}

/// Builds the router of the JSON API and the page (`GET /`), answering from `host`.
///
/// Every route's errors become `{"error", "message"}` with the status of ``APIError/from(_:)``; write routes
/// (ratings PUT/DELETE, model/train) follow ``ServerConfiguration/refusesWrite(authorization:)``.
public func buildRouter(host: ModelHost, configuration: ServerConfiguration) -> Router<BasicRequestContext> {
    let router = Router()
    router.add(middleware: ErrorAndLogMiddleware(logs: configuration.logsRequests))
    let api = API(host: host, configuration: configuration)

    router.get("/") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: WebPage.html)))
    }
    router.get("/api/v1/health") { _, _ in JSONResponse.make(host.health()) }
    router.get("/api/v1/stats") { request, _ in
        let top = try API.integer(request, "top", default: 10, range: 0...1000)
        return JSONResponse.make(try host.store.statistics(topMovies: top))
    }
    router.get("/api/v1/users/:id/recommendations") { request, context in
        let session = try host.session()
        let user = try await host.currentUser(try context.parameters.require("id"), in: session)
        let count = try API.integer(request, "count", default: 10, range: 1...1000)
        let explain = try API.boolean(request, "explain", default: true)
        let list = try host.recommendations(for: user.user, count: count, explain: explain, filter: try API.filter(request),
                                            floor: try API.ratingFloor(request), in: session)
        return API.marked(JSONResponse.make(list), fresh: user.fresh)
    }
    router.get("/api/v1/users/:id/similar") { request, context in
        let session = try host.session()
        let user = try await host.currentUser(try context.parameters.require("id"), in: session)
        let count = try API.integer(request, "count", default: 10, range: 1...1000)
        let similar = try host.similarUsers(to: user.user, count: count, in: session)
        return API.marked(JSONResponse.make(similar), fresh: user.fresh)
    }
    router.get("/api/v1/users/:id/ratings") { _, context in
        JSONResponse.make(try api.userRatings(try context.parameters.require("id")))
    }
    router.get("/api/v1/compare") { request, _ in
        let session = try host.session()
        guard let a = request.uri.queryParameters.get("a"), let b = request.uri.queryParameters.get("b") else {
            throw ServiceError(.invalidRequest, "compare needs two users: /api/v1/compare?a=ID&b=ID")
        }
        let count = try API.integer(request, "count", default: 5, range: 0...1000)
        let first = try await host.currentUser(a, in: session)
        let second = try await host.currentUser(b, in: session)
        return API.marked(JSONResponse.make(try session.compare(first.user, second.user, count: count)),
                          fresh: first.fresh && second.fresh)
    }
    router.get("/api/v1/movies") { request, _ in
        let session = try host.session()
        let query = request.uri.queryParameters.get("search") ?? ""
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ServiceError(.invalidRequest, "give a title to search for: /api/v1/movies?search=matrix")
        }
        let limit = try API.integer(request, "limit", default: 20, range: 1...200)
        guard let catalogue = session.catalogue else { throw ServiceError(.modelLoading, "the catalogue is loading") }
        return JSONResponse.make(MovieSearchResult(search: query,
                                                   movies: catalogue.search(query, limit: limit).map(catalogue.summary)))
    }
    router.get("/api/v1/movies/:id") { _, context in
        let session = try host.session()
        let index = try host.movieIndex(try context.parameters.require("id"), in: session)
        guard let catalogue = session.catalogue else { throw ServiceError(.modelLoading, "the catalogue is loading") }
        return JSONResponse.make(catalogue.summary(index))
    }
    router.get("/api/v1/movies/:id/similar") { request, context in
        let session = try host.session()
        let index = try host.movieIndex(try context.parameters.require("id"), in: session)
        let count = try API.integer(request, "count", default: 10, range: 1...1000)
        return JSONResponse.make(try session.similarMovies(to: index, count: count, options: .serial))
    }
    router.post("/api/v1/recommendations") { request, context in
        let session = try host.session()
        // A CSV body (`Content-Type: text/csv`) is a ratings file: movie,rating, an IMDb or a Letterboxd export;
        // its options come as query parameters.
        if API.isCSV(request) {
            let user = try api.anonymousUser(csv: try await API.body(request), strict: try API.boolean(request, "strict", default: false),
                                             in: session)
            let count = try API.integer(request, "count", default: 10, range: 1...1000)
            let filter = try session.candidates(for: try API.filter(request))
            return JSONResponse.make(try session.recommendations(
                for: user, count: count, explain: try API.boolean(request, "explain", default: true),
                candidates: filter.candidates, floor: try API.ratingFloor(request),
                unmatched: API.unmatched(user, filter.unmatched), options: .serial))
        }
        let body = try await API.decode(NewUserRequest.self, request, context)
        let user = try api.anonymousUser(body, in: session)
        let count = body.count ?? 10
        guard (1...1000).contains(count) else {
            throw ServiceError(.invalidRequest, "count \(count) is out of range: expected 1…1000")
        }
        let filter = try session.candidates(for: body.filter)
        return JSONResponse.make(try session.recommendations(for: user, count: count, explain: body.explain ?? true,
                                                             candidates: filter.candidates,
                                                             floor: try API.ratingFloor(request),
                                                             unmatched: API.unmatched(user, filter.unmatched), options: .serial))
    }
    router.post("/api/v1/similar") { request, context in
        let body = try await API.decode(NewUserRequest.self, request, context)
        let session = try host.session()
        let user = try api.anonymousUser(body, in: session)
        let count = body.count ?? 10
        guard (1...1000).contains(count) else {
            throw ServiceError(.invalidRequest, "count \(count) is out of range: expected 1…1000")
        }
        return JSONResponse.make(try session.similarUsers(to: user, count: count, options: .serial))
    }
    router.put("/api/v1/users/:id/ratings/:movie") { request, context in
        try api.authorize(request)
        let body = try await API.decode(RatingBody.self, request, context)
        let edit = try await host.storeRating(user: try context.parameters.require("id"),
                                              movie: try context.parameters.require("movie"), rating: body.rating)
        return JSONResponse.make(edit)
    }
    router.delete("/api/v1/users/:id/ratings/:movie") { request, context in
        try api.authorize(request)
        let edit = try await host.removeRating(user: try context.parameters.require("id"),
                                               movie: try context.parameters.require("movie"))
        return JSONResponse.make(edit)
    }
    router.post("/api/v1/model/train") { request, _ in
        try api.authorize(request)
        let started = try host.startTraining { result in
            switch result {
            case .success(let report):
                RequestLog.write("movierec serve: retrained (rank \(report.rank), ratings version \(report.ratingsVersion), "
                                 + String(format: "%.2f s", report.seconds) + "): the new model answers now")
            case .failure(let error):
                RequestLog.write("movierec serve: retraining failed: \(error)")
            }
        }
        return JSONResponse.make(started, status: .accepted)
    }
    return router
}

/// Request helpers shared by the routes.
struct API: Sendable {
    let host: ModelHost
    let configuration: ServerConfiguration

    /// Throws 401/403 unless the request may write (``ServerConfiguration/refusesWrite(authorization:)``).
    func authorize(_ request: Request) throws {
        if let refusal = configuration.refusesWrite(authorization: request.headers[.authorization]) {
            throw APIError(refusal.status, refusal.status == 401 ? "unauthorized" : "forbidden", refusal.message)
        }
    }

    /// `response` with `X-MovieRec-Ratings: last-seen` when the user's ratings could not be read from the
    /// shared source (the answer uses the ratings this replica saw last).
    static func marked(_ response: Response, fresh: Bool) -> Response {
        guard !fresh else { return response }
        var response = response
        response.headers[HTTPFields.Element.Name("X-MovieRec-Ratings")!] = "last-seen"
        return response
    }

    /// The anonymous user of a request body, folded into `session`: each entry's movie matched like a line of a
    /// `movie,rating` file (id, `tt` IMDb id or title); entries that match nothing or several are skipped and listed.
    func anonymousUser(_ body: NewUserRequest, in session: ModelSession) throws -> ResolvedUser {
        guard !body.ratings.isEmpty else {
            throw ServiceError(.invalidRatings, file: "request body ratings",
                               "no ratings: expected at least one {\"movie\": id or title, \"rating\": r}")
        }
        if let empty = body.ratings.firstIndex(where: { $0.movie.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ServiceError(.invalidRatings, file: "request body ratings", line: empty + 1, "the movie is empty")
        }
        let lines = body.ratings.enumerated().map {
            PersonalRatingsFile.Line(line: $0 + 1, reference: MovieReference(field: $1.movie), rating: $1.rating)
        }
        return try Self.asRequestError {
            try session.newUser(personal: PersonalRatingsFile(file: "request body ratings", format: .movieRating, lines: lines),
                                label: "me", strict: body.strict ?? false)
        }
    }

    /// The anonymous user of a CSV body (a ratings file), folded into `session`.
    func anonymousUser(csv bytes: [UInt8], strict: Bool, in session: ModelSession) throws -> ResolvedUser {
        try Self.asRequestError {
            try session.newUser(personal: PersonalRatingsFile(bytes: bytes, file: "request body"), label: "me", strict: strict)
        }
    }

    /// Runs `body`, turning the store's complaints about the ratings (a malformed line, a rating off the scale,
    /// a skipped line under `strict`) into ``ServiceError`` `.invalidRatings` (400) instead of a server error.
    static func asRequestError<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoreError where [.invalidRow, .emptyFile, .invalidOption].contains(error.kind) {
            throw ServiceError(.invalidRatings, error.description)
        }
    }

    /// The skipped entries of a new user's ratings and of the filters; `nil` when there are none.
    static func unmatched(_ user: ResolvedUser, _ filter: [UnmatchedLine]) -> [UnmatchedLine]? {
        let all = (user.unmatchedLines ?? []) + filter
        return all.isEmpty ? nil : all
    }

    /// Whether the request body is CSV (`text/csv`, or `text/plain`).
    static func isCSV(_ request: Request) -> Bool {
        guard let type = request.headers[.contentType]?.lowercased() else { return false }
        return type.hasPrefix("text/csv") || type.hasPrefix("text/plain")
    }

    /// The raw body (at most ``maximumBodyBytes``; 413 beyond).
    static func body(_ request: Request) async throws -> [UInt8] {
        var request = request
        let buffer = try await request.collectBody(upTo: maximumBodyBytes)
        return Array(buffer.readableBytesView)
    }

    /// The filters of a request's query: `genre` (repeatable), `year`, `exclude` (comma-separated ids, repeatable),
    /// `include_rated`.
    static func filter(_ request: Request) throws -> FilterRequest {
        let query = request.uri.queryParameters
        return FilterRequest(genres: query.getAll("genre"), years: query.get("year"), exclude: query.getAll("exclude"),
                             includeRated: try boolean(request, "include_rated", default: false))
    }

    /// The stored ratings of user `id`, with titles.
    func userRatings(_ id: String) throws -> UserRatings {
        let session = try host.session()
        guard let ratings = try host.store.ratings(ofUser: id) else {
            throw ServiceError(.unknownUser, "unknown user \"\(id)\": no user with this id in the database")
        }
        let entries = ratings.map { entry -> UserRatings.Entry in
            let index = session.movieIndex(externalID: entry.movie)
            let title = index.flatMap { session.catalogue?.entries[$0].title } ?? "movie \(entry.movie)"
            return UserRatings.Entry(movie: entry.movie, title: title, rating: entry.rating)
        }
        return UserRatings(user: id, ratings: entries)
    }

    /// The body decoded as JSON (at most ``maximumBodyBytes``; 413 beyond).
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, _ context: BasicRequestContext) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: maximumBodyBytes)
        guard buffer.readableBytes > 0 else {
            throw APIError(400, "badJSON", "the request body is empty: expected JSON")
        }
        return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
    }

    /// Query parameter `name` as a whole number in `range` (`fallback` when absent).
    static func integer(_ request: Request, _ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw ServiceError(.invalidRequest, "\(name) \"\(text)\" is not a whole number in \(range.lowerBound)…\(range.upperBound)")
        }
        return value
    }

    /// Query parameter `minPredicted` as a rating floor, as `recommend --min-predicted`: absent = the default floor,
    /// 0 = none, R > 0 = leave out films predicted below R.
    static func ratingFloor(_ request: Request) throws -> RatingFloor {
        guard let text = request.uri.queryParameters.get("minPredicted") else { return .automatic }
        guard let value = Float(text), value.isFinite, value >= 0 else {
            throw ServiceError(.invalidRequest, "minPredicted \"\(text)\" is not a rating ≥ 0 (0 turns the floor off)")
        }
        return value == 0 ? .off : .minimum(value)
    }

    /// Query parameter `name` as a boolean (`true`/`false`/`1`/`0`; `fallback` when absent).
    static func boolean(_ request: Request, _ name: String, default fallback: Bool) throws -> Bool {
        guard let text = request.uri.queryParameters.get(name) else { return fallback }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ServiceError(.invalidRequest, "\(name) \"\(text)\" is not true or false")
        }
    }
}
