/// Every knob of the model, with defaults chosen on ml-latest-small (5-fold RMSE and the top-N holdout;
/// see the module README section of the report). `Codable`, so a saved model records how it was trained.
public struct ModelParameters: Codable, Sendable, Equatable {
    // MARK: Baseline
    /// `.bias` (regularised biases) or `.none` (plain SVD of raw ratings).
    public var baselineMode: BaselineMode = .bias
    /// λ_i of ``BaselineEstimator`` (Surprise default 10).
    public var movieRegularization: Float = 10
    /// λ_u of ``BaselineEstimator`` (Surprise default 15).
    public var userRegularization: Float = 15
    /// Alternating sweeps of ``BaselineEstimator`` (Surprise default 10).
    public var baselineSweeps: Int = 10

    // MARK: Latent factors
    /// Rank k of the residual SVD.
    public var rank: Int = 32
    /// Oversampling p of the randomized SVD.
    public var oversampling: Int = 10
    /// Power iterations q of the randomized SVD.
    public var powerIterations: Int = 4
    /// Seed of every random choice (the SVD test matrices); same seed → identical model.
    public var seed: UInt64 = 42

    // MARK: Attention
    /// K, the number of user neighbours and of film neighbours attended to.
    public var neighbours: Int = 40
    /// τ, the attention temperature: logits are `√d·cos/τ`.
    public var temperature: Float = 1
    /// At most this many raters of a film are compared when picking its user neighbours (an even,
    /// deterministic stride over the film's raters beyond it), which bounds the cost for blockbusters.
    public var raterScanLimit: Int = 4000
    /// α_svd, weight of the SVD term `p_u·q_i`.
    public var svdWeight: Float = 1
    /// α_user, weight of the user-neighbour attention term.
    public var userAttentionWeight: Float = 0.5
    /// α_film, weight of the film-neighbour attention term.
    public var movieAttentionWeight: Float = 0.5

    // MARK: Raw co-rating cosine
    /// Minimum number of common films for a raw cosine; below it the raw cosine is reported as 0.
    public var rawCosineMinimumSupport: Int = 2
    /// λ_s: the raw cosine over n common films is multiplied by `n / (n + λ_s)`.
    public var rawCosineShrinkage: Float = 10

    // MARK: Ranking
    /// Rank of the "watch" SVD of the implicit matrix used for ranking (capped at `min(users, films)`).
    public var watchRank: Int = 32
    /// β: columns of the implicit matrix are scaled by `popularity^−β` before its SVD.
    public var popularityExponent: Float = 0.25
    /// γ: weight of the predicted-rating deviation `r̂_ui − μ − b_u` in the ranking score.
    public var ratingScoreWeight: Float = 0.05

    /// The defaults.
    public init() {}
}
