import MovieRecModel

/// A model parameter that `evaluate --sweep` and `--param` can set, by name.
///
/// | name | ``ModelParameters`` field | chosen by |
/// |---|---|---|
/// | `rank` | ``ModelParameters/rank`` | RMSE |
/// | `power-iterations` | ``ModelParameters/powerIterations`` | RMSE |
/// | `oversampling` | ``ModelParameters/oversampling`` | RMSE |
/// | `seed` | ``ModelParameters/seed`` (to measure how much a figure moves with the random projection) | RMSE |
/// | `temperature` | ``ModelParameters/temperature`` | RMSE |
/// | `neighbours` | ``ModelParameters/neighbours`` | RMSE |
/// | `rater-scan-limit` | ``ModelParameters/raterScanLimit`` | RMSE |
/// | `attended-movie-limit` | ``ModelParameters/attendedMovieLimit`` | RMSE |
/// | `svd-weight` | ``ModelParameters/svdWeight`` | RMSE |
/// | `user-weight` | ``ModelParameters/userAttentionWeight`` | RMSE |
/// | `film-weight` | ``ModelParameters/movieAttentionWeight`` | RMSE |
/// | `similarity-exponent` | ``ModelParameters/movieSimilarityExponent`` | RMSE |
/// | `user-regularization` | ``ModelParameters/userRegularization`` | RMSE |
/// | `film-regularization` | ``ModelParameters/movieRegularization`` | RMSE |
/// | `watch-rank` | ``ModelParameters/watchRank`` | nDCG@K |
/// | `watch-exponent` | ``ModelParameters/watchRatingExponent`` | nDCG@K |
/// | `activity-exponent` | ``ModelParameters/userActivityExponent`` | nDCG@K |
/// | `spectral-exponent` | ``ModelParameters/watchSpectralExponent`` | nDCG@K |
/// | `popularity-exponent` | ``ModelParameters/popularityExponent`` | nDCG@K |
/// | `ranking-neighbours` | ``ModelParameters/rankingNeighbours`` | nDCG@K |
/// | `ranking-temperature` | ``ModelParameters/rankingTemperature`` | nDCG@K |
/// | `attention-ranking-weight` | ``ModelParameters/attentionRankingWeight`` | nDCG@K |
/// | `movie-ranking-weight` | ``ModelParameters/movieRankingWeight`` | nDCG@K |
/// | `movie-ranking-temperature` | ``ModelParameters/movieRankingTemperature`` | nDCG@K |
/// | `movie-ranking-depth` | ``ModelParameters/movieRankingDepth`` | nDCG@K |
/// | `predicted-margin` | ``ModelParameters/predictedRatingMargin`` | nDCG@K |
/// | `floor-depth` | ``ModelParameters/floorDepth`` | nDCG@K |
///
/// Rating-prediction knobs are chosen by validation RMSE, ranking knobs by validation nDCG@K.
public struct TunableParameter: Sendable {
    /// The name used on the command line.
    public let name: String
    /// The metric a sweep of this parameter is chosen by, unless another is asked for.
    public let defaultMetric: SelectionMetric
    /// Whether only whole numbers are accepted.
    public let isInteger: Bool
    private let write: @Sendable (inout ModelParameters, Double) -> Void
    private let read: @Sendable (ModelParameters) -> Double

    private init(_ name: String, _ metric: SelectionMetric, integer: Bool = false,
                 read: @escaping @Sendable (ModelParameters) -> Double,
                 write: @escaping @Sendable (inout ModelParameters, Double) -> Void) {
        self.name = name
        defaultMetric = metric
        isInteger = integer
        self.read = read
        self.write = write
    }

