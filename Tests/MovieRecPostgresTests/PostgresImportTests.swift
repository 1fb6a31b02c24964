import Foundation
@testable import MovieRecPostgres
import MovieRecStore
import NIOSSL
import XCTest

/// The pure parts of the PostgreSQL import: connection strings and their redaction, the CSV written from a
/// recorded row stream, and that stream imported by the file importer with its validation. No server needed.
final class PostgresImportTests: XCTestCase {
    func testLocationParsesTheURLAndTakesThePasswordFromTheEnvironmentOnly() throws {
        let location = try PostgresLocation("postgresql://app@127.0.0.1:6543/site?sslmode=require",
                                            environment: ["PGPASSWORD": "s3cret"])
        XCTAssertEqual(location.user, "app")
        XCTAssertEqual(location.host, "127.0.0.1")
        XCTAssertEqual(location.port, 6543)
        XCTAssertEqual(location.database, "site")
        XCTAssertTrue(location.requiresTLS)
        XCTAssertEqual(location.description, "postgresql://app@127.0.0.1:6543/site")
        XCTAssertFalse("\(location)".contains("s3cret"))
        XCTAssertEqual(try PostgresLocation("postgres://u@h/db", environment: [:]).port, 5432)
    }

    func testPasswordInTheURLIsRefusedAndNeverEchoed() {
        XCTAssertThrowsError(try PostgresLocation("postgresql://app:hunter2@db:5432/site", environment: [:])) { error in
            let text = "\(error)"
            XCTAssertFalse(text.contains("hunter2"), text)
            XCTAssertTrue(text.contains("postgresql://app:***@db:5432/site"), text)
            XCTAssertTrue(text.contains("PGPASSWORD"), text)
        }
        XCTAssertEqual(PostgresLocation.redact("failed: postgres://a:b%40c@h:1/d and x://y:z@w"),
                       "failed: postgres://a:***@h:1/d and x://y:***@w")
    }

    func testBadURLsSayWhatIsMissing() {
        for (url, words) in [("mysql://u@h/db", "expected postgresql://"), ("postgresql://u@h:5432/", "no database"),
                             ("postgresql://u@h/db?sslmode=sometimes", "sslmode")] {
            XCTAssertThrowsError(try PostgresLocation(url, environment: [:])) { error in
                XCTAssertTrue("\(error)".contains(words), "\(url): \(error)")
            }
        }
    }

