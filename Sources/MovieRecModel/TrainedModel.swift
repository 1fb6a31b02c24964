import MovieRecNumerics

/// A trained recommender: parameters, baseline, latent factors, watch factors and the ratings it was
/// trained on. A `Sendable` value; build it with ``Model/train(data:parameters:progress:)`` or restore it
/// with ``init(archive:ratings:)``.
public struct TrainedModel: Sendable {
    /// How the model was trained.
    public let parameters: ModelParameters
    /// The training ratings, by user and by film.
    public let ratings: RatingMatrix
    /// μ, b_u, b_i.
    public let baseline: Baseline
    /// The residual SVD (`U_k·S_k`, `V_k`, σ).
    public let factors: LatentFactors
    /// The implicit-feedback SVD used for ranking.
    public let watchFactors: WatchFactors
    /// The lowest and highest training rating; predictions are clipped to it.
    public let ratingRange: ClosedRange<Float>
    /// Attention over latent cosines with d = k and τ from the parameters.
    public let scorer: AttentionScorer
    /// Watch ranking matrix `V_w·diag((σ_c/σ₁)^ρ)` (`movies × k_w`) in panels by descending row norm: one mat-vec
    /// with `y_u` gives every film's watch score (see ``Recommender``).
    let rankingMatrix: RowPanels
    /// The same rows in film order, for the watch scores of given films.
    let rankingMovieVectors: DenseMatrix
    /// The keys of the ranking attention (unit filtered watch vectors of every user).
    let rankingKeys: RankingKeys
    /// For every user, the K_r nearest users by ``rankingKeys`` (built in `train`, saved with the model).
    public let rankingNeighbours: RankingNeighbourIndex
    /// Attention over watch cosines with d = k_w and τ_r.
    let rankingScorer: AttentionScorer
    /// Each user's mean training rating (0 for a user without ratings).
    let userMeanRating: [Float]
    /// Each user's support factor `n/(n + λ_n)` (n = the user's ratings, λ_n =
    /// ``ModelParameters/similaritySupportShrinkage``; 0 without ratings), by which `similar` shrinks cosines.
    let userSupportFactors: [Float]
    /// The raters each film's predictions compare, saved for films with many.
    let raterSamples: RaterSamples
    /// For each film, `min(0, v_min)`: the lowest residual `r_vi − (μ + b_v + b_i)` among the raters its predictions
    /// compare (``raterSamples``), or 0 — a floor of the user-neighbour term per unit weight
    /// (``passesWithoutRaters(_:movie:movieNeighbours:threshold:)``).
    let raterResidualFloors: [Float]
    /// ``ratings``' rows by user in 3 bytes an entry (``CodedRows``), for the ranking attention's scatter of the
    /// neighbours' rows; `nil` when the ratings cannot be coded (over 65,536 films or 256 distinct ratings).
    let rankingRows: CodedRows?
    /// Each trained user's W̄ and Ī, the ranking's normalizers that depend on the user's own films only (computed
    /// when the model is assembled in `train`, saved with it).
    public private(set) var rankingNormalizers = RankingNormalizers(meanWatch: [], meanMovies: [])
    /// Idle ranking scratches, reused by the lists computed from this model.
    let rankingScratches = RankingScratchPool()

