import Foundation

/// Top-K ranking metrics for one user, with binary relevance.
///
/// Notation: the ranked list is cut to its first K items (a shorter list is scored as is, with
/// the missing positions counting as misses); relᵣ = 1 when the item at rank r (1-based) is
/// relevant, else 0; hits = Σ_{r≤K} relᵣ; R = the number of relevant items of the user (counted
/// even when some are not in the catalog and so can never be recommended); D = min(K, R).
///
///     Precision@K = hits / K
///     Recall@K    = hits / D
///     DCG@K       = Σ_{r≤K} relᵣ / log₂(r + 1)
///     IDCG@K      = Σ_{r≤D} 1 / log₂(r + 1)
///     nDCG@K      = DCG@K / IDCG@K
///     AP@K        = (1/D) · Σ_{r≤K, relᵣ=1} Precision@r,   Precision@r = (hits among ranks 1…r) / r
///     Hit@K       = 1 if hits ≥ 1, else 0
///
/// An item repeated in the list counts as a hit only at its first position.
public struct RankingMetrics: Equatable, Sendable {
    /// The cut-off K (number of leading list positions scored).
    public let k: Int

    /// Creates the metrics at cut-off `k` (10 by default).
    /// - Throws: ``EvaluationError`` when `k < 1`.
    public init(k: Int = 10) throws {
        guard k >= 1 else {
            throw EvaluationError.invalidParameter("cut-off K", k, expected: "an integer of at least 1")
        }
        self.k = k
    }

    /// Scores one user's ranked list.
    ///
    /// - Parameters:
    ///   - ranking: item ids, best first; only the first K are used.
    ///   - relevant: the user's relevant item ids.
    ///   - relevantCount: R, the number of relevant items for the denominators; defaults to
    ///     `relevant.count`. Pass a larger number when some relevant items were left out of `relevant`
    ///     (a number below `relevant.count` is raised to it).
    /// - Returns: the scores, or `nil` when the user has no relevant item (R = 0): such users are
    ///   not evaluated.
    public func score<Item: Hashable>(ranking: [Item], relevant: Set<Item>, relevantCount: Int? = nil) -> RankingScores? {
        let relevantTotal = max(relevantCount ?? relevant.count, relevant.count)
        guard relevantTotal > 0 else { return nil }
        let denominator = min(k, relevantTotal)
        var seen = Set<Item>()
        var hits = 0
        var dcg = 0.0
        var precisionSum = 0.0
        for (offset, item) in ranking.prefix(k).enumerated() where seen.insert(item).inserted && relevant.contains(item) {
            let rank = offset + 1
            hits += 1
            dcg += 1 / log2(Double(rank + 1))
            precisionSum += Double(hits) / Double(rank)
        }
        let idealDCG = (1...denominator).reduce(0.0) { $0 + 1 / log2(Double($1 + 1)) }
        return RankingScores(
            hits: hits,
            precision: Double(hits) / Double(k),
            recall: Double(hits) / Double(denominator),
            ndcg: dcg / idealDCG,
            averagePrecision: precisionSum / Double(denominator)
        )
    }
}

/// The top-K scores of one user, as computed by ``RankingMetrics/score(ranking:relevant:relevantCount:)``.
public struct RankingScores: Equatable, Sendable {
    /// The number of relevant items among the first K positions.
    public let hits: Int
    /// Precision@K = hits / K.
    public let precision: Double
    /// Recall@K = hits / min(K, R).
    public let recall: Double
    /// nDCG@K = DCG@K / IDCG@K with binary gains and 1/log₂(rank + 1) discounts.
    public let ndcg: Double
    /// AP@K = (1/min(K, R)) · Σ over hit ranks r of Precision@r.
    public let averagePrecision: Double
    /// Whether at least one relevant item is among the first K positions.
    public var isHit: Bool { hits > 0 }
}

/// Averages per-user ``RankingScores`` over users and measures catalog coverage.
///
/// Users without a relevant item are skipped (they are not counted in the means). With U the set of
/// evaluated users and C the catalog:
///
///     Precision@K = (1/|U|) · Σ_u Precision@K(u)     (likewise Recall, nDCG, MAP = mean AP)
///     HitRate@K   = |{u : hits(u) ≥ 1}| / |U|
///     coverage    = |∪_u topK(u)| / |C|
public struct RankingAccumulator: Sendable {
    /// The metrics used for every user.
    public let metrics: RankingMetrics
    /// The number of users evaluated so far (users with at least one relevant item).
    public private(set) var evaluatedUsers = 0
    private var precisionSum = 0.0
    private var recallSum = 0.0
    private var ndcgSum = 0.0
    private var averagePrecisionSum = 0.0
    private var hitUsers = 0
    private var recommendedItems = Set<Int32>()

    /// An empty accumulator using `metrics`.
    public init(metrics: RankingMetrics) {
        self.metrics = metrics
    }

    /// Scores one user and adds the scores to the means; the first K items of `ranking` count
    /// towards coverage. Users without a relevant item are skipped.
    /// - Returns: the user's scores, or `nil` when the user was skipped.
    @discardableResult
    public mutating func add(ranking: [Int32], relevant: Set<Int32>, relevantCount: Int? = nil) -> RankingScores? {
        guard let scores = metrics.score(ranking: ranking, relevant: relevant, relevantCount: relevantCount) else {
            return nil
        }
        evaluatedUsers += 1
        precisionSum += scores.precision
        recallSum += scores.recall
        ndcgSum += scores.ndcg
        averagePrecisionSum += scores.averagePrecision
        if scores.isHit { hitUsers += 1 }
        recommendedItems.formUnion(ranking.prefix(metrics.k))
        return scores
    }

    /// The means over evaluated users and the coverage of a catalog of `catalogSize` items.
    /// - Throws: ``EvaluationError`` when no user was evaluated or `catalogSize < 1`.
    public func summary(catalogSize: Int) throws -> RankingSummary {
        guard evaluatedUsers > 0 else {
            throw EvaluationError.emptyInput("evaluated users", expected: "at least one user with a relevant test item")
        }
        guard catalogSize >= 1 else {
            throw EvaluationError.invalidParameter("catalog size", catalogSize, expected: "at least 1 item")
        }
        let users = Double(evaluatedUsers)
        return RankingSummary(
            k: metrics.k,
            evaluatedUsers: evaluatedUsers,
            precision: precisionSum / users,
            recall: recallSum / users,
            ndcg: ndcgSum / users,
            meanAveragePrecision: averagePrecisionSum / users,
            hitRate: Double(hitUsers) / users,
            coverage: Double(recommendedItems.count) / Double(catalogSize)
        )
    }
}

/// Top-K metrics averaged over the evaluated users, plus catalog coverage.
public struct RankingSummary: Equatable, Sendable {
    /// The cut-off K.
    public let k: Int
    /// The number of users averaged over (users with at least one relevant item).
    public let evaluatedUsers: Int
    /// Mean Precision@K.
    public let precision: Double
    /// Mean Recall@K.
    public let recall: Double
    /// Mean nDCG@K.
    public let ndcg: Double
    /// MAP@K: mean of the users' AP@K.
    public let meanAveragePrecision: Double
    /// HitRate@K: share of evaluated users with at least one hit.
    public let hitRate: Double
    /// Distinct items in the evaluated users' top-K lists divided by the catalog size.
    public let coverage: Double
}
