import Foundation
import Testing
@testable import MovieRecEvaluation

@Suite("Top-N protocol driver")
struct TopNEvaluationTests {
    /// Train: user 0 rated items 0, 1; user 1 rated 1, 2, 3; user 2 rated 0.
    /// Test: user 0 rated item 2 exactly 4.0 (relevant) and item 3 3.5 (not); user 1 rated item 5
    /// (absent from the catalog) 5.0 and item 0 4.5; user 2 rated item 1 2.0 (no relevant item).
    private static let rows: [RatingRow] = [
        RatingRow(user: 0, item: 0, rating: 5, timestamp: 1),
        RatingRow(user: 0, item: 1, rating: 3, timestamp: 2),
        RatingRow(user: 1, item: 1, rating: 4, timestamp: 3),
        RatingRow(user: 1, item: 2, rating: 2, timestamp: 4),
        RatingRow(user: 1, item: 3, rating: 1, timestamp: 5),
        RatingRow(user: 2, item: 0, rating: 4, timestamp: 6),
        RatingRow(user: 0, item: 2, rating: 4.0, timestamp: 7),
        RatingRow(user: 0, item: 3, rating: 3.5, timestamp: 8),
        RatingRow(user: 1, item: 5, rating: 5, timestamp: 9),
        RatingRow(user: 1, item: 0, rating: 4.5, timestamp: 10),
        RatingRow(user: 2, item: 1, rating: 2, timestamp: 11),
    ]
    private static let split = RowSplit(train: Array(0...5), test: Array(6...10))

    @Test("Catalog, candidates, relevant items and evaluated users follow the protocol")
    func protocolSets() throws {
        let evaluation = try TopNEvaluation(rows: Self.rows, split: Self.split, k: 2)
        #expect(evaluation.catalog == [0, 1, 2, 3])
        #expect(evaluation.evaluatedUsers == [0, 1])
        #expect(evaluation.candidates(for: 0) == [2, 3])
        #expect(evaluation.candidates(for: 1) == [0])
        #expect(evaluation.candidates(for: 9) == [0, 1, 2, 3])  // unknown user: whole catalog
        #expect(evaluation.relevantItems(of: 0) == [2])  // rating equal to the threshold is relevant
        #expect(evaluation.relevantItems(of: 1) == [0, 5])
        #expect(evaluation.relevantItems(of: 2) == [])
        #expect(evaluation.restrict([5, 0, 3, 3, 1, 2], for: 0) == [3, 2])
        #expect(evaluation.restrict([5, 0, 3, 3, 1, 2], for: 0, limit: 1) == [3])
    }

    @Test("A most-popular ranker scores as computed by hand")
    func mostPopularByHand() throws {
        let evaluation = try TopNEvaluation(rows: Self.rows, split: Self.split, k: 2)
        // Train counts: item 0 → 2, 1 → 2, 2 → 1, 3 → 1; item 5 is not in the catalog.
        var askedUsers: [Int32] = []
        let summary = try evaluation.evaluate { user in
            askedUsers.append(user)
            return [5, 0, 1, 2, 3]
        }
        #expect(askedUsers == [0, 1])
        // User 0: list [2, 3], relevant {2}: P 1/2, R 1, nDCG 1, AP 1.
        // User 1: list [0], relevant {0, 5}, D = 2: P 1/2, R 1/2, nDCG 1/(1 + 1/log2 3), AP 1/2.
        #expect(summary.evaluatedUsers == 2)
        #expect(summary.precision == 0.5)
        #expect(summary.recall == 0.75)
        #expect(abs(summary.ndcg - (1 + 1 / (1 + 1 / log2(3.0))) / 2) < 1e-12)
        #expect(summary.meanAveragePrecision == 0.75)
        #expect(summary.hitRate == 1)
        #expect(summary.coverage == 3.0 / 4)  // items 0, 2, 3 of 4
    }

    @Test("A higher threshold leaves fewer users; bad input is rejected")
    func thresholdAndErrors() throws {
        let strict = try TopNEvaluation(rows: Self.rows, split: Self.split, relevanceThreshold: 4.5)
        #expect(strict.evaluatedUsers == [1])
        #expect(strict.relevantItems(of: 1) == [0, 5])
        #expect(throws: EvaluationError.self) {
            try TopNEvaluation(rows: Self.rows, split: RowSplit(train: [0, 11], test: []))
        }
        #expect(throws: EvaluationError.self) {
            try TopNEvaluation(rows: Self.rows, split: Self.split, relevanceThreshold: .nan)
        }
        let nobody = try TopNEvaluation(rows: Self.rows, split: Self.split, relevanceThreshold: 6)
        #expect(throws: EvaluationError.self) { try nobody.evaluate { _ in [0] } }
    }
}
