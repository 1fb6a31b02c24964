/// What one predictor scored on one split.
public struct SplitMetrics: Equatable, Sendable {
    /// RMSE and MAE over every test row, or `nil` for a predictor that does not predict ratings.
    public let rating: RatingMetrics?
    /// The top-N protocol's summary, or `nil` for a predictor that does not rank.
    public let ranking: RankingSummary?
    /// The number of test rows (all of them are scored, known users and films or not).
    public let testRatings: Int
    /// The number of distinct users among the test rows.
    public let testUsers: Int
    /// The number of test rows whose user or film does not occur in the train rows (predicted from
    /// the baseline terms that are known).
    public let coldTestRatings: Int

    /// Creates the figures of one split.
    public init(rating: RatingMetrics?, ranking: RankingSummary?, testRatings: Int, testUsers: Int,
                coldTestRatings: Int) {
        self.rating = rating
        self.ranking = ranking
        self.testRatings = testRatings
        self.testUsers = testUsers
        self.coldTestRatings = coldTestRatings
    }

    /// The figures by name, in report order, for tables and JSON: `rmse`, `mae`,
    /// `precisionAt<K>`, `recallAt<K>`, `ndcgAt<K>`, `mapAt<K>`, `hitRateAt<K>`, `coverage`, `users`
    /// (users evaluated by the top-N protocol), `testRatings`, `testUsers`, `coldTestRatings`.
    /// A figure the predictor does not produce is `nil`.
    public func figures(k: Int) -> [NamedFigure] {
        [
            NamedFigure("rmse", rating?.rootMeanSquaredError),
            NamedFigure("mae", rating?.meanAbsoluteError),
            NamedFigure("precisionAt\(k)", ranking?.precision),
            NamedFigure("recallAt\(k)", ranking?.recall),
            NamedFigure("ndcgAt\(k)", ranking?.ndcg),
            NamedFigure("mapAt\(k)", ranking?.meanAveragePrecision),
            NamedFigure("hitRateAt\(k)", ranking?.hitRate),
            NamedFigure("coverage", ranking?.coverage),
            NamedFigure("users", ranking.map { Double($0.evaluatedUsers) }),
            NamedFigure("testRatings", Double(testRatings)),
            NamedFigure("testUsers", Double(testUsers)),
            NamedFigure("coldTestRatings", Double(coldTestRatings)),
        ]
    }
}

/// One named figure of a report (`rmse`, `ndcgAt10`, ...); `nil` when it does not apply.
public struct NamedFigure: Equatable, Sendable {
    /// The figure's key, as used in JSON.
    public let name: String
    /// The value, or `nil` when the predictor does not produce it.
    public let value: Double?

    /// Creates a figure.
    public init(_ name: String, _ value: Double?) {
        self.name = name
        self.value = value
    }
}

/// A figure summarised over folds: its per-fold values, mean and sample standard deviation
/// (see ``FoldStatistics``).
public struct FigureSummary: Equatable, Sendable {
    /// The figure's key.
    public let name: String
    /// The value on each fold (`nil` where it does not apply).
    public let values: [Double?]
    /// The mean over folds, `nil` when the figure does not apply.
    public let mean: Double?
    /// The sample standard deviation over folds, `nil` when it does not apply or there is one fold.
    public let standardDeviation: Double?

    /// Summarises the same figure of several folds (`folds[f]` lists fold f's figures in the same order).
    /// - Throws: ``EvaluationError`` when `folds` is empty.
    public static func summarise(_ folds: [[NamedFigure]]) throws -> [FigureSummary] {
        guard let first = folds.first else {
            throw EvaluationError.emptyInput("folds", expected: "the figures of at least one fold")
        }
        return try first.indices.map { position in
            let values = folds.map { $0[position].value }
            let present = values.compactMap { $0 }
            let statistics = present.count == values.count ? try FoldStatistics(present) : nil
            return FigureSummary(name: first[position].name, values: values, mean: statistics?.mean,
                                 standardDeviation: statistics?.standardDeviation)
        }
    }
}
