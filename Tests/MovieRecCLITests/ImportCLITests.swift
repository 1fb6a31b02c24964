import Foundation
import GRDB
import Testing

/// End-to-end tests of `movierec import` and `movierec stats` on the real binary.
@Suite("movierec import/stats (end to end)", .enabled(if: BinaryRunner.executable != nil, "movierec binary not built"))
struct ImportCLITests {
    private let header = "userId,movieId,rating,timestamp\n"

    private typealias Directory = ScratchDirectory

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    // MARK: - Exit codes and output

    @Test("import --json and stats --json report the counts; exit code 0")
    func importAndStatsJSON() throws {
        let dir = try Directory()
        try dir.write("r.csv", header + "1,10,4,1\n1,20,3.5,2\n2,10,5,3\n")
        try dir.write("m.csv", "movieId,title,genres\n10,\"Heat, The (1995)\",Action\n20,Other (1990),Drama\n")
        let imported = try BinaryRunner.run(["import", "r.csv", "--movies", "m.csv", "--db", "s.sqlite", "--json"], in: dir.url)
        #expect(imported.status == 0, "\(imported.stderr)")
        let summary = try json(imported.stdout)
        #expect(summary["read"] as? Int == 3)
        #expect(summary["inserted"] as? Int == 3)
        #expect(summary["updated"] as? Int == 0)
        #expect(summary["skipped"] as? Int == 0)
        #expect(summary["unchanged"] as? Int == 0)
        #expect(summary["ratings"] as? Int == 3)
        #expect(summary["seconds"] as? Double != nil)
        #expect(summary["rowsPerSecond"] as? Double != nil)
        #expect(imported.stderr.isEmpty)   // no progress bar when stderr is not a terminal

        let stats = try BinaryRunner.run(["stats", "--db", "s.sqlite", "--json"], in: dir.url)
        #expect(stats.status == 0)
        let figures = try json(stats.stdout)
        #expect(figures["users"] as? Int == 2)
        #expect(figures["movies"] as? Int == 2)
        #expect(figures["ratings"] as? Int == 3)

        let text = try BinaryRunner.run(["stats", "--db", "s.sqlite"], in: dir.url)
        #expect(text.stdout.contains("Heat, The (1995)  2 ratings, mean 4.50"))
    }