    /// Every tunable parameter, in the order of the table above.
    public static let all: [TunableParameter] = [
        TunableParameter("rank", .rmse, integer: true, read: { Double($0.rank) }, write: { $0.rank = Int($1) }),
        TunableParameter("power-iterations", .rmse, integer: true, read: { Double($0.powerIterations) },
                         write: { $0.powerIterations = Int($1) }),
        TunableParameter("oversampling", .rmse, integer: true, read: { Double($0.oversampling) },
                         write: { $0.oversampling = Int($1) }),
        TunableParameter("seed", .rmse, integer: true, read: { Double($0.seed) }, write: { $0.seed = UInt64($1) }),
        TunableParameter("temperature", .rmse, read: { Double($0.temperature) }, write: { $0.temperature = Float($1) }),
        TunableParameter("neighbours", .rmse, integer: true, read: { Double($0.neighbours) },
                         write: { $0.neighbours = Int($1) }),
        TunableParameter("rater-scan-limit", .rmse, integer: true, read: { Double($0.raterScanLimit) },
                         write: { $0.raterScanLimit = Int($1) }),
        TunableParameter("attended-movie-limit", .rmse, integer: true, read: { Double($0.attendedMovieLimit) },
                         write: { $0.attendedMovieLimit = Int($1) }),
        TunableParameter("svd-weight", .rmse, read: { Double($0.svdWeight) }, write: { $0.svdWeight = Float($1) }),
        TunableParameter("user-weight", .rmse, read: { Double($0.userAttentionWeight) },
                         write: { $0.userAttentionWeight = Float($1) }),
        TunableParameter("film-weight", .rmse, read: { Double($0.movieAttentionWeight) },
                         write: { $0.movieAttentionWeight = Float($1) }),
        TunableParameter("similarity-exponent", .rmse, read: { Double($0.movieSimilarityExponent) },
                         write: { $0.movieSimilarityExponent = Float($1) }),
        TunableParameter("user-regularization", .rmse, read: { Double($0.userRegularization) },
                         write: { $0.userRegularization = Float($1) }),
        TunableParameter("film-regularization", .rmse, read: { Double($0.movieRegularization) },
                         write: { $0.movieRegularization = Float($1) }),
        TunableParameter("watch-rank", .ndcg, integer: true, read: { Double($0.watchRank) },
                         write: { $0.watchRank = Int($1) }),
        TunableParameter("watch-exponent", .ndcg, read: { Double($0.watchRatingExponent) },
                         write: { $0.watchRatingExponent = Float($1) }),
        TunableParameter("activity-exponent", .ndcg, read: { Double($0.userActivityExponent) },
                         write: { $0.userActivityExponent = Float($1) }),
        TunableParameter("spectral-exponent", .ndcg, read: { Double($0.watchSpectralExponent) },
                         write: { $0.watchSpectralExponent = Float($1) }),
        TunableParameter("popularity-exponent", .ndcg, read: { Double($0.popularityExponent) },
                         write: { $0.popularityExponent = Float($1) }),
        TunableParameter("ranking-neighbours", .ndcg, integer: true, read: { Double($0.rankingNeighbours) },
                         write: { $0.rankingNeighbours = Int($1) }),
        TunableParameter("ranking-temperature", .ndcg, read: { Double($0.rankingTemperature) },
                         write: { $0.rankingTemperature = Float($1) }),
        TunableParameter("attention-ranking-weight", .ndcg, read: { Double($0.attentionRankingWeight) },
                         write: { $0.attentionRankingWeight = Float($1) }),
        TunableParameter("movie-ranking-weight", .ndcg, read: { Double($0.movieRankingWeight) },
                         write: { $0.movieRankingWeight = Float($1) }),
        TunableParameter("movie-ranking-temperature", .ndcg, read: { Double($0.movieRankingTemperature) },
                         write: { $0.movieRankingTemperature = Float($1) }),
        TunableParameter("movie-ranking-depth", .ndcg, integer: true, read: { Double($0.movieRankingDepth) },
                         write: { $0.movieRankingDepth = Int($1) }),
        TunableParameter("predicted-margin", .ndcg, read: { Double($0.predictedRatingMargin) },
                         write: { $0.predictedRatingMargin = Float($1) }),
        TunableParameter("floor-depth", .ndcg, integer: true, read: { Double($0.floorDepth) },
                         write: { $0.floorDepth = Int($1) }),
    ]

    /// The parameter called `name` (`neighbors` is accepted for `neighbours`).
    /// - Throws: ``EvaluationError`` for an unknown name, listing the known ones.
    public static func named(_ name: String) throws -> TunableParameter {
        let wanted = name == "neighbors" ? "neighbours" : name
        guard let parameter = all.first(where: { $0.name == wanted }) else {
            throw EvaluationError.invalidParameter(
                "parameter name", name, expected: "one of " + all.map(\.name).joined(separator: ", "))
        }
        return parameter
    }

    /// `parameters` with each `name=value` of `settings` applied in order (the `--param` option of `evaluate` and
    /// `benchmark`).
    /// - Throws: ``EvaluationError`` for a setting that is not `name=number`, an unknown name or a bad value.
    public static func applying(_ settings: [String], to parameters: ModelParameters) throws -> ModelParameters {
        var result = parameters
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Double(parts[1].trimmingCharacters(in: .whitespaces)) else {
                throw EvaluationError.invalidParameter("parameter setting", setting, expected: "name=value, with a number")
            }
            result = try named(parts[0]).setting(value, in: result)
        }
        return result
    }

    /// The parameter's value in `parameters`.
    public func value(in parameters: ModelParameters) -> Double {
        read(parameters)
    }

    /// `parameters` with this parameter set to `value`.
    /// - Throws: ``EvaluationError`` when `value` is not finite, or not a whole number for an integer
    ///   parameter (the model checks the range when it is trained).
    public func setting(_ value: Double, in parameters: ModelParameters) throws -> ModelParameters {
        guard value.isFinite, !isInteger || (value == value.rounded() && abs(value) < 1e9) else {
            throw EvaluationError.invalidValue(
                "value of \(name)", value, expected: isInteger ? "a whole number" : "a finite number")
        }
        var result = parameters
        write(&result, value)
        return result
    }
}

/// The figure a sweep is chosen by, on the validation split.
public enum SelectionMetric: String, CaseIterable, Sendable {
    /// Root mean squared error (lower is better).
    case rmse
    /// Mean absolute error (lower is better).
    case mae
    /// nDCG@K (higher is better).
    case ndcg
    /// MAP@K (higher is better).
    case map
    /// Precision@K (higher is better).
    case precision
    /// Recall@K (higher is better).
    case recall

    /// Whether a lower value is better.
    public var lowerIsBetter: Bool { self == .rmse || self == .mae }

    /// The metric's value in `metrics`, `nil` when it was not measured.
    public func value(of metrics: SplitMetrics) -> Double? {
        switch self {
        case .rmse: return metrics.rating?.rootMeanSquaredError
        case .mae: return metrics.rating?.meanAbsoluteError
        case .ndcg: return metrics.ranking?.ndcg
        case .map: return metrics.ranking?.meanAveragePrecision
        case .precision: return metrics.ranking?.precision
        case .recall: return metrics.ranking?.recall
        }
    }

    /// The key of the metric among ``SplitMetrics/figures(k:)`` (`rmse`, `ndcgAt10`, ...).
    public func figureName(k: Int) -> String {
        switch self {
        case .rmse, .mae: return rawValue
        case .ndcg, .map, .precision, .recall: return "\(rawValue)At\(k)"
        }
    }
}