    /// Assembles a model from its trained parts; the ranking neighbour index and the users' ranking normalizers
    /// are computed unless given.
    init(parameters: ModelParameters, ratings: RatingMatrix, baseline: Baseline, factors: LatentFactors,
         watchFactors: WatchFactors, rankingNeighbours: RankingNeighbourIndex? = nil,
         rankingNormalizers normalizers: RankingNormalizers? = nil) {
        self.parameters = parameters
        self.ratings = ratings
        self.baseline = baseline
        self.factors = factors
        self.watchFactors = watchFactors
        let values = ratings.byUser.values
        ratingRange = (values.min() ?? 0)...(values.max() ?? 0)
        scorer = AttentionScorer(dimension: factors.rank, temperature: parameters.temperature)
        let kw = watchFactors.rank
        var matrix = DenseMatrix(rows: ratings.movieCount, columns: kw)
        let filter = watchFactors.spectralWeights(exponent: parameters.watchSpectralExponent)
        for i in 0..<ratings.movieCount {
            for c in 0..<kw { matrix.values[i * kw + c] = filter[c] * watchFactors.movieVectors.values[i * kw + c] }
        }
        rankingMovieVectors = matrix
        rankingMatrix = RowPanels(matrix, sortedByNorm: true)
        userMeanRating = (0..<ratings.userCount).map { u in
            let range = ratings.userRange(u)
            return range.isEmpty ? 0 : ratings.byUser.values[range].reduce(0, +) / Float(range.count)
        }
        userSupportFactors = (0..<ratings.userCount).map { u in
            Self.supportFactor(ratings: ratings.userRange(u).count, shrinkage: parameters.similaritySupportShrinkage)
        }
        raterSamples = RaterSamples(byMovie: ratings.byMovie, limit: parameters.raterScanLimit)
        raterResidualFloors = raterSamples.residualFloors(byMovie: ratings.byMovie, baseline: baseline)
        rankingRows = CodedRows(ratings.byUser)
        let keys = RankingKeys(watch: watchFactors, spectralExponent: parameters.watchSpectralExponent)
        rankingKeys = keys
        rankingScorer = AttentionScorer(dimension: kw, temperature: parameters.rankingTemperature)
        self.rankingNeighbours = rankingNeighbours
            ?? RankingNeighbourIndex.build(keys: keys, count: parameters.rankingNeighbours, seed: parameters.seed)
        rankingNormalizers = normalizers ?? computedRankingNormalizers()
    }

    /// The same model with other ranking knobs (K_r, τ_r, λ, λ_m, τ_m, M, the rating margin) or blend weights α: the SVDs are
    /// reused, only the neighbour index is rebuilt when K_r changes. For sweeps of these knobs without retraining.
    ///
    /// - Throws: ``ModelError`` `.invalidParameter` when a knob is out of range, or when `parameters`
    ///   differs from the model's in anything else.
    public func reconfigured(_ parameters: ModelParameters) throws -> TrainedModel {
        try parameters.validate()
        var same = parameters
        same.svdWeight = self.parameters.svdWeight
        same.userAttentionWeight = self.parameters.userAttentionWeight
        same.movieAttentionWeight = self.parameters.movieAttentionWeight
        same.rankingNeighbours = self.parameters.rankingNeighbours
        same.rankingTemperature = self.parameters.rankingTemperature
        same.attentionRankingWeight = self.parameters.attentionRankingWeight
        same.predictedRatingMargin = self.parameters.predictedRatingMargin
        same.movieRankingWeight = self.parameters.movieRankingWeight
        same.movieRankingTemperature = self.parameters.movieRankingTemperature
        same.movieRankingDepth = self.parameters.movieRankingDepth
        same.attendedMovieLimit = self.parameters.attendedMovieLimit
        same.floorDepth = self.parameters.floorDepth
        guard same == self.parameters else {
            throw ModelError(.invalidParameter, field: "parameters", value: "a change beyond the ranking and blend knobs",
                             expected: "only rankingNeighbours, rankingTemperature, attentionRankingWeight, "
                                + "predictedRatingMargin, floorDepth, attendedMovieLimit, the movieRanking knobs or the α "
                                + "weights changed "
                                + "(retrain for the others)")
        }
        let index = parameters.rankingNeighbours == self.parameters.rankingNeighbours ? rankingNeighbours : nil
        let normalizers = RankingNormalizers.carry(from: self.parameters, to: parameters) ? rankingNormalizers : nil
        return TrainedModel(parameters: parameters, ratings: ratings, baseline: baseline, factors: factors,
                            watchFactors: watchFactors, rankingNeighbours: index, rankingNormalizers: normalizers)
    }

    /// `n/(n + λ_n)`, the share of a cosine that `similar` and `similar-movies` keep for a user or film with n
    /// ratings (λ_n = ``ModelParameters/similaritySupportShrinkage``; 0 without ratings).
    static func supportFactor(ratings n: Int, shrinkage lambda: Float) -> Float {
        n > 0 ? Float(n) / (Float(n) + lambda) : 0
    }

