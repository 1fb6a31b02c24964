import Foundation
import Testing
@testable import MovieRecEvaluation

@Suite("Ranking metrics at K")
struct RankingMetricsTests {
    /// |a − b| ≤ 1e-12.
    private func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 }

    @Test("Hits at ranks 2 and 4 of 5 with 3 relevant items")
    func twoHitsAmongFive() throws {
        let metrics = try RankingMetrics(k: 5)
        let scores = try #require(metrics.score(ranking: [1, 2, 3, 4, 5] as [Int32], relevant: [2, 4, 9]))
        #expect(scores.hits == 2)
        #expect(scores.precision == 2.0 / 5)
        #expect(close(scores.recall, 2.0 / 3))
        // DCG = 1/log2(3) + 1/log2(5); IDCG over min(5, 3) = 3 ranks = 1 + 1/log2(3) + 1/2.
        #expect(close(scores.ndcg, (1 / log2(3.0) + 1 / log2(5.0)) / (1 + 1 / log2(3.0) + 0.5)))
        #expect(abs(scores.ndcg - 0.498_189_257_466_412_85) < 1e-12)
        // AP = (1/3)·(precision@2 + precision@4) = (1/3)·(1/2 + 2/4).
        #expect(close(scores.averagePrecision, 1.0 / 3))
        #expect(scores.isHit)
    }

    @Test("Fewer relevant items than K: denominators use #relevant")
    func fewerRelevantThanK() throws {
        let metrics = try RankingMetrics()
        #expect(metrics.k == 10)
        let ranking: [Int32] = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]
        let scores = try #require(metrics.score(ranking: ranking, relevant: [12]))
        #expect(scores.precision == 0.1)
        #expect(scores.recall == 1)
        #expect(scores.ndcg == 0.5)  // 1/log2(4), ideal DCG = 1
        #expect(close(scores.averagePrecision, 1.0 / 3))
    }

    @Test("A relevant item missing from the catalog still counts in the denominators")
    func relevantItemOutsideCatalog() throws {
        let metrics = try RankingMetrics(k: 3)
        // Item 99 is relevant but not recommendable; D = min(3, 2) = 2.
        let scores = try #require(metrics.score(ranking: [1, 2, 3] as [Int32], relevant: [1, 99]))
        #expect(close(scores.precision, 1.0 / 3))
        #expect(scores.recall == 0.5)
        #expect(close(scores.ndcg, 1 / (1 + 1 / log2(3.0))))
        #expect(scores.averagePrecision == 0.5)

        // The same when only the recommendable item is passed, with the count given explicitly.
        let counted = try #require(metrics.score(ranking: [1, 2, 3] as [Int32], relevant: [1], relevantCount: 2))
        #expect(counted == scores)
    }

    @Test("Only the first K positions are scored; a short list misses the rest")
    func cutOffAndShortList() throws {
        let metrics = try RankingMetrics(k: 2)
        let cut = try #require(metrics.score(ranking: [1, 2, 3] as [Int32], relevant: [3]))
        #expect(cut.hits == 0)
        #expect(cut.ndcg == 0)
        #expect(!cut.isHit)

        let ten = try RankingMetrics(k: 10)
        let short = try #require(ten.score(ranking: [5] as [Int32], relevant: [5]))
        #expect(short.precision == 0.1)
        #expect(short.recall == 1)
        #expect(short.ndcg == 1)
        #expect(short.averagePrecision == 1)
    }

    @Test("A repeated item is a hit only once")
    func repeatedItem() throws {
        let metrics = try RankingMetrics(k: 3)
        let scores = try #require(metrics.score(ranking: [7, 7, 8] as [Int32], relevant: [7, 8]))
        #expect(scores.hits == 2)  // ranks 1 and 3
        #expect(close(scores.averagePrecision, (1.0 + 2.0 / 3) / 2))
    }

    @Test("No relevant item means the user is not scored; K must be positive")
    func noRelevantItemAndInvalidK() throws {
        let metrics = try RankingMetrics(k: 3)
        #expect(metrics.score(ranking: [1, 2] as [Int32], relevant: []) == nil)
        #expect(throws: EvaluationError.invalidParameter("cut-off K", 0, expected: "an integer of at least 1")) {
            try RankingMetrics(k: 0)
        }
    }

    @Test("Averages over users skip users without relevant items; coverage over the catalog")
    func accumulatorAveragesAndCoverage() throws {
        var accumulator = RankingAccumulator(metrics: try RankingMetrics(k: 2))
        // User A: hit at rank 2 of 1 relevant: P 1/2, R 1, nDCG 1/log2(3), AP 1/2.
        accumulator.add(ranking: [1, 2], relevant: [2])
        // User B: no hit: all zero.
        accumulator.add(ranking: [3, 4], relevant: [5, 6])
        // User C: nothing relevant: skipped, and its list does not count for coverage.
        #expect(accumulator.add(ranking: [7, 8], relevant: []) == nil)
        let summary = try accumulator.summary(catalogSize: 8)
        #expect(summary.evaluatedUsers == 2)
        #expect(summary.k == 2)
        #expect(summary.precision == 0.25)
        #expect(summary.recall == 0.5)
        #expect(close(summary.ndcg, 1 / log2(3.0) / 2))
        #expect(summary.meanAveragePrecision == 0.25)
        #expect(summary.hitRate == 0.5)
        #expect(summary.coverage == 4.0 / 8)  // items 1, 2, 3, 4
    }

    @Test("A summary needs an evaluated user and a non-empty catalog")
    func accumulatorErrors() throws {
        var accumulator = RankingAccumulator(metrics: try RankingMetrics(k: 2))
        #expect(throws: EvaluationError.self) { try accumulator.summary(catalogSize: 5) }
        accumulator.add(ranking: [1], relevant: [1])
        #expect(throws: EvaluationError.self) { try accumulator.summary(catalogSize: 0) }
    }
}