    func testPassFileMatchesWildcardsAndEscapes() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pgpass-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
            # comment
            other:5432:site:app:wrong
            127.0.0.1:*:site:app:pa\\:ss
            *:*:*:*:fallback
            """.write(to: file, atomically: true, encoding: .utf8)
        let location = try PostgresLocation("postgresql://app@127.0.0.1:7000/site", environment: ["PGPASSFILE": file.path])
        XCTAssertEqual(location.password, "pa:ss")
        let other = try PostgresLocation("postgresql://bob@10.0.0.9:1/x", environment: ["PGPASSFILE": file.path])
        XCTAssertEqual(other.password, "fallback")
        let override = try PostgresLocation("postgresql://app@127.0.0.1:7000/site",
                                            environment: ["PGPASSFILE": file.path, "PGPASSWORD": "env"])
        XCTAssertEqual(override.password, "env")
    }

    func testSSLModeAndRootCertificateFollowLibpq() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pghome-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let url = "postgresql://app@db/site"
        func location(_ query: String, _ environment: [String: String] = [:]) throws -> PostgresLocation {
            try PostgresLocation(url + query, environment: environment)
        }
        XCTAssertEqual(try location("").tlsMode, .disable)
        XCTAssertEqual(try location("?sslmode=allow").tlsMode, .disable)
        XCTAssertEqual(try location("?sslmode=prefer").tlsMode, .prefer)
        XCTAssertFalse(try location("?sslmode=prefer").requiresTLS)
        XCTAssertEqual(try location("", ["PGSSLMODE": "verify-ca"]).tlsMode, .verifyCA)
        XCTAssertEqual(try location("?sslmode=require", ["PGSSLMODE": "verify-ca"]).tlsMode, .require)   // the URL wins
        XCTAssertTrue(try location("?sslmode=verify-full").requiresTLS)
        // sslrootcert in the URL, else PGSSLROOTCERT, else ~/.postgresql/root.crt only when it exists.
        XCTAssertNil(try location("?sslmode=verify-full", ["HOME": home.path]).rootCertificate)
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".postgresql"), withIntermediateDirectories: true)
        try "x".write(to: home.appendingPathComponent(".postgresql/root.crt"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try location("?sslmode=verify-full", ["HOME": home.path]).rootCertificate,
                       home.path + "/.postgresql/root.crt")
        XCTAssertEqual(try location("?sslmode=verify-full", ["HOME": home.path, "PGSSLROOTCERT": "/e.crt"]).rootCertificate, "/e.crt")
        XCTAssertEqual(try location("?sslmode=verify-full&sslrootcert=/u.crt", ["PGSSLROOTCERT": "/e.crt"]).rootCertificate,
                       "/u.crt")
        XCTAssertNil(try location("?sslmode=verify-full&sslrootcert=system", ["HOME": home.path]).rootCertificate)
    }

    func testTLSSettingsCheckWhatTheModeAsks() throws {
        func settings(_ query: String) throws -> TLSConfiguration? {
            try PostgresConnector.tlsSettings(PostgresLocation("postgresql://app@db/site" + query, environment: [:]))
        }
        XCTAssertNil(try settings(""))
        XCTAssertEqual(try settings("?sslmode=prefer")?.certificateVerification, CertificateVerification.none)
        XCTAssertEqual(try settings("?sslmode=require")?.certificateVerification, CertificateVerification.none)
        XCTAssertEqual(try settings("?sslmode=verify-ca")?.certificateVerification, .noHostnameVerification)
        XCTAssertEqual(try settings("?sslmode=verify-full")?.certificateVerification, .fullVerification)
        XCTAssertEqual(try settings("?sslmode=verify-full")?.trustRoots, .default)   // the system's
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("root-\(UUID().uuidString).crt")
        try "x".write(to: root, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: root) }
        XCTAssertEqual(try settings("?sslmode=verify-ca&sslrootcert=" + root.path)?.trustRoots, .file(root.path))
        XCTAssertThrowsError(try settings("?sslmode=verify-full&sslrootcert=/nonexistent/root.crt")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/root.crt"), "\(error)")
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }

    /// libpq's rules (fe-secure-openssl.c, and the sslmode table of its documentation): a root certificate file
    /// that exists makes `require` check the chain like `verify-ca`; a missing one is an error only for
    /// `verify-ca` and `verify-full`.
    func testRequireChecksTheChainWhenARootCertificateExists() throws {
        func check(_ mode: PostgresTLSMode, _ root: String?, exists: Bool) throws -> PostgresConnector.CertificateCheck? {
            try PostgresConnector.certificateCheck(mode, rootCertificate: root, rootExists: exists, server: "postgresql://a@h:1/d")
        }
        XCTAssertNil(try check(.disable, "/r.crt", exists: true))
        XCTAssertEqual(try check(.prefer, "/r.crt", exists: true), PostgresConnector.CertificateCheck.none)
        XCTAssertEqual(try check(.require, nil, exists: false), PostgresConnector.CertificateCheck.none)
        XCTAssertEqual(try check(.require, "/r.crt", exists: false), PostgresConnector.CertificateCheck.none)
        XCTAssertEqual(try check(.require, "/r.crt", exists: true), .chain(roots: "/r.crt"))
        XCTAssertEqual(try check(.verifyCA, nil, exists: false), .chain(roots: nil))
        XCTAssertEqual(try check(.verifyCA, "/r.crt", exists: true), .chain(roots: "/r.crt"))
        XCTAssertEqual(try check(.verifyFull, nil, exists: false), .chainAndHost(roots: nil))
        XCTAssertEqual(try check(.verifyFull, "/r.crt", exists: true), .chainAndHost(roots: "/r.crt"))
        for mode in [PostgresTLSMode.verifyCA, .verifyFull] {
            XCTAssertThrowsError(try check(mode, "/r.crt", exists: false)) { error in
                XCTAssertTrue("\(error)".contains("/r.crt (sslrootcert) does not exist"), "\(error)")
                XCTAssertTrue("\(error)".contains("postgresql://a@h:1/d"), "\(error)")
            }
        }

        // The same through a location: ~/.postgresql/root.crt (found through HOME) makes `require` check the chain
        // against it; PGSSLROOTCERT naming a missing file leaves `require` unchecked.
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("pghome-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let url = "postgresql://app@db/site?sslmode=require"
        let unchecked = try PostgresConnector.tlsSettings(PostgresLocation(url, environment: ["HOME": home.path]))
        XCTAssertEqual(unchecked?.certificateVerification, CertificateVerification.none)
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".postgresql"), withIntermediateDirectories: true)
        let root = home.appendingPathComponent(".postgresql/root.crt").path
        try "x".write(toFile: root, atomically: true, encoding: .utf8)
        let checked = try PostgresConnector.tlsSettings(PostgresLocation(url, environment: ["HOME": home.path]))
        XCTAssertEqual(checked?.certificateVerification, .noHostnameVerification)
        XCTAssertEqual(checked?.trustRoots, .file(root))
        let missing = try PostgresConnector.tlsSettings(PostgresLocation(url, environment: ["PGSSLROOTCERT": home.path + "/no.crt"]))
        XCTAssertEqual(missing?.certificateVerification, CertificateVerification.none)
        XCTAssertEqual(missing?.trustRoots, .default)
    }

    func testQuerySQLQuotesIdentifiersAndCastsToText() throws {
        let table = try PostgresRatingsQuery(table: "public.Ratings", query: nil)
        XCTAssertEqual(table.sql, "SELECT \"user_id\"::text, \"movie_id\"::text, \"rating\"::text, \"rated_at\"::text "
                       + "FROM \"public\".\"Ratings\"")
        let custom = try PostgresRatingsQuery(table: nil, query: "SELECT * FROM r WHERE x > 1", userColumn: "who",
                                              movieColumn: "fi\"lm", ratingColumn: "stars")
        XCTAssertEqual(custom.sql, "SELECT \"who\"::text, \"fi\"\"lm\"::text, \"stars\"::text FROM (SELECT * FROM r WHERE x > 1) "
                       + "AS movierec_source")
        XCTAssertEqual(custom.header, ["user_id", "movie_id", "rating"])
        XCTAssertThrowsError(try PostgresRatingsQuery(table: "a", query: "SELECT 1"))
        XCTAssertThrowsError(try PostgresRatingsQuery(table: nil, query: nil))
    }

    func testChunkSQLCopiesOneBlockRangeAndReadsTheSameRowsRowByRow() throws {
        let query = try PostgresRatingsQuery(table: "public.Ratings", query: nil)
        let middle = query.chunkSQL(blocks: 512, end: 1024)
        XCTAssertEqual(middle.copy, "COPY (SELECT \"user_id\", \"movie_id\", \"rating\", \"rated_at\" FROM \"public\".\"Ratings\" "
                       + "WHERE ctid >= '(512,0)'::tid AND ctid < '(1024,0)'::tid) TO STDOUT WITH (FORMAT csv)")
        XCTAssertEqual(middle.rowByRow, "SELECT \"user_id\"::text, \"movie_id\"::text, \"rating\"::text, \"rated_at\"::text "
                       + "FROM \"public\".\"Ratings\" WHERE ctid >= '(512,0)'::tid AND ctid < '(1024,0)'::tid")
        let last = try PostgresRatingsQuery(table: "r", query: nil, userColumn: "who", movieColumn: "film",
                                            ratingColumn: "stars").chunkSQL(blocks: 0, end: nil)
        XCTAssertEqual(last.copy, "COPY (SELECT \"who\", \"film\", \"stars\" FROM \"r\" WHERE ctid >= '(0,0)'::tid) "
                       + "TO STDOUT WITH (FORMAT csv)")
        let custom = try PostgresRatingsQuery(table: nil, query: "SELECT * FROM r", userColumn: "who", movieColumn: "film",
                                              ratingColumn: "stars")
        XCTAssertEqual(custom.copySQL, "COPY (SELECT \"who\", \"film\", \"stars\" FROM (SELECT * FROM r) AS movierec_source) "
                       + "TO STDOUT WITH (FORMAT csv)")
    }

    /// The server's CSV (PostgreSQL's COPY rules, written out here: NULL as an empty field; a field quoted when
    /// it holds a comma, quote, CR or LF, or is an empty string, with quotes doubled; spaces never quoted) is
    /// taken only when it equals what the row writer writes for the same rows; each rejected block below would
    /// import differently or needs the writer's quoting.
    func testCopyCSVIsTakenOnlyWhenItIsTheWritersOutput() {
        func copyCSV(_ rows: [[String?]]) -> String {
            rows.map { row in
                row.map { field -> String in
                    guard let field else { return "" }
                    let quote = field.isEmpty || field.contains { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }
                    return quote ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
                }.joined(separator: ",") + "\n"
            }.joined()
        }
        func check(_ rows: [[String?]]) -> Bool {
            let server = copyCSV(rows)
            let plain = CSVChunk.isPlain(Array(server.utf8))
            var writer = CSVRowWriter(header: nil)
            for row in rows { writer.append(row.map { $0.map { Array($0.utf8) } }) }
            let written = String(decoding: writer.takeBytes(), as: UTF8.self)
            if plain { XCTAssertEqual(server, written, "a plain block is the writer's output byte for byte") }
            return plain
        }
        XCTAssertTrue(check([["1", "10", "4.5"], ["1", "20", "3"], ["u-2", "é", "0.5"]]))
        XCTAssertTrue(check([["7", nil, "2"]]), "NULL is an empty field for both")
        XCTAssertTrue(check([]))
        XCTAssertFalse(check([["1", "a,b", "4"], ["2", "3", "5"]]))
        XCTAssertFalse(check([["1", "a\nb", "4"]]))
        XCTAssertFalse(check([["1", "say \"hi\"", "4"]]))
        XCTAssertFalse(check([["1", "10", " 4"]]), "the importer would trim the unquoted space")
        XCTAssertFalse(check([["1", "a\rb", "4"]]))
        XCTAssertFalse(check([["1", "", "4"]]), "an empty string is quoted by the server")
    }

    func testWriterQuotesOnlyWhatNeedsIt() {
        var writer = CSVRowWriter(header: ["user_id", "movie_id", "rating"])
        writer.append([Array("u1".utf8), Array("a,b".utf8), Array("4.5".utf8)])
        writer.append([Array("say \"hi\"".utf8), nil, Array(" 3".utf8)])
        XCTAssertEqual(writer.rows, 2)
        XCTAssertEqual(String(decoding: writer.takeBytes(), as: UTF8.self),
                       "user_id,movie_id,rating\nu1,\"a,b\",4.5\n\"say \"\"hi\"\"\",,\" 3\"\n")
        XCTAssertTrue(writer.bytes.isEmpty)
    }

    /// Rows as postgres-nio hands them over (text cells, one NULL timestamp, an id with a comma, one bad rating):
    /// written by the writer and imported by the file importer with its validation and `--on-error skip`.
    func testRecordedRowStreamImportsThroughTheFileImporter() throws {
        let recorded: [[String?]] = [
            ["1", "10", "4.5", "964982703"], ["1", "20", "3", "964981247"], ["2", "10", "5", nil],
            ["2", "A, the film", "2.5", "964982224"], ["3", "20", "not-a-number", "964982931"],
            ["1", "10", "2", "964990000"],
        ]
        let query = try PostgresRatingsQuery(table: "ratings", query: nil)
        var writer = CSVRowWriter(header: query.header)
        for row in recorded { writer.append(row.map { $0.map { Array($0.utf8) } }) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pg-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("ratings.csv").path
        try Data(writer.takeBytes()).write(to: URL(fileURLWithPath: csv))
        let database = folder.appendingPathComponent("r.sqlite").path

        let aborting = RatingsImporter(databasePath: database, options: ImportOptions(format: .csv(query.columnSpec)))
        XCTAssertThrowsError(try aborting.run(ratingsFile: csv)) { error in
            XCTAssertTrue("\(error)".contains("ratings.csv:6: field rating"), "\(error)")
        }
        if FileManager.default.fileExists(atPath: database) {
            XCTAssertEqual(try RatingStore(path: database).statistics(topMovies: 0).ratings, 0, "an aborted import wrote rows")
        }

        let skipping = RatingsImporter(databasePath: database,
                                       options: ImportOptions(format: .csv(query.columnSpec), onError: .skip))
        let summary = try skipping.run(ratingsFile: csv)
        XCTAssertEqual(summary.read, 6)
        XCTAssertEqual(summary.skipped, 1)
        XCTAssertEqual(summary.inserted, 4)
        XCTAssertEqual(summary.updated, 1)  // user 1's film 10 again, newer: 2 replaces 4.5
        let store = try RatingStore(path: database)
        let ratings = try XCTUnwrap(try store.ratings(ofUser: "1"))
        XCTAssertEqual(ratings.first { $0.movie == "10" }?.rating, 2)
        XCTAssertEqual(try XCTUnwrap(try store.ratings(ofUser: "2")).map(\.movie).sorted(), ["10", "A, the film"])
    }
}