    /// Number of users.
    public var userCount: Int { ratings.userCount }
    /// Number of films.
    public var movieCount: Int { ratings.movieCount }

    /// Throws `.unknownUser` unless `user` is in `0..<userCount`.
    func checkUser(_ user: Int, field: String = "user") throws {
        guard user >= 0 && user < userCount else {
            throw ModelError(.unknownUser, field: field, value: "\(user)", expected: "a user index in 0..<\(userCount)")
        }
    }

    /// Throws `.unknownMovie` unless `movie` is in `0..<movieCount`.
    func checkMovie(_ movie: Int, field: String = "movie") throws {
        guard movie >= 0 && movie < movieCount else {
            throw ModelError(.unknownMovie, field: field, value: "\(movie)",
                             expected: "a film index in 0..<\(movieCount)")
        }
    }
}

/// A stage of ``Model/train(data:parameters:progress:)``, reported as it starts.
public enum TrainingStage: String, Sendable, CaseIterable {
    /// Building the by-user and by-film sparse matrices.
    case indexing
    /// Fitting μ, b_u, b_i.
    case baseline
    /// The truncated SVD of the implicit matrix.
    case watchFactors
    /// The truncated SVD of the residuals.
    case latentFactors
    /// Fitting the blend weights α on a validation slice (only with ``ModelParameters/fitsBlend``).
    case blendFitting
    /// Finding every user's K_r nearest users for the ranking attention (the neighbour index).
    case rankingNeighbours
}

/// Training entry point.
public enum Model {
    /// Trains a model on `data`: sparse matrices → baseline → watch SVD → residual SVD → ranking neighbour index.
    /// Deterministic: the same data, parameters and seed give an identical model.
    ///
    /// With ``ModelParameters/fitsBlend`` the α weights are first fitted on a validation slice
    /// (a second, smaller training run; see `fittedBlend`) and the returned model's parameters hold them.
    ///
    /// `data` is consumed: once the sparse matrices are built its arrays are released unless the caller
    /// still holds them (pass `consume data` to keep the peak memory down on large sets).
    ///
    /// A rank above `min(users, films)` is lowered to it; ``TrainedModel/parameters`` holds the rank used.
    ///
    /// - Throws: ``ModelError`` for empty or malformed data or invalid parameters.
    public static func train(data: consuming RatingData, parameters: ModelParameters = ModelParameters(),
                             progress: (TrainingStage) -> Void = { _ in }) throws -> TrainedModel {
        try parameters.validate()
        var parameters = parameters
        if parameters.fitsBlend {
            progress(.blendFitting)
            if let alpha = try fittedBlend(data: data, parameters: parameters) {
                (parameters.svdWeight, parameters.userAttentionWeight, parameters.movieAttentionWeight) = alpha
            }
        }
        progress(.indexing)
        let ratings = try RatingMatrix(data)   // the last use of `data`: its arrays go to (or die with) the matrices
        // The rank's one owner: a rank above min(users, films) is lowered to it (as the watch rank is below), and
        // the returned model's parameters hold the rank used.
        parameters.rank = max(1, min(parameters.rank, ratings.userCount, ratings.movieCount))
        progress(.baseline)
        let estimator = BaselineEstimator(movieRegularization: parameters.movieRegularization,
                                          userRegularization: parameters.userRegularization,
                                          sweeps: parameters.baselineSweeps)
        let baseline = estimator.fit(ratings, mode: parameters.baselineMode)
        // The watch SVD first: its factors are much smaller than the latent factors with their cosine tables,
        // so less is held while the other SVD's residual copies and workspace are alive (a lower peak).
        progress(.watchFactors)
        let watch = try WatchFactors.compute(ratings: ratings,
                                             rank: min(parameters.watchRank, ratings.userCount, ratings.movieCount),
                                             parameters: parameters)
        progress(.latentFactors)
        let factors = try LatentFactors.compute(ratings: ratings, baseline: baseline, rank: parameters.rank,
                                                oversampling: parameters.oversampling,
                                                powerIterations: parameters.powerIterations,
                                                movieSimilarityExponent: parameters.movieSimilarityExponent,
                                                seed: parameters.seed)
        progress(.rankingNeighbours)
        return TrainedModel(parameters: parameters, ratings: ratings, baseline: baseline, factors: factors,
                            watchFactors: watch)
    }
}

