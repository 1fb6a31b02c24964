import Foundation
import Testing

/// End-to-end tests of `movierec evaluate` on the real binary, with the worked example's ratings.
@Suite("movierec evaluate (end to end)", .enabled(if: BinaryRunner.executable != nil, "movierec binary not built"))
struct EvaluateCLITests {
    private static let header = "userId,movieId,rating,timestamp\n"

    /// The worked example (users P1…P7, films 1…5) as (user, film, rating).
    private static let workedExample: [(String, Int, Double)] = [
        ("P1", 1, 1), ("P1", 2, 1), ("P1", 3, 1), ("P2", 1, 3), ("P2", 2, 3), ("P2", 3, 3),
        ("P3", 1, 4), ("P3", 2, 4), ("P3", 3, 4), ("P4", 1, 5), ("P4", 2, 5), ("P4", 3, 5),
        ("P5", 2, 2), ("P5", 4, 4), ("P5", 5, 4), ("P6", 4, 5), ("P6", 5, 5),
        ("P7", 2, 1), ("P7", 4, 2), ("P7", 5, 2),
    ]
    /// Held out: P4's Iron Man, P5's Titanic, P2's Matrix; plus P8 (unknown to train) rating Star Wars 5.
    private static let heldOut: [(String, Int, Double)] = [("P4", 3, 5), ("P5", 5, 4), ("P2", 2, 3), ("P8", 1, 5)]
    private static var trainRows: [(String, Int, Double)] {
        workedExample.filter { row in !heldOut.contains { $0.0 == row.0 && $0.1 == row.1 } }
    }

    private static func csv(_ rows: [(String, Int, Double)]) -> String {
        header + rows.enumerated().map { "\($1.0),\($1.1),\($1.2),\(1_700_000_000 + 60 * $0)\n" }.joined()
    }