    @Test("import --mode replace removes the stored ratings the file lacks and says how many; --json has removed")
    func replaceMode() throws {
        let dir = try Directory()
        try dir.write("all.csv", header + "1,10,4,1\n1,20,3.5,2\n2,10,5,3\n")
        try dir.write("now.csv", header + "1,10,2,0\n2,30,1,4\n")
        #expect(try BinaryRunner.run(["import", "all.csv", "--db", "s.sqlite", "--quiet"], in: dir.url).status == 0)
        let replaced = try BinaryRunner.run(["import", "now.csv", "--db", "s.sqlite", "--mode", "replace", "--json"], in: dir.url)
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let summary = try json(replaced.stdout)
        // 1/10 changed to an older row (updated), 2/30 new (inserted), 1/20 and 2/10 gone (removed).
        #expect([summary["inserted"], summary["updated"], summary["unchanged"], summary["removed"], summary["ratings"]]
                    .map { $0 as? Int } == [1, 1, 0, 2, 2])
        let again = try BinaryRunner.run(["import", "now.csv", "--db", "s.sqlite", "--mode", "replace"], in: dir.url)
        #expect(again.stdout.contains("0 inserted, 0 updated, 2 unchanged, 0 skipped; 0 stored ratings not in the source removed"),
                "\(again.stdout)")
        let refused = try BinaryRunner.run(["train", "--db", "s.sqlite", "--on-error", "skip"], in: dir.url)
        #expect(refused.status != 0 && refused.stderr.contains("--on-error goes with --ratings-source"), "\(refused.stderr)")
    }

    @Test("import --quiet prints nothing on success; errors and skipped rows still go to stderr; --json still prints")
    func quietImport() throws {
        let dir = try Directory()
        try dir.write("r.csv", header + "1,10,4,1\n2,10,5,3\n")
        try dir.write("bad.csv", header + "1,20,x,1\n3,10,3,5\n")
        let quiet = try BinaryRunner.run(["import", "r.csv", "--db", "s.sqlite", "--quiet"], in: dir.url)
        #expect(quiet.status == 0 && quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.stdout)\(quiet.stderr)")
        // Without --quiet the same file again: both rows already stored.
        let loud = try BinaryRunner.run(["import", "r.csv", "--db", "s.sqlite"], in: dir.url)
        #expect(loud.stdout.contains("read 2 rows: 0 inserted, 0 updated, 2 unchanged, 0 skipped"), "\(loud.stdout)")
        let failed = try BinaryRunner.run(["import", "bad.csv", "--db", "s.sqlite", "--quiet"], in: dir.url)
        #expect(failed.status != 0 && failed.stdout.isEmpty && failed.stderr.contains("bad.csv:2: field rating"), "\(failed.stderr)")
        let skipped = try BinaryRunner.run(["import", "bad.csv", "--db", "s.sqlite", "--on-error", "skip", "--quiet"], in: dir.url)
        #expect(skipped.status == 0 && skipped.stdout.isEmpty, "\(skipped.stdout)")
        #expect(skipped.stderr.contains("Skipped 1 bad row:") && skipped.stderr.contains("bad.csv:2: field rating"), "\(skipped.stderr)")
        let json = try BinaryRunner.run(["import", "r.csv", "--db", "s.sqlite", "--quiet", "--json"], in: dir.url)
        #expect(try self.json(json.stdout)["unchanged"] as? Int == 2)
        #expect(try self.json(json.stdout)["ratings"] as? Int == 3)   // 1/10, 2/10 and 3/10 from bad.csv
    }

    @Test("the database defaults to $MOVIEREC_DB, else ./movierec.sqlite")
    func defaultDatabasePath() throws {
        let dir = try Directory()
        try dir.write("r.csv", header + "1,1,4,1\n")
        let result = try BinaryRunner.run(["import", "r.csv", "--quiet"], in: dir.url)
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: dir.path("movierec.sqlite")))
    }

    @Test("a bad row exits non-zero with file, line and field on stderr; the database is unchanged")
    func abortExitCode() throws {
        let dir = try Directory()
        try dir.write("good.csv", header + "1,1,4,1\n")
        #expect(try BinaryRunner.run(["import", "good.csv", "--db", "s.sqlite"], in: dir.url).status == 0)
        try dir.write("bad.csv", header + "1,2,4,1\n1,3,4\n")
        let result = try BinaryRunner.run(["import", "bad.csv", "--db", "s.sqlite"], in: dir.url)
        #expect(result.status != 0)
        #expect(result.stderr.contains("bad.csv:3: field columns: found 3 columns: expected 4"))
        #expect(result.stdout.isEmpty)
        let stats = try json(BinaryRunner.run(["stats", "--db", "s.sqlite", "--json"], in: dir.url).stdout)
        #expect(stats["ratings"] as? Int == 1)
    }

    @Test("--on-error skip prints the first rejects and the rejects file path")
    func skipPrintsRejects() throws {
        let dir = try Directory()
        let rows = (1...7).map { "1,\($0),bad\($0),1" } + ["2,1,3,1"]
        try dir.write("r.csv", header + rows.joined(separator: "\n") + "\n")
        let result = try BinaryRunner.run(["import", "r.csv", "--db", "s.sqlite", "--on-error", "skip", "--json"], in: dir.url)
        #expect(result.status == 0)
        let summary = try json(result.stdout)
        #expect(summary["skipped"] as? Int == 7)
        #expect(summary["inserted"] as? Int == 1)
        #expect(result.stderr.contains("Skipped 7 bad rows; the first 5:"))
        #expect(result.stderr.contains("r.csv:6: field rating"))
        #expect(!result.stderr.contains("r.csv:7: field rating"))
        #expect(result.stderr.contains("s.sqlite.rejects.csv"))
        let rejects = try String(contentsOfFile: dir.path("s.sqlite.rejects.csv"), encoding: .utf8)
        #expect(rejects.split(separator: "\n").count == 8)
    }

    @Test("missing file, unwritable database path, unknown format, missing database for stats: non-zero exit")
    func errorExitCodes() throws {
        let dir = try Directory()
        let missing = try BinaryRunner.run(["import", "nope.csv", "--db", "s.sqlite"], in: dir.url)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("nope.csv: no such file"))

        try dir.write("r.csv", header + "1,1,4,1\n")
        let unwritable = try BinaryRunner.run(["import", "r.csv", "--db", "missing-dir/s.sqlite"], in: dir.url)
        #expect(unwritable.status != 0)
        #expect(unwritable.stderr.contains("does not exist"))

        try dir.write("other.csv", "a,b,c\n1,2,3\n")
        let unknown = try BinaryRunner.run(["import", "other.csv", "--db", "s.sqlite"], in: dir.url)
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("matches no known ratings format"))

        let noDatabase = try BinaryRunner.run(["stats", "--db", "absent.sqlite"], in: dir.url)
        #expect(noDatabase.status != 0)
        #expect(!FileManager.default.fileExists(atPath: dir.path("absent.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: dir.path("s.sqlite")))
    }

    @Test("generic csv options on the command line")
    func genericColumns() throws {
        let dir = try Directory()
        try dir.write("mine.tsv", "who\tfilm\tstars\nalice\tm1\t9\nbob\tm1\t10\n")
        let result = try BinaryRunner.run(["import", "mine.tsv", "--db", "s.sqlite", "--delimiter", "\\t", "--user-column", "who",
                                           "--movie-column", "film", "--rating-column", "stars", "--max-rating", "10", "--json"],
                                          in: dir.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try json(result.stdout)["inserted"] as? Int == 2)
        let tooHigh = try BinaryRunner.run(["import", "mine.tsv", "--db", "t.sqlite", "--delimiter", "\\t", "--user-column", "who",
                                            "--movie-column", "film", "--rating-column", "stars", "--max-rating", "9.5"],
                                           in: dir.url)
        #expect(tooHigh.status != 0)
        #expect(tooHigh.stderr.contains("mine.tsv:3: field rating: \"10\" is outside the rating scale"))
    }

    @Test("--help explains the command with an example")
    func help() throws {
        let dir = try Directory()
        let result = try BinaryRunner.run(["import", "--help"], in: dir.url)
        #expect(result.status == 0)
        #expect(result.stdout.contains("Examples:"))
        #expect(result.stdout.contains("--on-error"))
    }

    // MARK: - Crash safety

    /// Writes `users × perUser` distinct ratings in MovieLens csv format.
    private func writeLargeFile(_ path: String, users: Int, perUser: Int) throws {
        var text = header
        text.reserveCapacity(users * perUser * 24)
        for user in 1...users {
            for movie in 1...perUser {
                text += "\(user + 1000),\(movie),\(Double(movie % 10 + 1) / 2),\(1_500_000_000 + movie)\n"
            }
        }
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    /// Waits until `path` exists (or the process ends), then a little longer, then SIGKILLs the process.
    private func kill(_ process: Process, after path: String) throws -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && !FileManager.default.fileExists(atPath: path) && Date() < deadline {
            usleep(2_000)
        }
        usleep(150_000)
        guard process.isRunning else { return false }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal
    }

    @Test("kill -9 during an import into an existing database: integrity ok, earlier rows all there")
    func killDuringImportIntoExistingDatabase() throws {
        let dir = try Directory()
        try dir.write("early.csv", header + (1...50).map { "\($0),\($0 % 7 + 1),\(Double($0 % 9 + 1) / 2),\($0)" }.joined(separator: "\n") + "\n")
        #expect(try BinaryRunner.run(["import", "early.csv", "--db", "s.sqlite"], in: dir.url).status == 0)
        let before = try ratingRows(dir.path("s.sqlite"))
        #expect(before.count == 50)
        try writeLargeFile(dir.path("large.csv"), users: 20_000, perUser: 150)

        let started = try BinaryRunner.start(["import", "large.csv", "--db", "s.sqlite", "--quiet"], in: dir.url)
        let killed = try kill(started.process, after: dir.path("s.sqlite-wal"))   // write-ahead log: created as the import opens the database
        #expect(killed, "the import finished before it could be killed")

        let queue = try DatabaseQueue(path: dir.path("s.sqlite"))
        #expect(try queue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
        try queue.close()
        #expect(try ratingRows(dir.path("s.sqlite")) == before)
    }

    @Test("kill -9 while creating a new database leaves no database or a valid one, and the next import works")
    func killDuringNewDatabaseImport() throws {
        let dir = try Directory()
        try writeLargeFile(dir.path("large.csv"), users: 20_000, perUser: 150)
        let started = try BinaryRunner.start(["import", "large.csv", "--db", "s.sqlite", "--quiet"], in: dir.url)
        let killed = try kill(started.process, after: dir.path("s.sqlite.importing"))
        #expect(killed, "the import finished before it could be killed")
        if FileManager.default.fileExists(atPath: dir.path("s.sqlite")) {
            let queue = try DatabaseQueue(path: dir.path("s.sqlite"))
            #expect(try queue.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") } == "ok")
            try queue.close()
        }
        try dir.write("small.csv", header + "1,1,4,1\n2,1,3,1\n")
        let next = try BinaryRunner.run(["import", "small.csv", "--db", "fresh.sqlite", "--json"], in: dir.url)
        #expect(next.status == 0)
        let again = try BinaryRunner.run(["import", "small.csv", "--db", "s.sqlite", "--json"], in: dir.url)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try json(again.stdout)["inserted"] as? Int == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.path("s.sqlite.importing")))
    }

    /// All ratings as sorted `user,movie,rating,timestamp` lines (external ids).
    private func ratingRows(_ path: String) throws -> [String] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT u.external_id, m.external_id, r.rating, r.timestamp FROM ratings r
                JOIN users u ON u.id = r.user_id JOIN movies m ON m.id = r.movie_id ORDER BY 1, 2
                """).map { "\($0[0] as String),\($0[1] as String),\($0[2] as Double),\($0[3] as Int64)" }
        }
    }
}