extension ModelParameters {
    /// Throws `.invalidParameter` for a value outside its range.
    func validate() throws {
        func require(_ condition: Bool, _ field: String, _ value: Any, _ expected: String) throws {
            guard condition else {
                throw ModelError(.invalidParameter, field: "parameters.\(field)", value: "\(value)", expected: expected)
            }
        }
        try require(rank >= 1, "rank", rank, "a rank of at least 1")
        try require(watchRank >= 1, "watchRank", watchRank, "a rank of at least 1")
        try require(watchRatingExponent >= 0, "watchRatingExponent", watchRatingExponent, "p ≥ 0")
        try require(oversampling >= 0, "oversampling", oversampling, "a count ≥ 0")
        try require(powerIterations >= 0, "powerIterations", powerIterations, "a count ≥ 0")
        try require(baselineSweeps >= 0, "baselineSweeps", baselineSweeps, "a count ≥ 0")
        try require(movieRegularization >= 0, "movieRegularization", movieRegularization, "λ_i ≥ 0")
        try require(userRegularization >= 0, "userRegularization", userRegularization, "λ_u ≥ 0")
        try require(neighbours >= 0, "neighbours", neighbours, "K ≥ 0")
        try require(raterScanLimit >= 1, "raterScanLimit", raterScanLimit, "a limit of at least 1")
        try require(temperature > 0 && temperature.isFinite, "temperature", temperature, "τ > 0")
        try require(rawCosineMinimumSupport >= 1, "rawCosineMinimumSupport", rawCosineMinimumSupport, "at least 1")
        try require(movieSimilarityExponent >= 0 && movieSimilarityExponent.isFinite, "movieSimilarityExponent",
                    movieSimilarityExponent, "e ≥ 0")
        try require(blendValidationShare > 0 && blendValidationShare < 1, "blendValidationShare",
                    blendValidationShare, "a share strictly between 0 and 1")
        try require(rawCosineShrinkage >= 0, "rawCosineShrinkage", rawCosineShrinkage, "λ_s ≥ 0")
        try require(similaritySupportShrinkage >= 0 && similaritySupportShrinkage.isFinite, "similaritySupportShrinkage",
                    similaritySupportShrinkage, "λ_n ≥ 0")
        try require(rankingNeighbours >= 0, "rankingNeighbours", rankingNeighbours, "K_r ≥ 0")
        try require(rankingTemperature > 0 && rankingTemperature.isFinite, "rankingTemperature", rankingTemperature,
                    "τ_r > 0")
        try require(attentionRankingWeight >= 0 && attentionRankingWeight <= 1, "attentionRankingWeight",
                    attentionRankingWeight, "λ between 0 and 1")
        try require(movieRankingWeight >= 0 && movieRankingWeight < 1, "movieRankingWeight", movieRankingWeight,
                    "λ_m in [0, 1)")
        try require(movieRankingTemperature > 0 && movieRankingTemperature.isFinite, "movieRankingTemperature",
                    movieRankingTemperature, "τ_m > 0")
        try require(movieRankingDepth >= 0, "movieRankingDepth", movieRankingDepth, "M ≥ 0")
        try require(attendedMovieLimit >= 0, "attendedMovieLimit", attendedMovieLimit, "L ≥ 0 (0: every film)")
        try require(floorDepth >= 1, "floorDepth", floorDepth, "d ≥ 1")
        try require(predictedRatingMargin.isFinite, "predictedRatingMargin", predictedRatingMargin, "a finite margin")
        for (name, value) in [("svdWeight", svdWeight), ("userAttentionWeight", userAttentionWeight),
                              ("movieAttentionWeight", movieAttentionWeight), ("popularityExponent", popularityExponent),
                              ("userActivityExponent", userActivityExponent),
                              ("watchSpectralExponent", watchSpectralExponent)] {
            try require(value.isFinite, name, value, "a finite number")
        }
    }
}
