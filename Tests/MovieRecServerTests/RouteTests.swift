import Foundation
import Hummingbird
import HummingbirdTesting
import MovieRecModel
@testable import MovieRecServer
import MovieRecService
import MovieRecStore
import Testing

/// A scratch database with the worked example (data/worked-example) imported and, unless `trained` is false,
/// trained as in the design (plain SVD, rank 2).
final class WorkedExampleDatabase: @unchecked Sendable {
    static let data = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("data/worked-example")
    let directory: URL
    let path: String

    init(trained: Bool = true) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("movierec-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        path = directory.appendingPathComponent("db.sqlite").path
        _ = try RatingsImporter(databasePath: path,
                                options: ImportOptions(moviesFile: Self.data.appendingPathComponent("movies.csv").path))
            .run(ratingsFile: Self.data.appendingPathComponent("ratings.csv").path)
        if trained {
            var parameters = ModelParameters()
            parameters.rank = 2
            parameters.baselineMode = .none
            _ = try ModelSession.train(databasePath: path, parameters: parameters)
        }
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// A host with the model loaded (the server's state once its background load finished).
    func loadedHost() throws -> ModelHost {
        let host = try ModelHost(path: path)
        host.load(policy: ModelPolicy())
        return host
    }
}

/// Route tests of the JSON API and the page, in process (no socket), on the worked example of the design:
/// P1–P4 like science fiction (films 1–3), P5–P7 romance (films 4–5); P8 rated Star Wars 5, P9 The Matrix 4 and
/// Iron Man 5. Expected figures are the design's (/shared/design/worked-example.md, copied in data/worked-example).
@Suite("movierec serve: routes")
struct RouteTests {
    private func app(_ host: ModelHost, _ configuration: ServerConfiguration = ServerConfiguration(logsRequests: false))
        -> some ApplicationProtocol {
        Application(router: buildRouter(host: host, configuration: configuration))
    }

    /// The response body as a JSON object (empty, with a recorded issue, when it is not one).
    private func json(_ response: TestResponse) -> [String: Any] {
        let text = String(buffer: response.body)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            Issue.record("not a JSON object: \(text)")
            return [:]
        }
        return object
    }

    private func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    private func ids(_ list: Any?, _ key: String) -> [String] {
        (list as? [[String: Any]] ?? []).compactMap { $0[key] as? String }
    }

