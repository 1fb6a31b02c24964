import Foundation
import GRDB
import Testing

/// End-to-end tests of `train`, `recommend`, `similar`, `compare`, `similar-movies` and `demo` on the real binary,
/// with the worked example of the design (data/worked-example: P1–P7, films 1–5, new users P8 and P9).
@Suite("movierec train/recommend/similar/compare/demo (end to end)",
       .enabled(if: BinaryRunner.executable != nil, "movierec binary not built"))
struct ModelCLITests {
    /// The repository's `data/worked-example`, found from this file's location.
    private static let workedExample: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("data/worked-example")

    /// Who rated what in the worked example (section 1 of the design's worked example).
    private static let rated: [String: Set<String>] = [
        "P1": ["1", "2", "3"], "P2": ["1", "2", "3"], "P3": ["1", "2", "3"], "P4": ["1", "2", "3"],
        "P5": ["2", "4", "5"], "P6": ["4", "5"], "P7": ["2", "4", "5"],
    ]

    private typealias Directory = ScratchDirectory

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
    }

    private func example(_ file: String) -> String { Self.workedExample.appendingPathComponent(file).path }

    /// A directory with the worked example imported into db.sqlite.
    private func importedWorkedExample() throws -> Directory {
        let dir = try Directory()
        let imported = try dir.run(["import", example("ratings.csv"), "--movies", example("movies.csv"), "--quiet"])
        try #require(imported.status == 0, "\(imported.stderr)")
        return dir
    }

    /// The worked example imported and trained as in the design: plain SVD, rank 2.
    private func trainedWorkedExample() throws -> Directory {
        let dir = try importedWorkedExample()
        let trained = try dir.run(["train", "--baseline", "none", "--rank", "2", "--quiet"])
        try #require(trained.status == 0, "\(trained.stderr)")
        return dir
    }

    // MARK: - train

    @Test("train --baseline none --rank 2 --json reproduces the worked example's singular values 12.4810, 9.5086")
    func trainWorkedExample() throws {
        let dir = try importedWorkedExample()
        let result = try dir.run(["train", "--baseline", "none", "--rank", "2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try json(result.stdout)
        #expect(report["rank"] as? Int == 2)
        let values = try #require(report["singularValues"] as? [Double])
        try #require(values.count == 2)
        #expect(abs(values[0] - 12.4810) < 1e-3)
        #expect(abs(values[1] - 9.5086) < 1e-3)
        #expect(report["ratingsVersion"] as? Int == 1)
        #expect(report["ratings"] as? Int == 20)
        #expect(report["ratingsSource"] == nil)   // only with --ratings-source (checked by the PostgreSQL cluster test)
    }

    @Test("the same seed gives identical models: identical recommend and similar output on two databases")
    func sameSeedSameOutput() throws {
        // A structured 30 × 20 data set: two taste groups, ratings from a fixed formula.
        var ratings = "userId,movieId,rating,timestamp\n"
        for u in 1...30 {
            for m in 1...20 where (u * 7 + m * 3) % 5 != 0 {
                let rating = (u % 2 == m % 2 ? 4.0 : 2.0) + Double((u + m) % 3) * 0.5
                ratings += "\(u),\(m),\(rating),\(u * 100 + m)\n"
            }
        }
        var outputs: [String] = []
        for name in ["a.sqlite", "b.sqlite"] {
            let dir = try Directory()
            try dir.write("r.csv", ratings)
            #expect(try dir.run(["import", "r.csv", "--quiet"], db: name).status == 0)
            let trained = try dir.run(["train", "--rank", "3", "--seed", "7", "--quiet"], db: name)
            #expect(trained.status == 0, "\(trained.stderr)")
            let recommend = try dir.run(["recommend", "3", "--count", "5", "--explain", "--json"], db: name)
            let similar = try dir.run(["similar", "3", "--json"], db: name)
            #expect(recommend.status == 0 && similar.status == 0)
            outputs.append(recommend.stdout + similar.stdout)
        }
        #expect(!outputs[0].isEmpty)
        #expect(outputs[0] == outputs[1])
    }

    // MARK: - recommend

    @Test("recommend never lists a film the user rated; --json has movie, title, score, predictedRating, because")
    func recommendSkipsRatedFilms() throws {
        let dir = try trainedWorkedExample()
        for (user, films) in Self.rated.sorted(by: { $0.key < $1.key }) {
            let result = try dir.run(["recommend", user, "--count", "5", "--explain", "--json", "--min-predicted", "0"])
            #expect(result.status == 0, "\(result.stderr)")
            let report = try json(result.stdout)
            #expect(report["user"] as? String == user)
            let items = try #require(report["recommendations"] as? [[String: Any]])
            let movies = items.compactMap { $0["movie"] as? String }
            #expect(movies.count == items.count)
            #expect(Set(movies).isDisjoint(with: films), "\(user) got a rated film: \(movies)")
            #expect(Set(movies) == Set(["1", "2", "3", "4", "5"]).subtracting(films))   // every unrated film
            let scores = items.compactMap { $0["score"] as? Double }
            #expect(scores.count == items.count && scores == scores.sorted(by: >))
            for item in items {
                #expect(item["title"] as? String != nil)
                #expect(item["predictedRating"] as? Double != nil)
                let because = try #require(item["because"] as? [[String: Any]])
                #expect(!because.isEmpty)
                // Each reason is a neighbour's or a rated film's contribution to the score: positive, largest first,
                // and together at most the two attention parts.
                let contributions = because.compactMap { $0["contribution"] as? Double }
                #expect(contributions.count == because.count && contributions.allSatisfy { $0 > 0 })
                #expect(contributions == contributions.sorted(by: >))
                let attention = try #require(item["attentionScore"] as? Double)
                let ratedFilms = try #require(item["ratedMovieScore"] as? Double)
                #expect(contributions.reduce(0, +) <= (attention + ratedFilms) * (1 + 1e-6))
                for reason in because {
                    if reason["kind"] as? String == "movie" {
                        #expect(films.contains(reason["movie"] as? String ?? ""), "a rated film: \(reason)")
                        #expect((reason["text"] as? String)?.hasPrefix("you rated ") == true)
                    } else {
                        #expect(reason["kind"] as? String == "user")
                        #expect((reason["user"] as? String)?.hasPrefix("P") == true)
                    }
                }
            }
        }
        // The floor: with --min-predicted R no listed film is predicted below R, and fewer films pass a higher R.
        for floor in ["3", "4.5"] {
            let filtered = try json(try dir.run(["recommend", "P7", "--json", "--min-predicted", floor]).stdout)
            let items = try #require(filtered["recommendations"] as? [[String: Any]])
            #expect(items.allSatisfy { ($0["predictedRating"] as? Double ?? 0) >= Double(floor)! - 1e-6 })
        }
        #expect(try dir.run(["recommend", "P7", "--min-predicted", "-1"]).status != 0)
        let plain = try json(try dir.run(["recommend", "P5", "--json"]).stdout)
        let first = try #require((plain["recommendations"] as? [[String: Any]])?.first)
        #expect(first["because"] == nil)   // only with --explain
    }

    @Test("recommend text output: title, stars and the reasons")
    func recommendText() throws {
        let dir = try trainedWorkedExample()
        let result = try dir.run(["recommend", "P6", "--explain", "--min-predicted", "0"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Recommendations for user P6 (2 ratings)"))
        #expect(result.stdout.contains("Star Wars (1977)"))
        #expect(result.stdout.contains("★"))
        #expect(result.stdout.contains("because "))
        #expect(result.stdout.contains("% of this pick"))
        // Table rows start with the rank; P6 rated Titanic, which may appear only in a "because" line.
        let rows = result.stdout.split(separator: "\n").filter { $0.trimmingCharacters(in: .whitespaces).first?.isNumber == true }
        #expect(rows.count == 3)
        #expect(!rows.contains { $0.contains("Titanic") })
    }

    @Test("recommend --ratings FILE folds in a new user and never lists the file's films")
    func recommendNewUser() throws {
        let dir = try trainedWorkedExample()
        let result = try dir.run(["recommend", "--ratings", example("new-user-P9.csv"), "--json", "--min-predicted", "0"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try json(result.stdout)
        #expect(report["newUser"] as? Bool == true)
        let movies = try #require(report["recommendations"] as? [[String: Any]]).compactMap { $0["movie"] as? String }
        #expect(Set(movies) == ["1", "4", "5"])
        // P9 loves science fiction: Star Wars comes first.
        #expect(movies.first == "1")
    }

    @Test("new-user files: CRLF without a header works; an unknown movie is skipped with a warning (--strict: exit ≠ 0); a bad rating names the line")
    func newUserFileErrors() throws {
        let dir = try trainedWorkedExample()
        try dir.write("new.csv", "movie,rating\n1,4\n99,5\n")
        let result = try dir.run(["recommend", "--ratings", "new.csv"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("new.csv:3: skipped: \"99\" matches no movie"))
        let strict = try dir.run(["recommend", "--ratings", "new.csv", "--strict"])
        #expect(strict.status != 0)
        #expect(strict.stderr.contains("new.csv:3: field movie: \"99\" matches no movie"))
        // CRLF line ends, no header: the same as the file in data/worked-example.
        try dir.write("crlf.csv", "2,4.0\r\n3,5.0\r\n")
        let crlf = try dir.run(["recommend", "--ratings", "crlf.csv", "--json", "--min-predicted", "0"])
        #expect(crlf.status == 0, "\(crlf.stderr)")
        let films = try #require(try json(crlf.stdout)["recommendations"] as? [[String: Any]]).compactMap { $0["movie"] as? String }
        #expect(Set(films) == ["1", "4", "5"])
        try dir.write("bad.csv", "1,4\n2,lots\n")
        let bad = try dir.run(["recommend", "--ratings", "bad.csv"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("bad.csv:2: field rating: rating \"lots\" is not a number"))
    }

    // MARK: - similar, compare, similar-movies

    @Test("similar never lists the user itself, is in descending support-shrunk cosine order, and finds P1's taste group first")
    func similarUsers() throws {
        let dir = try trainedWorkedExample()
        for user in Self.rated.keys.sorted() {
            let result = try dir.run(["similar", user, "--count", "6", "--json"])
            #expect(result.status == 0, "\(result.stderr)")
            let report = try json(result.stdout)
            #expect(report["user"] as? String == user)
            let similar = try #require(report["similar"] as? [[String: Any]])
            #expect(similar.count == 6)
            let users = similar.compactMap { $0["user"] as? String }
            #expect(!users.contains(user))
            let scores = similar.compactMap { $0["score"] as? Double }
            #expect(scores.count == 6 && scores == scores.sorted(by: >))
        }
        let p1 = try json(try dir.run(["similar", "P1", "--count", "3", "--json"]).stdout)
        let nearest = try #require(p1["similar"] as? [[String: Any]])
        // P2–P4 have latent cosine 1.0000 with P1 and share its 3 films.
        #expect(Set(nearest.compactMap { $0["user"] as? String }) == ["P2", "P3", "P4"])
        #expect(nearest.allSatisfy { abs(($0["cosine"] as? Double ?? 0) - 1) < 1e-4 && $0["commonMovies"] as? Int == 3 })
    }

    @Test("recommend --all writes every user's list, identical to one `recommend` call per user")
    func recommendAll() throws {
        let dir = try trainedWorkedExample()
        let outcome = try dir.run(["recommend", "--all", "--count", "2", "--out", "all.csv", "--quiet"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = try String(contentsOf: dir.url.appendingPathComponent("all.csv"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(lines.first == "user,rank,movie,score")
        for user in (1...7).map({ "P\($0)" }) {
            let single = try json(try dir.run(["recommend", user, "--count", "2", "--json"]).stdout)
            let expected = try #require(single["recommendations"] as? [[String: Any]]).compactMap { $0["movie"] as? String }
            let written = lines.dropFirst().map { $0.split(separator: ",").map(String.init) }.filter { $0[0] == user }
            #expect(written.map { $0[2] } == expected, "\(user)")
            #expect(written.map { $0[1] } == expected.indices.map { String($0 + 1) })
        }
        let misuse = try dir.run(["recommend", "P1", "--all", "--out", "x.csv"])
        #expect(misuse.status != 0 && misuse.stderr.contains("--all takes no USER"))
    }

    @Test("compare P8 file vs P9 file: raw cosine 0 with no common film, yet latent cosines 0.9926 and 0.9877")
    func compareNewUsers() throws {
        let dir = try trainedWorkedExample()
        let result = try dir.run(["compare", example("new-user-P8.csv"), example("new-user-P9.csv"), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try json(result.stdout)
        #expect(report["rawCosine"] as? Double == 0.0)
        #expect(report["commonMovies"] as? Int == 0)
        // x·V_k (the space `similar` ranks in) and x·V_k·S_k⁻¹ (classic fold-in), from the worked example.
        #expect(abs((report["latentCosine"] as? Double ?? 0) - 0.9926) < 1e-3)
        #expect(abs((report["foldInCosine"] as? Double ?? 0) - 0.9877) < 1e-3)
    }

    @Test("compare two database users: P1–P5 latent cosine 0.1958, one film in common")
    func compareUsers() throws {
        let dir = try trainedWorkedExample()
        let report = try json(try dir.run(["compare", "P1", "P5", "--json"]).stdout)
        #expect(abs((report["latentCosine"] as? Double ?? 0) - 0.1958) < 1e-3)
        #expect(report["commonMovies"] as? Int == 1)
        #expect(report["rawCosine"] as? Double == 0.0)   // one common film is below the minimum support
        let disagreements = try #require(report["biggestDisagreements"] as? [[String: Any]])
        #expect(disagreements.count == 1 && disagreements.first?["movie"] as? String == "2")
    }

    @Test("similar-movies finds a film by id or unique title; an ambiguous title lists the candidates")
    func similarMovies() throws {
        let dir = try trainedWorkedExample()
        let byTitle = try json(try dir.run(["similar-movies", "matrix", "--json"]).stdout)
        #expect(byTitle["movie"] as? String == "2")
        let near = try #require(byTitle["similar"] as? [[String: Any]])
        #expect(!near.contains { $0["movie"] as? String == "2" })
        // Star Wars and Iron Man are in The Matrix's taste group.
        #expect(Set(near.prefix(2).compactMap { $0["movie"] as? String }) == ["1", "3"])
        // Support: each score is the cosine shrunk by n/(n + 20); --min-ratings 4 leaves out Mail and Titanic (3 ratings).
        for film in near {
            let (cosine, score, n) = (film["cosine"] as? Double ?? 0, film["score"] as? Double ?? 0, film["ratings"] as? Double ?? 0)
            #expect(abs(score - cosine * n / (n + 20)) < 1e-5)
        }
        let supported = try json(try dir.run(["similar-movies", "matrix", "--json", "--min-ratings", "4"]).stdout)
        #expect(Set((supported["similar"] as? [[String: Any]] ?? []).compactMap { $0["movie"] as? String }) == ["1", "3"])
        // Titles are matched without year and article: "The Matrix" is stored as "Matrix, The (1999)".
        #expect(try json(try dir.run(["similar-movies", "The Matrix", "--json"]).stdout)["movie"] as? String == "2")
        #expect(try json(try dir.run(["similar-movies", "3", "--json"]).stdout)["title"] as? String == "Iron Man (2008)")
        let ambiguous = try dir.run(["similar-movies", "(199"])
        #expect(ambiguous.status != 0)
        #expect(ambiguous.stderr.contains("matches 3 films"))
        #expect(ambiguous.stderr.contains("Titanic (1997)"))
        let unknown = try dir.run(["similar-movies", "Casablanca"])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown movie \"Casablanca\""))
    }

    // MARK: - Errors and staleness

    @Test("an unknown user names the id and lists valid ones; exit code ≠ 0")
    func unknownUser() throws {
        let dir = try trainedWorkedExample()
        for command in [["recommend", "P99"], ["similar", "P99"], ["compare", "P1", "P99"]] {
            let result = try dir.run(command)
            #expect(result.status != 0)
            #expect(result.stderr.contains("unknown user \"P99\""))
            #expect(result.stderr.contains("P1, P2"))
            #expect(result.stdout.isEmpty)
        }
    }

    @Test("without a model: says to run `movierec train`; --train-if-needed trains first")
    func noModel() throws {
        let dir = try importedWorkedExample()
        let result = try dir.run(["recommend", "P1"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("run `movierec train`"))
        let trained = try dir.run(["recommend", "P1", "--train-if-needed", "--json"])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(try json(trained.stdout)["recommendations"] as? [[String: Any]] != nil)
    }

    @Test("a model saved by another movierec version: says so and to train; --train-if-needed replaces it")
    func foreignModel() throws {
        let dir = try trainedWorkedExample()
        let queue = try DatabaseQueue(path: dir.path("db.sqlite"))
        try queue.write { db in try db.execute(sql: "UPDATE models SET header = '{}'") }
        try queue.close()
        let refused = try dir.run(["similar", "P1"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("written by another version of movierec"))
        #expect(refused.stderr.contains("movierec train"))
        let retrained = try dir.run(["similar", "P1", "--train-if-needed"])
        #expect(retrained.status == 0, "\(retrained.stderr)")
        #expect(try dir.run(["similar", "P1"]).status == 0)
    }

    @Test("a new import makes the model stale: refused with the versions, --train-if-needed retrains")
    func staleModel() throws {
        let dir = try trainedWorkedExample()
        try dir.write("more.csv", "userId,movieId,rating,timestamp\nP1,4,2.0,1800000000\n")
        #expect(try dir.run(["import", "more.csv", "--quiet"]).status == 0)
        let stale = try dir.run(["recommend", "P1"])
        #expect(stale.status != 0)
        #expect(stale.stderr.contains("the model is stale (trained on ratings version 1, the database is at 2): "
                                      + "run `movierec train`"))
        // A new rating changes the matrix shape: even --allow-stale cannot use the old factors.
        let allowed = try dir.run(["recommend", "P1", "--allow-stale"])
        #expect(allowed.status != 0)
        #expect(allowed.stderr.contains("cannot be used even with --allow-stale"))
        let retrained = try dir.run(["recommend", "P1", "--train-if-needed", "--json"])
        #expect(retrained.status == 0, "\(retrained.stderr)")
        let movies = try #require(try json(retrained.stdout)["recommendations"] as? [[String: Any]])
            .compactMap { $0["movie"] as? String }
        #expect(Set(movies) == ["5"])   // P1 now rated films 1–4
        #expect(try dir.run(["recommend", "P1"]).status == 0)   // the retrained model was saved
    }

    @Test("a changed rating value: stale, but --allow-stale may use the model (with a warning)")
    func allowStale() throws {
        let dir = try trainedWorkedExample()
        try dir.write("update.csv", "userId,movieId,rating,timestamp\nP1,3,2.0,1800000000\n")
        #expect(try dir.run(["import", "update.csv", "--quiet"]).status == 0)
        #expect(try dir.run(["similar", "P1"]).status != 0)
        let allowed = try dir.run(["similar", "P1", "--allow-stale", "--json"])
        #expect(allowed.status == 0)
        #expect(allowed.stderr.contains("warning: the model is stale"))
    }

    // MARK: - demo

    @Test("demo --worked-example runs from any directory and shows P8 vs P9")
    func demoWorkedExample() throws {
        let dir = try Directory()
        let result = try BinaryRunner.run(["demo", "--worked-example"], in: dir.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("singular values: 12.4810, 9.5086"))
        #expect(result.stdout.contains("0.9877"))
        #expect(result.stdout.contains("raw cosine       0.0000"))
        #expect(result.stdout.contains("Recommendations for P8"))
        // The temporary database is removed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.url.path).allSatisfy { !$0.hasSuffix(".sqlite") })
    }

    @Test("demo builds a database from data/demo and prints recommendations with reasons, similar users, a comparison")
    func demo() throws {
        let dir = try Directory()
        let result = try BinaryRunner.run(["demo", "--db", dir.path("demo.sqlite")], in: dir.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Imported 100,000 ratings of 2,000 users and 400 films"))
        #expect(result.stdout.contains("Recommendations for user 1"))
        #expect(result.stdout.contains("because "))
        #expect(result.stdout.contains("% of this pick"))
        #expect(result.stdout.contains("Users most similar to user 1"))
        #expect(result.stdout.contains("latent cosine"))
        // The kept database serves the other commands.
        let recommend = try dir.run(["recommend", "1", "--json"], db: "demo.sqlite")
        #expect(recommend.status == 0, "\(recommend.stderr)")
        let again = try BinaryRunner.run(["demo", "--db", dir.path("demo.sqlite")], in: dir.url)
        #expect(again.status != 0)
        #expect(again.stderr.contains("this file exists"))
    }
}
