import Foundation
import GRDB
import Testing

/// Issue 12's input and store faults through the real binary: links, JSON shapes, another program's database.
@Suite("movierec import/stats: links, JSON shapes, other databases (end to end)",
       .enabled(if: BinaryRunner.executable != nil, "movierec binary not built"))
struct InputFaultCLITests {
    private let header = "userId,movieId,rating,timestamp\n"

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("import --links stores the ids and reports the counts; stats --json gives a movie as its id and title, floats rounded")
    func linksAndJSON() throws {
        let dir = try ScratchDirectory()
        try dir.write("r.csv", header + "1,10,4,1\n1,20,3.5,2\n2,10,5,3\n3,10,4.5,4\n3,20,2,5\n4,20,0.5,6\n")
        try dir.write("m.csv", "movieId,title,genres\n10,\"Heat, The (1995)\",Action\n20,Other (1990),Drama\n")
        try dir.write("links.csv", "movieId,imdbId,tmdbId\n10,0113277,949\n20,0099999,\n30,0000001,1\n")
        let imported = try BinaryRunner.run(["import", "r.csv", "--movies", "m.csv", "--links", "links.csv", "--db", "s.sqlite",
                                             "--json"], in: dir.url)
        #expect(imported.status == 0, "\(imported.stderr)")
        let summary = try json(imported.stdout)
        #expect(summary["linksRead"] as? Int == 3)
        #expect(summary["linksApplied"] as? Int == 2)
        #expect(summary["linksUnknownMovie"] as? Int == 1)
        let queue = try DatabaseQueue(path: dir.path("s.sqlite"))
        #expect(try queue.read { try String.fetchAll($0, sql: "SELECT imdb_id FROM movies ORDER BY external_id") }
                == ["tt0113277", "tt0099999"])
        try queue.close()

        let stats = try BinaryRunner.run(["stats", "--db", "s.sqlite", "--json"], in: dir.url)
        #expect(stats.status == 0, "\(stats.stderr)")
        let figures = try json(stats.stdout)
        let top = try #require(figures["mostRated"] as? [[String: Any]])
        #expect(top.first?["movie"] as? String == "10")
        #expect(top.first?["title"] as? String == "Heat, The (1995)")
        #expect(top.first?["ratings"] as? Int == 3)
        // 6 ratings of 4 users × 2 movies: density 0.75; mean (4 + 3.5 + 5 + 4.5 + 2 + 0.5) / 6 = 3.25;
        // Other (1990): (3.5 + 2 + 0.5) / 3 = 2 exactly; written with at most 6 significant digits.
        #expect(figures["density"] as? Double == 0.75)
        #expect(figures["meanRating"] as? Double == 3.25)
        #expect(top.last?["meanRating"] as? Double == 2)
        #expect(!stats.stdout.contains("000000000"))
    }

    @Test("stats on another program's SQLite file: a clear one-line error, exit 1, the file unchanged; import refuses it too")
    func foreignDatabase() throws {
        let dir = try ScratchDirectory()
        let path = dir.path("other.sqlite")
        let queue = try DatabaseQueue(path: path)
        // Clashing table names, as in the report.
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE movies(name TEXT); CREATE TABLE ratings(v); INSERT INTO movies VALUES ('x')")
        }
        try queue.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let stats = try BinaryRunner.run(["stats", "--db", "other.sqlite"], in: dir.url)
        #expect(stats.status != 0)
        #expect(stats.stderr.contains("not a movierec database"))
        #expect(!stats.stderr.contains("CREATE TABLE"))
        #expect(stats.stderr.split(separator: "\n").count == 1)
        try dir.write("r.csv", header + "1,1,4,1\n")
        let imported = try BinaryRunner.run(["import", "r.csv", "--db", "other.sqlite"], in: dir.url)
        #expect(imported.status != 0)
        #expect(imported.stderr.contains("not a movierec database"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("--encoding latin1 keeps élodie and èlodie apart; without it the row is reported with file:line:field")
    func latin1() throws {
        let dir = try ScratchDirectory()
        let bytes = Array(header.utf8) + [0xE9] + Array("lodie,1,4,1\n".utf8) + [0xE8] + Array("lodie,1,3,2\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: dir.path("l.csv")))
        let strict = try BinaryRunner.run(["import", "l.csv", "--db", "s.sqlite"], in: dir.url)
        #expect(strict.status != 0)
        #expect(strict.stderr.contains("l.csv:2: field user: the user id is not valid UTF-8"))
        let latin1 = try BinaryRunner.run(["import", "l.csv", "--db", "s.sqlite", "--encoding", "latin1", "--json"], in: dir.url)
        #expect(latin1.status == 0, "\(latin1.stderr)")
        let summary = try json(latin1.stdout)
        #expect(summary["inserted"] as? Int == 2)
        #expect(summary["users"] as? Int == 2)
    }
}