    private final class Directory {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("movierec-evaluate-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try EvaluateCLITests.csv(EvaluateCLITests.trainRows).write(
                to: url.appendingPathComponent("train.csv"), atomically: true, encoding: .utf8)
            try EvaluateCLITests.csv(EvaluateCLITests.heldOut).write(
                to: url.appendingPathComponent("test.csv"), atomically: true, encoding: .utf8)
            try EvaluateCLITests.csv(EvaluateCLITests.workedExample).write(
                to: url.appendingPathComponent("all.csv"), atomically: true, encoding: .utf8)
        }
        deinit { try? FileManager.default.removeItem(at: url) }
        func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: url.path).sorted() }
    }

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("--train/--test --json: every figure key, the test count; no database is created")
    func filesJSON() throws {
        let dir = try Directory()
        let outcome = try BinaryRunner.run(["evaluate", "--train", "train.csv", "--test", "test.csv", "--json",
                                            "--param", "rank=2", "--relevance", "3"], in: dir.url)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let object = try json(outcome.stdout)
        for key in ["rmse", "mae", "precisionAt10", "recallAt10", "ndcgAt10", "mapAt10", "hitRateAt10", "coverage",
                    "users", "testRatings", "testUsers", "coldTestRatings", "seconds"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["testRatings"] as? Double == 4)
        #expect(object["testUsers"] as? Double == 4)
        #expect(object["coldTestRatings"] as? Double == 1)
        // Relevant (≥ 3): P4 Iron Man, P5 Titanic, P2 Matrix, P8 Star Wars → 4 users evaluated.
        #expect(object["users"] as? Double == 4)
        #expect(try dir.contents() == ["all.csv", "test.csv", "train.csv"])
        #expect(outcome.stderr.isEmpty)
    }

    @Test("ml-100k tab-separated files are detected like import does and give the same figures")
    func ml100kFiles() throws {
        let dir = try Directory()
        // The same ratings with numeric ids (P1 → 1, …) in u.data layout: user, item, rating, timestamp.
        func tabs(_ rows: [(String, Int, Double)]) -> String {
            rows.enumerated().map { "\($1.0.dropFirst())\t\($1.1)\t\(Int($1.2))\t\(1_700_000_000 + 60 * $0)\n" }.joined()
        }
        try tabs(Self.trainRows).write(to: dir.url.appendingPathComponent("u1.base"), atomically: true, encoding: .utf8)
        try tabs(Self.heldOut).write(to: dir.url.appendingPathComponent("u1.test"), atomically: true, encoding: .utf8)
        let tab = try BinaryRunner.run(["evaluate", "--train", "u1.base", "--test", "u1.test", "--json",
                                        "--param", "rank=2", "--compare"], in: dir.url)
        #expect(tab.status == 0, "\(tab.stderr)")
        let csv = try BinaryRunner.run(["evaluate", "--train", "train.csv", "--test", "test.csv", "--json",
                                        "--param", "rank=2", "--compare"], in: dir.url)
        let tabVariants = try #require(try json(tab.stdout)["variants"] as? [[String: Any]])
        let csvVariants = try #require(try json(csv.stdout)["variants"] as? [[String: Any]])
        for (a, b) in zip(tabVariants, csvVariants) {
            #expect(a["rmse"] as? Double == b["rmse"] as? Double, "\(a["name"] ?? "")")
            #expect(a["ndcgAt10"] as? Double == b["ndcgAt10"] as? Double, "\(a["name"] ?? "")")
        }
    }

    @Test("generic files: --input-format csv with columns by number, a ; delimiter and no header give the same figures")
    func genericColumns() throws {
        let dir = try Directory()
        func plain(_ rows: [(String, Int, Double)]) -> String {
            rows.map { "\($0.2);\($0.0);\($0.1)\n" }.joined()
        }
        try plain(Self.trainRows).write(to: dir.url.appendingPathComponent("train.txt"), atomically: true, encoding: .utf8)
        try plain(Self.heldOut).write(to: dir.url.appendingPathComponent("test.txt"), atomically: true, encoding: .utf8)
        let generic = try BinaryRunner.run(["evaluate", "--train", "train.txt", "--test", "test.txt", "--json",
                                            "--param", "rank=2", "--relevance", "3", "--user-column", "2",
                                            "--movie-column", "3", "--rating-column", "1", "--delimiter", ";",
                                            "--no-header"], in: dir.url)
        #expect(generic.status == 0, "\(generic.stderr)")
        let csv = try BinaryRunner.run(["evaluate", "--train", "train.csv", "--test", "test.csv", "--json",
                                        "--param", "rank=2", "--relevance", "3"], in: dir.url)
        let (a, b) = (try json(generic.stdout), try json(csv.stdout))
        for key in ["rmse", "mae", "ndcgAt10", "precisionAt10", "testRatings", "users"] {
            #expect(a[key] as? Double == b[key] as? Double, "\(key)")
        }
        let missing = try BinaryRunner.run(["evaluate", "--train", "train.txt", "--test", "test.txt", "--user-column", "2"],
                                           in: dir.url)
        #expect(missing.status != 0 && missing.stderr.contains("--movie-column"))
    }

    @Test("--min-rating/--max-rating as for import: a ratings.csv on 1–10 is refused without them; with them, ratings × 2 give RMSE × 2 and the same ranking figures")
    func ratingScale() throws {
        let dir = try Directory()
        func doubled(_ rows: [(String, Int, Double)]) -> [(String, Int, Double)] { rows.map { ($0.0, $0.1, 2 * $0.2) } }
        try Self.csv(doubled(Self.trainRows)).write(to: dir.url.appendingPathComponent("train10.csv"), atomically: true,
                                                    encoding: .utf8)
        try Self.csv(doubled(Self.heldOut)).write(to: dir.url.appendingPathComponent("test10.csv"), atomically: true,
                                                  encoding: .utf8)
        let refused = try BinaryRunner.run(["evaluate", "--train", "train10.csv", "--test", "test10.csv"], in: dir.url)
        #expect(refused.status != 0 && refused.stderr.contains("--max-rating"), "\(refused.stderr)")
        let ten = try BinaryRunner.run(["evaluate", "--train", "train10.csv", "--test", "test10.csv", "--json",
                                        "--param", "rank=2", "--relevance", "6", "--min-rating", "1",
                                        "--max-rating", "10"], in: dir.url)
        #expect(ten.status == 0, "\(ten.stderr)")
        let five = try BinaryRunner.run(["evaluate", "--train", "train.csv", "--test", "test.csv", "--json",
                                         "--param", "rank=2", "--relevance", "3"], in: dir.url)
        let (a, b) = (try json(ten.stdout), try json(five.stdout))
        let (rmse10, rmse5) = (try #require(a["rmse"] as? Double), try #require(b["rmse"] as? Double))
        #expect(abs(rmse10 - 2 * rmse5) < 1e-5 * rmse5, "\(rmse10) against 2 × \(rmse5)")
        for key in ["ndcgAt10", "precisionAt10", "users", "testRatings"] {
            #expect(a[key] as? Double == b[key] as? Double, "\(key)")
        }
    }

    @Test("Repeated --train/--test pairs are folds: per-fold values, their mean and standard deviation")
    func filePairs() throws {
        let dir = try Directory()
        let single = try BinaryRunner.run(["evaluate", "--train", "train.csv", "--test", "test.csv", "--json",
                                           "--param", "rank=2"], in: dir.url)
        let pairs = try BinaryRunner.run(["evaluate", "--train", "train.csv", "--test", "test.csv", "--train", "all.csv",
                                          "--test", "test.csv", "--json", "--param", "rank=2"], in: dir.url)
        #expect(pairs.status == 0, "\(pairs.stderr)")
        let object = try json(pairs.stdout)
        let folds = try #require(object["folds"] as? [[String: Any]])
        #expect(folds.count == 2)
        let first = try #require(try json(single.stdout)["rmse"] as? Double)
        #expect(folds[0]["rmse"] as? Double == first)
        // The second pair trains on every rating, the test rows included: a smaller error.
        let second = try #require(folds[1]["rmse"] as? Double)
        #expect(second < first)
        let mean = try #require(object["rmse"] as? Double)
        #expect(abs(mean - (first + second) / 2) < 1e-12)
        let sd = try #require((object["standardDeviation"] as? [String: Any])?["rmse"] as? Double)
        #expect(abs(sd - abs(first - second) / 2.0.squareRoot()) < 1e-12)
    }

    @Test("--compare shows all ten predictors; the global mean's RMSE is the train mean's, by hand")
    func compareTable() throws {
        let dir = try Directory()
        let text = try BinaryRunner.run(["evaluate", "--train", "train.csv", "--test", "test.csv", "--compare",
                                         "--param", "rank=2"], in: dir.url)
        #expect(text.status == 0, "\(text.stderr)")
        for name in ["global mean", "baseline only", "most popular", "SVD only", "user attention only",
                     "film attention only", "full model", "attention ranking only", "watch SVD only", "full ranking"] {
            #expect(text.stdout.contains("\n  \(name)"), "missing row \(name)")
        }
        let outcome = try BinaryRunner.run(["evaluate", "--train", "train.csv", "--test", "test.csv", "--compare",
                                            "--param", "rank=2", "--json", "--k", "5"], in: dir.url)
        let variants = try #require(try json(outcome.stdout)["variants"] as? [[String: Any]])
        #expect(variants.count == 10)
        let full = try #require(variants.first { $0["name"] as? String == "full model" })
        let ranking = try #require(variants.first { $0["name"] as? String == "full ranking" })
        #expect(full["ndcgAt5"] as? Double == ranking["ndcgAt5"] as? Double)
        #expect(ranking["rmse"] is NSNull)
        let mean = Self.trainRows.map(\.2).reduce(0, +) / Double(Self.trainRows.count)
        let expected = (Self.heldOut.map { ($0.2 - mean) * ($0.2 - mean) }.reduce(0, +) / 4).squareRoot()
        let global = try #require(variants.first { $0["name"] as? String == "global mean" })
        #expect(abs(try #require(global["rmse"] as? Double) - expected) < 1e-6)
        #expect(variants.allSatisfy { $0.keys.contains("ndcgAt5") })
    }

    @Test("--folds on the database: per-fold values, mean and standard deviation")
    func foldsOnDatabase() throws {
        let dir = try Directory()
        let imported = try BinaryRunner.run(["import", "all.csv", "--db", "s.sqlite"], in: dir.url)
        #expect(imported.status == 0, "\(imported.stderr)")
        let outcome = try BinaryRunner.run(["evaluate", "--folds", "3", "--seed", "5", "--db", "s.sqlite", "--json",
                                            "--param", "rank=2", "--relevance", "1"], in: dir.url)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let object = try json(outcome.stdout)
        let folds = try #require(object["folds"] as? [[String: Any]])
        #expect(folds.map { $0["testRatings"] as? Double } == [7, 7, 6])
        #expect(object["standardDeviation"] is [String: Any])
        #expect(object["mean"] is [String: Any])
        let rmse = folds.compactMap { $0["rmse"] as? Double }
        #expect(rmse.count == 3)
        #expect(abs(try #require(object["rmse"] as? Double) - rmse.reduce(0, +) / 3) < 1e-12)
        let again = try BinaryRunner.run(["evaluate", "--folds", "3", "--seed", "5", "--db", "s.sqlite", "--json",
                                          "--param", "rank=2", "--relevance", "1"], in: dir.url)
        #expect(try json(again.stdout)["folds"] as? NSArray == folds as NSArray)   // deterministic for a seed

        // Time split: each user's latest max(1, ⌊n/5⌋) ratings — one for each of the 7 users.
        let time = try BinaryRunner.run(["evaluate", "--split", "time", "--db", "s.sqlite", "--json",
                                         "--param", "rank=2"], in: dir.url)
        #expect(time.status == 0, "\(time.stderr)")
        #expect(try json(time.stdout)["testRatings"] as? Double == 7)
        #expect(try json(time.stdout)["folds"] == nil)
    }

    @Test("--sweep chooses on validation and --plot writes an SVG chart")
    func sweepAndPlot() throws {
        let dir = try Directory()
        let outcome = try BinaryRunner.run(["evaluate", "--train", "train.csv", "--test", "test.csv",
                                            "--sweep", "svd-weight=40,0.25", "--plot", "sweep.svg", "--json",
                                            "--param", "rank=2"], in: dir.url)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let sweep = try #require(try json(outcome.stdout)["sweep"] as? [String: Any])
        #expect(sweep["parameter"] as? String == "svd-weight")
        #expect(sweep["metric"] as? String == "rmse")
        #expect(sweep["chosen"] as? Double == 0.25)
        let settings = try #require(sweep["settings"] as? [[String: Any]])
        #expect(settings.map { $0["chosen"] as? Bool } == [false, true])
        let svg = try String(contentsOf: dir.url.appendingPathComponent("sweep.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.contains("validation rmse"))
        let text = try BinaryRunner.run(["evaluate", "--train", "train.csv", "--test", "test.csv",
                                         "--sweep", "svd-weight=40,0.25", "--param", "rank=2"], in: dir.url)
        #expect(text.stdout.contains("\n  * 0.25"))
    }

    @Test("train --plot draws the singular values of the trained model as bars")
    func trainSpectrumPlot() throws {
        let dir = try Directory()
        #expect(try BinaryRunner.run(["import", "all.csv", "--db", "s.sqlite"], in: dir.url).status == 0)
        let trained = try BinaryRunner.run(["train", "--db", "s.sqlite", "--rank", "2", "--baseline", "none",
                                            "--plot", "spectrum.svg", "--json"], in: dir.url)
        #expect(trained.status == 0, "\(trained.stderr)")
        let svg = try String(contentsOf: dir.url.appendingPathComponent("spectrum.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.contains("Singular values of the residual matrix (rank 2"))
        // One bar series: a single filled path with one rectangle ("M … Z") per singular value.
        let bars = svg.components(separatedBy: "\n").filter { $0.hasPrefix("<path") && $0.contains("Z") }
        #expect(bars.count == 1)
        #expect(bars.first?.components(separatedBy: "Z").count == 3)
    }

    @Test("Wrong option combinations fail with a clear message")
    func usageErrors() throws {
        let dir = try Directory()
        let cases: [([String], String)] = [
            (["evaluate", "--train", "train.csv"], "--train and --test go together"),
            (["evaluate", "--split", "weekly"], "Please provide one of 'user-holdout' and 'time'"),
            (["evaluate", "--folds", "3", "--train", "train.csv", "--test", "test.csv"], "exactly one of"),
            (["evaluate", "--train", "train.csv", "--test", "test.csv", "--sweep", "rnak=1,2"], "expected one of rank, power-iterations"),
            (["evaluate", "--folds", "3", "--db", "missing.sqlite"], "No database at missing.sqlite"),
        ]
        for (arguments, message) in cases {
            let outcome = try BinaryRunner.run(arguments, in: dir.url)
            #expect(outcome.status != 0, "\(arguments)")
            #expect(outcome.stderr.contains(message), "\(arguments): \(outcome.stderr)")
        }
    }
}
