import MovieRecModel

/// Trains the model on the train rows of a split and scores it (and simpler predictors) on the test
/// rows: RMSE and MAE over every test row, and the top-N protocol of ``TopNEvaluation``.
///
/// Test rows whose user or film does not occur in train still count: they are predicted from the
/// baseline terms that are known (μ, plus b_u for a known user, plus b_i for a known film), as Surprise
/// does. A top-N user without train rows is ranked by film bias b_i (the model with zero user terms).
///
///     let runner = try EvaluationRunner(dataset: dataset, settings: EvaluationSettings())
///     for split in try RowSplit.kFold(rowCount: dataset.rows.count, folds: 5, seed: 42) {
///         let figures = try runner.evaluate(split: split, variants: ModelVariant.allCases)
///     }
///
/// Deterministic: the same dataset, split and settings give the same figures, whatever the thread count.
public struct EvaluationRunner: Sendable {
    /// The rows splits refer to.
    public let dataset: EvaluationDataset
    /// K, relevance threshold, model parameters, threads.
    public let settings: EvaluationSettings

    /// Checks the settings.
    /// - Throws: ``EvaluationError`` when K < 1 or the relevance threshold is not finite.
    public init(dataset: EvaluationDataset, settings: EvaluationSettings) throws {
        _ = try RankingMetrics(k: settings.k)
        guard settings.relevanceThreshold.isFinite else {
            throw EvaluationError.invalidParameter(
                "relevance threshold", settings.relevanceThreshold, expected: "a finite rating")
        }
        self.dataset = dataset
        self.settings = settings
    }

    /// Scores each of `variants` on `split` (one model is trained for all of them).
    /// - Returns: the figures of each variant, in the order of `variants`.
    /// - Throws: ``EvaluationError`` for an empty train or test part or an index outside the rows;
    ///   ``MovieRecModel/ModelError`` when the model cannot be trained with the parameters.
    public func evaluate(split: RowSplit, variants: [ModelVariant] = [.fullModel]) throws -> [SplitMetrics] {
        let fitted = try fit(split, parameters: settings.parameters, level: variants.map(\.fitLevel).max() ?? .counts)
        return try score(fitted, variants: variants, parameters: settings.parameters)
    }

    /// Trains on `split.train` with `parameters`.
    func fit(_ split: RowSplit, parameters: ModelParameters, level: FitLevel) throws -> FittedSplit {
        guard !split.test.isEmpty else {
            throw EvaluationError.emptyInput("test rows", expected: "at least one rating to score")
        }
        if let bad = (split.train + split.test).first(where: { !dataset.rows.indices.contains($0) }) {
            throw EvaluationError.invalidParameter(
                "row index", bad, expected: "an index between 0 and \(dataset.rows.count - 1)")
        }
        return try FittedSplit(dataset: dataset, split: split, parameters: parameters, level: level,
                               threadCount: settings.threadCount)
    }

    /// The figures of `variants` on a fitted split, with the blend weights of `parameters`.
    func score(_ fitted: FittedSplit, variants: [ModelVariant], parameters: ModelParameters) throws -> [SplitMetrics] {
        let fitted = try fitted.reranked(parameters)
        let rows = dataset.rows
        let split = fitted.split
        let topN = try TopNEvaluation(rows: rows, split: split, k: settings.k,
                                      relevanceThreshold: settings.relevanceThreshold)
        let users = topN.evaluatedUsers
        let testUsers = Set(split.test.map { rows[$0].user }).count
        let biasOrder = fitted.biasOrder()
        return try variants.map { variant in
            var ranking: RankingSummary?
            if variant.ranks && !users.isEmpty {
                let lists = try concurrentMap(count: users.count, threadCount: settings.threadCount) { position in
                    try fitted.ranking(variant, user: users[position], count: settings.k, biasOrder: biasOrder)
                }
                let byUser = Dictionary(uniqueKeysWithValues: zip(users, lists))
                ranking = try topN.evaluate { byUser[$0] ?? [] }
            }
            return SplitMetrics(rating: fitted.ratingMetrics(variant, rows: rows, parameters: parameters),
                                ranking: ranking, testRatings: split.test.count, testUsers: testUsers,
                                coldTestRatings: fitted.coldRows)
        }
    }
}
