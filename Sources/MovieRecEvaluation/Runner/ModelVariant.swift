import MovieRecModel

/// The predictors `evaluate --compare` sets side by side, from the simplest to the full model.
///
/// With μ the mean training rating, b_u, b_i the baseline biases, s = p_u·q_i the residual-SVD term and
/// a_u, a_f the user- and film-neighbour attention terms (see ``TrainedModel/predict(user:movie:)``):
///
/// | variant | predicted rating | ranking score (top-N) |
/// |---|---|---|
/// | global mean | μ | none (a constant ranks nothing) |
/// | baseline only | μ + b_u + b_i | b_i |
/// | most popular | none | number of training ratings of the film |
/// | SVD only | μ + b_u + b_i + s | b_i + s |
/// | user attention only | μ + b_u + b_i + a_u | none |
/// | film attention only | μ + b_u + b_i + a_f | none |
/// | attention ranking only | none | the ranking attention term alone (λ = 1) |
/// | watch SVD only | none | the watch SVD score alone (λ = 0) |
/// | full ranking | none | the model's ranking (the same lists as the full model) |
/// | full model | μ + b_u + b_i + α_svd·s + α_user·a_u + α_film·a_f | the model's ranking (``Recommender``) |
///
/// A term "alone" has weight 1, as a stand-alone predictor of that kind would (Surprise's SVD and
/// KNNBaseline are such predictors); the full model uses the blend weights α of its parameters.
/// The rating-attention terms take part in rating prediction only, so their variants have no top-N figures;
/// the three ranking rows reuse the full model's SVDs (``TrainedModel/reconfigured(_:)``) and, like the full
/// model, leave out films predicted below the rating floor. Ranking ties go to the lower item index.
/// Predictions are clipped to the range of the training ratings.
public enum ModelVariant: String, CaseIterable, Sendable, Codable {
    /// μ for every rating.
    case globalMean = "global mean"
    /// μ + b_u + b_i.
    case baselineOnly = "baseline only"
    /// Films ranked by their number of training ratings.
    case mostPopular = "most popular"
    /// Baseline plus the residual SVD term.
    case svdOnly = "SVD only"
    /// Baseline plus the user-neighbour attention term.
    case userAttentionOnly = "user attention only"
    /// Baseline plus the film-neighbour attention term.
    case filmAttentionOnly = "film attention only"
    /// The ranking attention term alone (λ = 1).
    case attentionRankingOnly = "attention ranking only"
    /// The watch SVD term alone (λ = 0).
    case watchRankingOnly = "watch SVD only"
    /// The full ranking (λ of the parameters), listed next to its two terms.
    case fullRanking = "full ranking"
    /// The complete model (last: its figures are the report's top-level ones).
    case fullModel = "full model"

    /// Whether the variant predicts ratings (every one but ``mostPopular``).
    public var predictsRatings: Bool {
        switch self {
        case .mostPopular, .attentionRankingOnly, .watchRankingOnly, .fullRanking: return false
        default: return true
        }
    }

    /// Whether the variant produces top-N lists.
    public var ranks: Bool {
        switch self {
        case .globalMean, .userAttentionOnly, .filmAttentionOnly: return false
        case .baselineOnly, .mostPopular, .svdOnly, .fullModel, .attentionRankingOnly, .watchRankingOnly, .fullRanking:
            return true
        }
    }

    /// What the variant needs fitted: counts only, the baseline, or the whole model.
    var fitLevel: FitLevel {
        switch self {
        case .globalMean, .mostPopular: return .counts
        case .baselineOnly: return .baseline
        case .svdOnly, .userAttentionOnly, .filmAttentionOnly, .fullModel, .attentionRankingOnly, .watchRankingOnly,
             .fullRanking:
            return .model
        }
    }

    /// The weights (svd, user attention, film attention) of the terms added to the baseline.
    func blendWeights(_ parameters: ModelParameters) -> (svd: Float, user: Float, film: Float) {
        switch self {
        case .globalMean, .baselineOnly, .mostPopular, .attentionRankingOnly, .watchRankingOnly, .fullRanking:
            return (0, 0, 0)
        case .svdOnly: return (1, 0, 0)
        case .userAttentionOnly: return (0, 1, 0)
        case .filmAttentionOnly: return (0, 0, 1)
        case .fullModel:
            return (parameters.svdWeight, parameters.userAttentionWeight, parameters.movieAttentionWeight)
        }
    }
}
