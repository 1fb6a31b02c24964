import Foundation
import Hummingbird
import HummingbirdTesting
import MovieRecServer
import MovieRecService
import Testing

/// The server's fold-in with a person's own ratings (titles, `tt` ids, a Letterboxd CSV body) and the
/// recommendation filters as query parameters and body fields, on the worked example.
@Suite("movierec serve: personal ratings and filters")
struct PersonalRatingsRouteTests {
    private func app(_ host: ModelHost) -> some ApplicationProtocol {
        Application(router: buildRouter(host: host, configuration: ServerConfiguration(logsRequests: false)))
    }

    private func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
    }

    private func ids(_ list: Any?, _ key: String = "movie") -> [String] {
        (list as? [[String: Any]] ?? []).compactMap { $0[key] as? String }
    }

    @Test("POST recommendations by title: P9 by title gives P9's list; an unknown film is listed, strict makes it 400")
    func titles() async throws {
        let database = try WorkedExampleDatabase()
        try await app(try database.loadedHost()).test(.router) { client in
            let byID = #"{"ratings":[{"movie":"2","rating":4},{"movie":"3","rating":5}],"count":3,"explain":false}"#
            var expected: [String] = []
            try await client.execute(uri: "/api/v1/recommendations?minPredicted=0", method: .post, body: ByteBuffer(string: byID)) { response in
                expected = ids(json(response)["recommendations"])
            }
            #expect(Set(expected) == ["1", "4", "5"])
            let byTitle = #"{"ratings":[{"movie":"The Matrix (1999)","rating":4},{"movie":"Iron Man","rating":5},"#
                + #"{"movie":"Notting Hill (1999)","rating":4}],"count":3,"explain":false}"#
            try await client.execute(uri: "/api/v1/recommendations?minPredicted=0", method: .post, body: ByteBuffer(string: byTitle)) { response in
                #expect(response.status == .ok)
                let report = json(response)
                #expect(ids(report["recommendations"]) == expected)
                let unmatched = report["unmatched"] as? [[String: Any]] ?? []
                #expect(unmatched.map { $0["line"] as? Int } == [3])
                #expect(unmatched.first?["reason"] as? String == "no-match")
            }
            let strict = byTitle.replacingOccurrences(of: #""explain":false"#, with: #""explain":false,"strict":true"#)
            try await client.execute(uri: "/api/v1/recommendations?minPredicted=0", method: .post, body: ByteBuffer(string: strict)) { response in
                #expect(response.status.code == 400)
                #expect(json(response)["error"] as? String == "invalidRatings")
                #expect((json(response)["message"] as? String ?? "").contains("Notting Hill"))
            }
        }
    }

    @Test("POST a Letterboxd CSV body: matched by title, stars mapped, the unknown film listed; malformed CSV is 400")
    func letterboxdBody() async throws {
        let database = try WorkedExampleDatabase()
        let csv = try String(contentsOf: WorkedExampleDatabase.data.appendingPathComponent("letterboxd-ratings.csv"), encoding: .utf8)
        let headers: HTTPFields = [.contentType: "text/csv"]
        try await app(try database.loadedHost()).test(.router) { client in
            try await client.execute(uri: "/api/v1/recommendations?count=5&explain=false", method: .post, headers: headers,
                                     body: ByteBuffer(string: csv)) { response in
                #expect(response.status == .ok)
                let report = json(response)
                // The romance fan rated 4, 5 and 2: the science-fiction films 1 and 3 are left.
                #expect(Set(ids(report["recommendations"])) == ["1", "3"])
                #expect((report["unmatched"] as? [[String: Any]])?.map { $0["line"] as? Int } == [5])
            }
            try await client.execute(uri: "/api/v1/recommendations?minPredicted=0", method: .post, headers: headers,
                                     body: ByteBuffer(string: "movie,rating\n\"Heat,4\n")) { response in
                #expect(response.status.code == 400)
                #expect(json(response)["error"] as? String == "invalidRatings")
            }
        }
    }

    @Test("filters as query parameters and body fields, applied before the count: genre, year, exclude, include_rated")
    func filters() async throws {
        let database = try WorkedExampleDatabase()
        try await app(try database.loadedHost()).test(.router) { client in
            func films(_ uri: String) async throws -> [String] {
                var result: [String] = []
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    result = ids(json(response)["recommendations"])
                }
                return result
            }
            // P6's unfiltered first film is The Matrix (2); one Adventure film is Star Wars.
            #expect(try await films("/api/v1/users/P6/recommendations?count=1&minPredicted=0") == ["2"])
            #expect(try await films("/api/v1/users/P6/recommendations?count=1&genre=Adventure&minPredicted=0") == ["1"])
            #expect(try await films("/api/v1/users/P6/recommendations?genre=Sci-Fi&year=2000..&minPredicted=0") == ["3"])
            #expect(try await films("/api/v1/users/P6/recommendations?exclude=2,1&minPredicted=0") == ["3"])
            #expect(try await films("/api/v1/users/P6/recommendations?count=2&include_rated=true&minPredicted=0").sorted() == ["4", "5"])
            try await client.execute(uri: "/api/v1/users/P6/recommendations?genre=Western", method: .get) { response in
                #expect(response.status.code == 400)
                #expect((json(response)["message"] as? String ?? "").contains("Western"))
            }
            // A path is never read as a file of films: only ids are accepted.
            try await client.execute(uri: "/api/v1/users/P6/recommendations?exclude=/etc/hostname", method: .get) { response in
                #expect(response.status.code == 400)
            }
            let body = #"{"ratings":[{"movie":"4","rating":5}],"genre":["Action"],"exclude":["2"],"count":5,"explain":false}"#
            try await client.execute(uri: "/api/v1/recommendations?minPredicted=0", method: .post, body: ByteBuffer(string: body)) { response in
                #expect(response.status == .ok)
                #expect(Set(ids(json(response)["recommendations"])) == ["1", "3"])
            }
        }
    }
}