    @Test("GET / serves the page; health and stats report the database and the model")
    func pageHealthStats() async throws {
        let database = try WorkedExampleDatabase()
        try await app(try database.loadedHost()).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                let page = String(buffer: response.body)
                #expect(page.contains("<title>movierec</title>") && page.contains("/api/v1/recommendations"))
                #expect(!page.contains("http://") && !page.contains("https://"), "the page must work offline (no CDN)")
            }
            try await client.execute(uri: "/api/v1/health", method: .get) { response in
                let health = json(response)
                #expect(health["status"] as? String == "ok")
                #expect(health["ratings"] as? Int == 20)
                #expect(health["modelRatingsVersion"] as? Int == 1)
            }
            try await client.execute(uri: "/api/v1/stats", method: .get) { response in
                let stats = json(response)
                #expect(stats["ratings"] as? Int == 20 && stats["users"] as? Int == 7 && stats["movies"] as? Int == 5)
            }
        }
    }

    @Test("recommendations skip rated films and carry reasons; similar and compare match the worked example")
    func userEndpoints() async throws {
        let database = try WorkedExampleDatabase()
        try await app(try database.loadedHost()).test(.router) { client in
            try await client.execute(uri: "/api/v1/users/P5/recommendations?count=3&explain=true", method: .get) { response in
                #expect(response.status == .ok)
                let report = json(response)
                #expect(report["user"] as? String == "P5" && report["newUser"] as? Bool == false)
                let items = try #require(report["recommendations"] as? [[String: Any]])
                // P5 rated films 2, 4 and 5: Star Wars and Iron Man are left, tied (README tour), the lower id first.
                #expect(items.compactMap { $0["movie"] as? String } == ["1", "3"])
                #expect(items.first?["title"] as? String == "Star Wars (1977)")
                let because = try #require(items.first?["because"] as? [[String: Any]])
                #expect(!because.isEmpty && because.allSatisfy { ($0["text"] as? String)?.isEmpty == false })
            }
            try await client.execute(uri: "/api/v1/users/P5/recommendations?explain=false", method: .get) { response in
                let items = try #require(json(response)["recommendations"] as? [[String: Any]])
                #expect(items.allSatisfy { $0["because"] == nil })
            }
            try await client.execute(uri: "/api/v1/users/P1/similar?count=3", method: .get) { response in
                let report = json(response)
                // P1–P4 have latent cosine 1.0000 with each other.
                let similar = try #require(report["similar"] as? [[String: Any]])
                #expect(Set(ids(similar, "user")) == ["P2", "P3", "P4"])
                #expect(similar.allSatisfy { abs(($0["cosine"] as? Double ?? 0) - 1) < 1e-3 })
            }
            try await client.execute(uri: "/api/v1/compare?a=P5&b=P6", method: .get) { response in
                let report = json(response)
                #expect(abs((report["latentCosine"] as? Double ?? 0) - 0.9804) < 1e-3)
                #expect(report["commonMovies"] as? Int == 2)
            }
            try await client.execute(uri: "/api/v1/compare?a=P1&b=P6", method: .get) { response in
                #expect(abs(json(response)["latentCosine"] as? Double ?? 1) < 0.01)
            }
        }
    }

    @Test("movie search ranks by match, then popularity; a film and its nearest films")
    func movieEndpoints() async throws {
        let database = try WorkedExampleDatabase()
        try await app(try database.loadedHost()).test(.router) { client in
            // "ma": The Matrix starts with it; Iron Man (4 ratings) and You've Got Mail (3) have a word starting with it.
            try await client.execute(uri: "/api/v1/movies?search=ma", method: .get) { response in
                #expect(ids(json(response)["movies"], "movie") == ["2", "3", "4"])
            }
            try await client.execute(uri: "/api/v1/movies?search=The%20Matrix&limit=1", method: .get) { response in
                #expect(ids(json(response)["movies"], "movie") == ["2"])
            }
            try await client.execute(uri: "/api/v1/movies/2", method: .get) { response in
                let movie = json(response)
                #expect(movie["title"] as? String == "Matrix, The (1999)" && movie["year"] as? Int == 1999)
                #expect(movie["ratings"] as? Int == 6)
                #expect(abs((movie["meanRating"] as? Double ?? 0) - 16.0 / 6) < 1e-4)   // (1+3+4+5+2+1)/6
            }
            try await client.execute(uri: "/api/v1/movies/1/similar?count=2", method: .get) { response in
                let report = json(response)
                let similar = try #require(report["similar"] as? [[String: Any]])
                // README tour: by cosine shrunk by support, The Matrix (0.9837, 6 ratings), then Iron Man (1.0000, 4).
                #expect(ids(similar, "movie") == ["2", "3"])
                #expect(abs((similar.first?["cosine"] as? Double ?? 0) - 0.9837) < 1e-3)
            }
        }
    }

    @Test("POST recommendations and similar fold an anonymous user in: nothing stored")
    func anonymousUser() async throws {
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        try await app(host).test(.router) { client in
            let p9 = #"{"ratings":[{"movie":"2","rating":4},{"movie":3,"rating":5}],"count":5}"#
            try await client.execute(uri: "/api/v1/recommendations?minPredicted=0", method: .post, body: body(p9)) { response in
                #expect(response.status == .ok)
                let report = json(response)
                #expect(report["user"] as? String == "me" && report["newUser"] as? Bool == true)
                #expect(Set(ids(report["recommendations"], "movie")) == ["1", "4", "5"])
            }
            // P8 (Star Wars 5) lands among the science-fiction fans P1–P4.
            let p8 = #"{"ratings":[{"movie":"1","rating":5}],"count":1}"#
            try await client.execute(uri: "/api/v1/similar", method: .post, body: body(p8)) { response in
                let first = ids(json(response)["similar"], "user").first
                #expect(["P1", "P2", "P3", "P4"].contains(first ?? ""))
            }
        }
        #expect(try host.store.statistics().ratings == 20)
    }

    @Test("PUT and DELETE a rating: stored at once, reflected in the next recommendations without retraining")
    func ratingEdits() async throws {
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        try await app(host).test(.router) { client in
            try await client.execute(uri: "/api/v1/users/P6/ratings/2", method: .put, body: body(#"{"rating":1}"#)) { response in
                #expect(response.status == .ok)
                let edit = json(response)
                #expect(edit["changed"] as? Bool == true && edit["userRatings"] as? Int == 3 && edit["ratingsVersion"] as? Int == 2)
            }
            try await client.execute(uri: "/api/v1/users/P6/recommendations?minPredicted=0", method: .get) { response in
                #expect(Set(ids(json(response)["recommendations"], "movie")) == ["1", "3"])
            }
            try await client.execute(uri: "/api/v1/users/P6/ratings", method: .get) { response in
                let ratings = try #require(json(response)["ratings"] as? [[String: Any]])
                #expect(ids(ratings, "movie") == ["2", "4", "5"])
            }
            try await client.execute(uri: "/api/v1/users/P6/ratings/2", method: .delete) { response in
                #expect(response.status == .ok)
                #expect(json(response)["userRatings"] as? Int == 2)
            }
            try await client.execute(uri: "/api/v1/users/P6/recommendations?minPredicted=0", method: .get) { response in
                #expect(Set(ids(json(response)["recommendations"], "movie")) == ["1", "2", "3"])
            }
            // A new user is added by their first rating and recommended for at once.
            try await client.execute(uri: "/api/v1/users/Q1/ratings/1", method: .put, body: body(#"{"rating":5}"#)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/users/Q1/recommendations", method: .get) { response in
                #expect(response.status == .ok)
                #expect(!ids(json(response)["recommendations"], "movie").contains("1"))
            }
            try await client.execute(uri: "/api/v1/health", method: .get) { response in
                #expect(json(response)["editedUsers"] as? Int == 2)
            }
        }
        let store = try RatingStore(path: database.path, createIfMissing: false)
        #expect(try store.ratings(ofUser: "Q1")?.map(\.movie) == ["1"])
        #expect(try store.ratings(ofUser: "P6")?.map(\.movie) == ["4", "5"])
        #expect(try store.ratingsVersion() == 4)
    }

    @Test("POST model/train retrains in the background and swaps the model in; edits it covers are dropped")
    func retrain() async throws {
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        try await app(host).test(.router) { client in
            try await client.execute(uri: "/api/v1/users/P6/ratings/1", method: .put, body: body(#"{"rating":2}"#)) { _ in }
            try await client.execute(uri: "/api/v1/model/train", method: .post) { response in
                #expect(response.status == .accepted)
                #expect(json(response)["ratingsVersion"] as? Int == 2)
            }
            var health: [String: Any] = [:]
            for _ in 0..<200 {
                health = try await client.execute(uri: "/api/v1/health", method: .get) { json($0) }
                if health["training"] as? Bool == false { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(health["training"] as? Bool == false)
            #expect(health["modelRatingsVersion"] as? Int == 2 && health["ratings"] as? Int == 21)
            #expect(health["editedUsers"] as? Int == 0)
            try await client.execute(uri: "/api/v1/users/P6/recommendations?minPredicted=0", method: .get) { response in
                #expect(Set(ids(json(response)["recommendations"], "movie")) == ["2", "3"])
            }
        }
    }

    @Test("errors: 400 bad JSON, bad number, off-scale rating; 404 unknown user, film, path; 413 over 1 MiB")
    func errorStatuses() async throws {
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        try await app(host).test(.router) { client in
            func expect(_ uri: String, _ method: HTTPRequest.Method, _ text: String? = nil, _ status: Int,
                        _ error: String, mentioning words: [String] = []) async throws {
                try await client.execute(uri: uri, method: method, body: text.map(body)) { response in
                    #expect(Int(response.status.code) == status, "\(method) \(uri)")
                    let answer = json(response)
                    #expect(answer["error"] as? String == error, "\(method) \(uri): \(answer)")
                    let message = answer["message"] as? String ?? ""
                    for word in words { #expect(message.contains(word), "\(method) \(uri): \(message)") }
                }
            }
            try await expect("/api/v1/users/P6/ratings/2", .put, "{", 400, "badJSON")
            try await expect("/api/v1/users/P6/ratings/2", .put, #"{"rating":"lots"}"#, 400, "badJSON", mentioning: ["rating"])
            try await expect("/api/v1/users/P6/ratings/2", .put, #"{"rating":9}"#, 400, "invalidRatings", mentioning: ["9", "scale"])
            try await expect("/api/v1/recommendations", .post, #"{"ratings":[{"movie":"1","rating":7}]}"#, 400, "invalidRatings")
            try await expect("/api/v1/recommendations", .post, #"{"ratings":[]}"#, 400, "invalidRatings")
            try await expect("/api/v1/users/P1/recommendations?count=abc", .get, nil, 400, "invalidRequest", mentioning: ["count"])
            try await expect("/api/v1/compare?a=P1", .get, nil, 400, "invalidRequest")
            try await expect("/api/v1/users/P99/recommendations", .get, nil, 404, "unknownUser", mentioning: ["P99"])
            try await expect("/api/v1/compare?a=P1&b=nobody", .get, nil, 404, "unknownUser", mentioning: ["nobody"])
            try await expect("/api/v1/movies/42", .get, nil, 404, "unknownMovie", mentioning: ["42"])
            try await expect("/api/v1/users/P6/ratings/42", .put, #"{"rating":3}"#, 404, "unknownMovie", mentioning: ["42"])
            try await expect("/api/v1/recommendations", .post, #"{"ratings":[{"movie":"42","rating":3}]}"#, 404, "unknownMovie")
            try await expect("/api/v1/nothing-here", .get, nil, 404, "notFound")
            let large = #"{"ratings":[{"movie":"1","rating":5}],"padding":""# + String(repeating: "x", count: 1 << 20) + #""}"#
            try await expect("/api/v1/recommendations", .post, large, 413, "bodyTooLarge")
        }
        // Nothing of the failed writes reached the database.
        #expect(try host.store.ratingsVersion() == 1)
        #expect(try host.store.statistics().ratings == 20)
    }

    @Test("409 without a model (and what to run); 503 while the first model loads; 409 for a second retraining")
    func modelStates() async throws {
        let untrained = try WorkedExampleDatabase(trained: false)
        let missing = try untrained.loadedHost()
        try await app(missing).test(.router) { client in
            try await client.execute(uri: "/api/v1/users/P1/recommendations", method: .get) { response in
                #expect(response.status.code == 409)
                let answer = json(response)
                #expect(answer["error"] as? String == "noModel")
                #expect((answer["message"] as? String ?? "").contains("movierec train"))
            }
            try await client.execute(uri: "/api/v1/health", method: .get) { response in
                #expect(json(response)["status"] as? String == "noModel")
            }
        }
        let unloaded = try WorkedExampleDatabase()
        let loading = try ModelHost(path: unloaded.path)   // not loaded yet
        try await app(loading).test(.router) { client in
            try await client.execute(uri: "/api/v1/movies?search=matrix", method: .get) { response in
                #expect(response.status.code == 503)
                #expect(json(response)["error"] as? String == "modelLoading")
            }
            try await client.execute(uri: "/api/v1/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(json(response)["status"] as? String == "loading")
            }
        }
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        _ = try host.startTraining()
        #expect { try host.startTraining() } throws: { ($0 as? ServiceError)?.kind == .trainingInProgress }
        while host.isTraining { try await Task.sleep(for: .milliseconds(20)) }
    }

    @Test("the token rule: 401 without or with a wrong bearer token; 403 for writes off loopback without a token")
    func tokenRule() async throws {
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        let guarded = ServerConfiguration(token: "s3cret", logsRequests: false)
        try await app(host, guarded).test(.router) { client in
            for headers: HTTPFields in [[:], [.authorization: "Bearer wrong"]] {
                try await client.execute(uri: "/api/v1/users/P6/ratings/2", method: .put, headers: headers,
                                         body: body(#"{"rating":3}"#)) { response in
                    #expect(response.status.code == 401)
                    #expect(json(response)["error"] as? String == "unauthorized")
                }
                try await client.execute(uri: "/api/v1/model/train", method: .post, headers: headers) { response in
                    #expect(response.status.code == 401)
                }
                try await client.execute(uri: "/api/v1/users/P6/ratings/4", method: .delete, headers: headers) { response in
                    #expect(response.status.code == 401)
                }
            }
            // Reads need no token.
            try await client.execute(uri: "/api/v1/users/P6/recommendations?minPredicted=0", method: .get) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/users/P6/ratings/2", method: .put,
                                     headers: [.authorization: "Bearer s3cret"], body: body(#"{"rating":3}"#)) { response in
                #expect(response.status == .ok)
            }
        }
        let open = ServerConfiguration(host: "0.0.0.0", token: nil, logsRequests: false)
        try await app(host, open).test(.router) { client in
            try await client.execute(uri: "/api/v1/users/P6/ratings/2", method: .put, body: body(#"{"rating":3}"#)) { response in
                #expect(response.status.code == 403)
                #expect((json(response)["message"] as? String ?? "").contains("--token"))
            }
            try await client.execute(uri: "/api/v1/users/P6/recommendations?minPredicted=0", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
        #expect(try host.store.ratingsVersion() == 2)   // only the authorised PUT was written
    }

    @Test("the hand-written JSON of recommendations, similar users and films is JSONEncoder's (sorted keys)")
    func fastJSONMatchesEncoder() throws {
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        let session = try host.session()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let user = try host.user("P6", in: session)
        var tricky = try session.recommendations(for: user, count: 5, explain: true)
        tricky = RecommendationList(user: "quote\" back\\ tab\t é/\u{01}", newUser: true,
                                    recommendations: tricky.recommendations, unmatched: nil)
        let cases: [(String, [UInt8], Data)] = [
            ("recommendations", tricky.fastJSON, try encoder.encode(tricky)),
            ("no explanations", try session.recommendations(for: user, count: 5, explain: false).fastJSON,
             try encoder.encode(try session.recommendations(for: user, count: 5, explain: false))),
            ("similar users", try session.similarUsers(to: user, count: 6).fastJSON,
             try encoder.encode(try session.similarUsers(to: user, count: 6))),
            ("similar films", try session.similarMovies(to: 0, count: 4).fastJSON,
             try encoder.encode(try session.similarMovies(to: 0, count: 4))),
        ]
        for (name, fast, reference) in cases {
            #expect(String(decoding: fast, as: UTF8.self) == String(decoding: reference, as: UTF8.self), "\(name)")
        }
    }

    @Test("recommendations of a database user are kept per model: the computed answer, never after the user's own edit")
    func recommendationCache() async throws {
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        let session = try host.session()
        for id in ["P1", "P5", "P7"] {
            for explain in [true, false] {
                let user = try host.user(id, in: session)
                let computed = try session.recommendations(for: user, count: 3, explain: explain)
                #expect(try host.recommendations(for: user, count: 3, explain: explain, in: session) == computed)  // fills
                #expect(try host.recommendations(for: user, count: 3, explain: explain, in: session) == computed)  // cached
                // Another count, and a floor of its own (never cached), are computed for what they ask.
                #expect(try host.recommendations(for: user, count: 1, explain: explain, in: session)
                        == session.recommendations(for: user, count: 1, explain: explain))
                #expect(try host.recommendations(for: user, count: 3, explain: explain, floor: .off, in: session)
                        == session.recommendations(for: user, count: 3, explain: explain, floor: .off))
            }
        }
        try await app(host).test(.router) { client in
            // P5's cached top film, once rated by P5, is never listed again: the edit bypasses the cache.
            var first = ""
            try await client.execute(uri: "/api/v1/users/P5/recommendations?count=3", method: .get) { response in
                first = try #require(ids(json(response)["recommendations"], "movie").first)
            }
            try await client.execute(uri: "/api/v1/users/P5/ratings/\(first)", method: .put, body: body(#"{"rating":4}"#)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/users/P5/recommendations?count=3", method: .get) { response in
                #expect(!ids(json(response)["recommendations"], "movie").contains(first))
            }
        }
        let p5 = try host.user("P5", in: session)
        #expect(try host.recommendations(for: p5, count: 3, explain: true, in: session)
                == session.recommendations(for: p5, count: 3, explain: true))
        // After a retrain the old model's lists are not reused.
        _ = try host.startTraining()
        while host.isTraining { try await Task.sleep(for: .milliseconds(20)) }
        let retrained = try host.session()
        #expect(retrained.info.id != session.info.id)
        for id in ["P1", "P5"] {
            let user = try host.user(id, in: retrained)
            #expect(try host.recommendations(for: user, count: 3, explain: true, in: retrained)
                    == retrained.recommendations(for: user, count: 3, explain: true))
        }
    }

    @Test("similar users of a database user are kept per model: the same answer as computing them, before and after a swap")
    func similarCache() async throws {
        let database = try WorkedExampleDatabase()
        let host = try database.loadedHost()
        let session = try host.session()
        for id in ["P1", "P5", "P7"] {
            let user = try host.user(id, in: session)
            let computed = try session.similarUsers(to: user, count: 3)
            #expect(try host.similarUsers(to: user, count: 3, in: session) == computed)   // fills the cache
            #expect(try host.similarUsers(to: user, count: 3, in: session) == computed)   // from the cache
            #expect(try host.similarUsers(to: user, count: 6, in: session) == session.similarUsers(to: user, count: 6))
        }
        // P7 rates Star Wars 5 and the model is retrained: the cached list of the old model is not reused.
        _ = try host.setRating(user: "P7", movie: "1", rating: 5)
        _ = try host.startTraining()
        while host.isTraining { try await Task.sleep(for: .milliseconds(20)) }
        let retrained = try host.session()
        #expect(retrained.info.id != session.info.id)
        let p7 = try host.user("P7", in: retrained)
        #expect(try host.similarUsers(to: p7, count: 6, in: retrained) == retrained.similarUsers(to: p7, count: 6))
        #expect(try host.similarUsers(to: p7, count: 6, in: retrained).similar.first?.commonMovies
                == retrained.similarUsers(to: p7, count: 1).similar.first?.commonMovies)
    }
}
