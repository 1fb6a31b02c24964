import Foundation
import Testing

/// End-to-end tests of `movierec benchmark` at a tiny size (figures are checked for consistency, never
/// for speed).
@Suite("movierec benchmark (end to end)", .enabled(if: BinaryRunner.executable != nil, "movierec binary not built"))
struct BenchmarkCLITests {
    private typealias Directory = ScratchDirectory

    private func object(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private let requiredKeys = ["ratings", "importRowsPerSecond", "loadSeconds", "trainSeconds", "svdSeconds",
                                "recommendP50Ms", "recommendP99Ms", "similarP50Ms", "similarP99Ms",
                                "recommendAllMsPerUser", "peakRSSBytes"]

    @Test("a full run writes the JSON report with consistent figures; a second run reuses the database")
    func fullRunThenReuse() throws {
        let dir = try Directory()
        let run = try BinaryRunner.run(["benchmark", "--ratings", "20000", "--sampled-users", "50", "--cache", "cache",
                                        "--out", "report.json", "--quiet"], in: dir.url)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("recommend top 10 + explanations"))
        let report = try object(try Data(contentsOf: URL(fileURLWithPath: dir.path("report.json"))))
        for key in requiredKeys { #expect(report[key] != nil, "missing \(key)") }
        // The shape rule: 0.0065·N users and 0.0025·N films, with floors of 1,000 and 500.
        #expect(report["ratings"] as? Int == 20000)
        #expect(report["users"] as? Int == 1000)
        #expect(report["movies"] as? Int == 500)
        #expect(report["rank"] as? Int == 64)
        #expect(report["watchRank"] as? Int == 40)
        #expect(report["sampledUsers"] as? Int == 50)
        #expect(report["reusedDatabase"] as? Bool == false)
        for key in ["importRowsPerSecond", "loadSeconds", "trainSeconds", "svdSeconds", "recommendP50Ms",
                    "similarP50Ms", "recommendAllMsPerUser"] {
            let value = try #require(report[key] as? Double, "\(key)")
            #expect(value > 0 && value.isFinite, "\(key) = \(value)")
        }
        let number = { (key: String) in report[key] as? Double ?? .nan }
        #expect(number("recommendP50Ms") <= number("recommendP99Ms"))
        #expect(number("similarP50Ms") <= number("similarP99Ms"))
        #expect(number("recommendPlainP50Ms") > 0 && number("recommendPlainP50Ms") <= number("recommendPlainP99Ms"))
        // The classes by rating count hold every sampled call; the slowest 1 % of 50 calls is the slowest call, which
        // is also the nearest-rank p99 of 50.
        let classes = try #require(report["recommendByActivity"] as? [[String: Any]])
        #expect(classes.compactMap { $0["users"] as? Int }.reduce(0, +) == 50)
        #expect(classes.allSatisfy { ($0["p99Ms"] as? Double ?? .infinity) <= number("recommendP99Ms") })
        let slowest = try #require(report["recommendSlowest"] as? [String: Any])
        #expect(slowest["calls"] as? Int == 1)
        #expect(slowest["fromMs"] as? Double == number("recommendP99Ms"))
        // Import rate = 20,000 rows over the import time.
        #expect(abs(number("importRowsPerSecond") * number("importSeconds") - 20000) < 1)
        // Per-user batch time = total / users.
        #expect(abs(number("recommendAllMsPerUser") - number("recommendAllSeconds") * 1000 / 1000) < 1e-9)
        // A rank-64 approximation of a 1000 × 500 residual matrix leaves part of it but not all.
        let residual = number("svdRelativeResidual")
        #expect(residual > 0.05 && residual < 1)
        let peak = try #require(report["peakRSSBytes"] as? Int)
        #expect(peak > 1 << 20 && peak < 4 << 30)
        let stages = try #require(report["trainStageSeconds"] as? [String: Double])
        #expect(Set(stages.keys) == ["indexing", "baseline", "latentFactors", "watchFactors", "rankingNeighbours"])
        #expect(stages.values.reduce(0, +) <= number("trainSeconds"))
        #expect(FileManager.default.fileExists(atPath: dir.path("cache/ratings-20000-seed-42/ratings.csv")))

        let again = try BinaryRunner.run(["benchmark", "--ratings", "20000", "--cache", "cache", "--reuse-database",
                                          "--train-only", "--json", "--quiet"], in: dir.url)
        #expect(again.status == 0, "\(again.stderr)")
        let second = try object(Data(again.stdout.utf8))
        #expect(second["reusedDatabase"] as? Bool == true)
        #expect(second["importRowsPerSecond"] as? Double == 0)
        #expect(second["ratings"] as? Int == 20000)
        #expect((second["trainSeconds"] as? Double ?? 0) > 0)
        #expect(second["recommendP50Ms"] as? Double == 0)   // not measured with --train-only
    }

    @Test("too few ratings is a usage error")
    func rejectsTinySize() throws {
        let dir = try Directory()
        let run = try BinaryRunner.run(["benchmark", "--ratings", "10"], in: dir.url)
        #expect(run.status != 0)
        #expect(run.stderr.contains("--ratings must be at least 1000"))
    }
}
