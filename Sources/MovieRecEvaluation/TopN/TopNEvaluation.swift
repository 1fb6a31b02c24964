/// The model-independent top-N protocol on a train/test split.
///
/// - catalog C = the items that occur in the train rows;
/// - candidates of user u = C minus the items u rated in train;
/// - relevant items of u = u's test items with rating ≥ `relevanceThreshold` (items absent from the
///   catalog stay relevant, so they count in the denominators although they can never be hit);
/// - users without a relevant test item are skipped;
/// - each evaluated user's ranking is restricted to candidates, cut to K, and scored with
///   ``RankingMetrics``; the scores are averaged by ``RankingAccumulator``, with coverage over C.
///
/// Usage:
///
///     let evaluation = try TopNEvaluation(rows: rows, split: split)
///     let summary = try evaluation.evaluate { user in model.ranking(for: user) }
public struct TopNEvaluation: Sendable {
    /// The metrics (cut-off K) used.
    public let metrics: RankingMetrics
    /// The minimum test rating for an item to be relevant.
    public let relevanceThreshold: Float
    /// The catalog: distinct items of the train rows, ascending.
    public let catalog: [Int32]
    /// The users with at least one relevant test item, ascending: the users that are evaluated.
    public let evaluatedUsers: [Int32]
    private let catalogSet: Set<Int32>
    private let trainItemsByUser: [Int32: Set<Int32>]
    private let relevantByUser: [Int32: Set<Int32>]

    /// Prepares the protocol for one split.
    /// - Parameters:
    ///   - rows: all rating rows.
    ///   - split: the train and test row indices into `rows`.
    ///   - k: the cut-off K (10 by default).
    ///   - relevanceThreshold: the minimum test rating of a relevant item (4.0 by default).
    /// - Throws: ``EvaluationError`` when `k < 1`, the threshold is not finite, or a split index is
    ///   outside `rows`.
    public init(rows: [RatingRow], split: RowSplit, k: Int = 10, relevanceThreshold: Float = 4.0) throws {
        guard relevanceThreshold.isFinite else {
            throw EvaluationError.invalidParameter("relevance threshold", relevanceThreshold, expected: "a finite rating")
        }
        if let bad = (split.train + split.test).first(where: { !rows.indices.contains($0) }) {
            throw EvaluationError.invalidParameter(
                "row index", bad, expected: "an index between 0 and \(rows.count - 1) (the number of rows minus 1)")
        }
        metrics = try RankingMetrics(k: k)
        self.relevanceThreshold = relevanceThreshold
        var trainItems: [Int32: Set<Int32>] = [:]
        var catalogSet = Set<Int32>()
        for index in split.train {
            let row = rows[index]
            trainItems[row.user, default: []].insert(row.item)
            catalogSet.insert(row.item)
        }
        var relevant: [Int32: Set<Int32>] = [:]
        for index in split.test where rows[index].rating >= relevanceThreshold {
            relevant[rows[index].user, default: []].insert(rows[index].item)
        }
        self.catalogSet = catalogSet
        catalog = catalogSet.sorted()
        trainItemsByUser = trainItems
        relevantByUser = relevant
        evaluatedUsers = relevant.keys.sorted()
    }

    /// The items `user` rated in the train rows.
    public func trainItems(of user: Int32) -> Set<Int32> {
        trainItemsByUser[user] ?? []
    }

    /// The relevant test items of `user` (empty for a user who is not evaluated).
    public func relevantItems(of user: Int32) -> Set<Int32> {
        relevantByUser[user] ?? []
    }

    /// The candidates of `user`: catalog items the user did not rate in train, ascending.
    public func candidates(for user: Int32) -> [Int32] {
        let rated = trainItems(of: user)
        return catalog.filter { !rated.contains($0) }
    }

    /// Restricts a ranking to `user`'s candidates: drops items outside the catalog, items the
    /// user rated in train and repeats, keeps the order, and stops after `limit` items (K when `nil`).
    public func restrict(_ ranking: [Int32], for user: Int32, limit: Int? = nil) -> [Int32] {
        let rated = trainItems(of: user)
        let limit = limit ?? metrics.k
        var kept: [Int32] = []
        var seen = Set<Int32>()
        for item in ranking where kept.count < limit {
            if catalogSet.contains(item), !rated.contains(item), seen.insert(item).inserted {
                kept.append(item)
            }
        }
        return kept
    }

    /// Runs the protocol: asks `ranker` for a ranked list for each evaluated user (ascending user
    /// order), restricts it with ``restrict(_:for:limit:)``, scores it and averages.
    /// - Parameter ranker: returns items best first for a user; it may return more than K items and
    ///   may include non-candidates (they are removed before scoring).
    /// - Throws: what `ranker` throws, or ``EvaluationError`` when no user has a relevant test
    ///   item or the catalog is empty.
    public func evaluate(ranker: (Int32) throws -> [Int32]) throws -> RankingSummary {
        var accumulator = RankingAccumulator(metrics: metrics)
        for user in evaluatedUsers {
            let ranking = restrict(try ranker(user), for: user)
            accumulator.add(ranking: ranking, relevant: relevantItems(of: user))
        }
        return try accumulator.summary(catalogSize: catalog.count)
    }
}
