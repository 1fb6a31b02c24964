import MovieRecModel
import MovieRecNumerics

/// The parts of one test prediction: r̂ = base + w_svd·svd + w_user·user + w_film·film, clipped.
struct PredictionTerms: Sendable {
    /// μ plus the biases that are known (b_u when the user is in train, b_i when the film is).
    var base: Float
    /// p_u·q_i (0 unless user and film are both in train).
    var svd: Float = 0
    /// The user-neighbour attention output Σ w·v (0 unless both are in train).
    var user: Float = 0
    /// The film-neighbour attention output Σ w·v (0 unless both are in train).
    var film: Float = 0
}

/// How much a split's predictors need fitted.
enum FitLevel: Comparable {
    /// Train counts and the mean only (global mean, most popular).
    case counts
    /// The baseline μ + b_u + b_i (baseline only).
    case baseline
    /// The whole model (SVD, attention, ranking).
    case model
}

/// A model fitted on the train rows of one split, with everything the variants need that does not
/// depend on the blend weights: the prediction terms of every test row and the catalog orders.
///
/// The model sees train users and films only, numbered compactly in ascending dataset order; the
/// attention and SVD terms are computed with weight 1, so any blend is a weighted sum of them.
struct FittedSplit {
    let split: RowSplit
    /// The mean of the train ratings, μ of the global-mean predictor.
    let trainMean: Float
    /// The lowest and highest train rating; predictions are clipped to it.
    let ratingRange: ClosedRange<Float>
    /// The model (with weights 1), or `nil` when no requested variant needs more than the baseline.
    let model: TrainedModel?
    /// μ, b_u, b_i of the train rows (the model's when there is one), or `nil` when no requested
    /// variant needs them.
    let baseline: Baseline?
    /// With ``ModelParameters/fitsBlend``: the α weights the model fits on a validation slice of the train
    /// rows (used by the full model instead of the parameters' weights).
    let fittedBlend: (svd: Float, user: Float, film: Float)?
    /// Dataset user → model user, or -1 for a user without train rows.
    let userSlot: [Int32]
    /// Model film → dataset item.
    let itemOfSlot: [Int32]
    /// The terms of each test row, parallel to `split.test`.
    let terms: [PredictionTerms]
    /// The number of test rows whose user or film is not in train.
    let coldRows: Int
    /// Catalog items by train count, most first (ties: lower index).
    let popularityOrder: [Int32]
    /// The model with the blend weights it predicts with (the parameters' or the fitted ones), by the ranking
    /// variant it ranks for: full (the parameters' λ), attention alone (λ = 1), watch SVD alone (λ = 0).
    private(set) var rankers: [ModelVariant: TrainedModel]

    /// Trains on `split.train` and computes the terms of every test row.
    init(dataset: EvaluationDataset, split: RowSplit, parameters: ModelParameters, level: FitLevel,
         threadCount: Int) throws {
        let rows = dataset.rows
        guard !split.train.isEmpty else {
            throw EvaluationError.emptyInput("train rows", expected: "at least one rating to train on")
        }
        var userSlot = [Int32](repeating: -1, count: dataset.userCount)
        var itemSlot = [Int32](repeating: -1, count: dataset.itemCount)
        var counts = [Int](repeating: 0, count: dataset.itemCount)
        var sum = 0.0
        var lowest = Float.infinity
        var highest = -Float.infinity
        for index in split.train {
            let row = rows[index]
            userSlot[Int(row.user)] = 0
            itemSlot[Int(row.item)] = 0
            counts[Int(row.item)] += 1
            sum += Double(row.rating)
            lowest = min(lowest, row.rating)
            highest = max(highest, row.rating)
        }
        var userCount: Int32 = 0
        for user in userSlot.indices where userSlot[user] == 0 {
            userSlot[user] = userCount
            userCount += 1
        }
        var itemOfSlot: [Int32] = []
        for item in itemSlot.indices where itemSlot[item] == 0 {
            itemSlot[item] = Int32(itemOfSlot.count)
            itemOfSlot.append(Int32(item))
        }
        self.split = split
        self.userSlot = userSlot
        self.itemOfSlot = itemOfSlot
        trainMean = Float(sum / Double(split.train.count))
        ratingRange = lowest...highest
        popularityOrder = itemOfSlot.sorted { (counts[Int($0)], -$0) > (counts[Int($1)], -$1) }

        var training = parameters
        training.rank = min(parameters.rank, Int(userCount), itemOfSlot.count)
        training.svdWeight = 1
        training.userAttentionWeight = 1
        training.movieAttentionWeight = 1
        training.fitsBlend = false
        coldRows = split.test.filter { userSlot[Int(rows[$0].user)] < 0 || itemSlot[Int(rows[$0].item)] < 0 }.count
        let data = RatingData(
            userCount: Int(userCount), movieCount: itemOfSlot.count,
            userIndex: split.train.map { userSlot[Int(rows[$0].user)] },
            movieIndex: split.train.map { itemSlot[Int(rows[$0].item)] },
            rating: split.train.map { rows[$0].rating })
        // μ plus the known biases: the whole prediction of a row whose user or film is not in train.
        func knownTerms(_ baseline: Baseline, user: Int, item: Int) -> PredictionTerms {
            PredictionTerms(base: baseline.globalMean + (user >= 0 ? baseline.userBias[user] : 0)
                            + (item >= 0 ? baseline.movieBias[item] : 0))
        }
        switch level {
        case .counts:
            (model, baseline, terms, fittedBlend, rankers) = (nil, nil, [], nil, [:])
            return
        case .baseline:
            let estimator = BaselineEstimator(movieRegularization: training.movieRegularization,
                                              userRegularization: training.userRegularization,
                                              sweeps: training.baselineSweeps)
            let baseline = estimator.fit(try RatingMatrix(data), mode: training.baselineMode)
            (model, self.baseline, fittedBlend, rankers) = (nil, baseline, nil, [:])
            terms = split.test.map { index in
                knownTerms(baseline, user: Int(userSlot[Int(rows[index].user)]), item: Int(itemSlot[Int(rows[index].item)]))
            }
            return
        case .model:
            break
        }
        let model = try Model.train(data: data, parameters: training)
        self.model = model
        baseline = model.baseline
        if parameters.fitsBlend {
            var fitting = training
            fitting.fitsBlend = true
            (fitting.svdWeight, fitting.userAttentionWeight, fitting.movieAttentionWeight)
                = (parameters.svdWeight, parameters.userAttentionWeight, parameters.movieAttentionWeight)
            let blended = try Model.train(data: data, parameters: fitting).parameters
            fittedBlend = (blended.svdWeight, blended.userAttentionWeight, blended.movieAttentionWeight)
        } else {
            fittedBlend = nil
        }
        rankers = try Self.rankers(model: model, parameters: parameters, fittedBlend: fittedBlend)
        terms = try concurrentMap(count: split.test.count, threadCount: threadCount) { position in
            let row = rows[split.test[position]]
            let user = Int(userSlot[Int(row.user)])
            let item = Int(itemSlot[Int(row.item)])
            guard user >= 0, item >= 0 else { return knownTerms(model.baseline, user: user, item: item) }
            let parts = try model.explain(.trained(user), movie: item, limit: 0)
            return PredictionTerms(base: parts.baseline, svd: parts.svd, user: parts.userAttention,
                                   film: parts.movieAttention)
        }
    }

    /// The ranking models of ``rankers``: `model` (trained with α = 1) with the ranking knobs of `parameters` and
    /// the α it predicts with (the fitted ones, or those of `parameters`); no retraining.
    static func rankers(model: TrainedModel, parameters: ModelParameters,
                        fittedBlend: (svd: Float, user: Float, film: Float)?) throws -> [ModelVariant: TrainedModel] {
        var predicting = model.parameters
        (predicting.svdWeight, predicting.userAttentionWeight, predicting.movieAttentionWeight)
            = fittedBlend ?? (parameters.svdWeight, parameters.userAttentionWeight, parameters.movieAttentionWeight)
        predicting.rankingNeighbours = parameters.rankingNeighbours
        predicting.rankingTemperature = parameters.rankingTemperature
        predicting.attentionRankingWeight = parameters.attentionRankingWeight
        predicting.predictedRatingMargin = parameters.predictedRatingMargin
        predicting.movieRankingWeight = parameters.movieRankingWeight
        predicting.movieRankingTemperature = parameters.movieRankingTemperature
        predicting.movieRankingDepth = parameters.movieRankingDepth
        // Attention alone keeps both attention terms (neighbours and rated films); the watch SVD alone has neither.
        var attentionOnly = predicting, watchOnly = predicting
        attentionOnly.attentionRankingWeight = 1
        watchOnly.attentionRankingWeight = 0
        watchOnly.movieRankingWeight = 0
        let full = try model.reconfigured(predicting)
        return [.fullModel: full, .fullRanking: full, .attentionRankingOnly: try full.reconfigured(attentionOnly),
                .watchRankingOnly: try full.reconfigured(watchOnly)]
    }

    /// This fit with the rankers rebuilt for the ranking knobs and α of `parameters` (itself when they are the
    /// same): how a sweep of those knobs reuses one trained model.
    func reranked(_ parameters: ModelParameters) throws -> FittedSplit {
        guard let model, let current = rankers[.fullModel]?.parameters else { return self }
        let wanted = try Self.rankers(model: model, parameters: parameters, fittedBlend: fittedBlend)
        guard wanted[.fullModel]!.parameters != current else { return self }
        var copy = self
        copy.rankers = wanted
        return copy
    }

    /// RMSE and MAE of `variant` over the test rows, with the blend weights of `parameters` (the fitted
    /// ones for the full model with ``ModelParameters/fitsBlend``).
    func ratingMetrics(_ variant: ModelVariant, rows: [RatingRow], parameters: ModelParameters) -> RatingMetrics? {
        guard variant.predictsRatings else { return nil }
        var metrics = RatingMetrics()
        let weights = variant == .fullModel ? fittedBlend ?? variant.blendWeights(parameters)
                                            : variant.blendWeights(parameters)
        for (position, index) in split.test.enumerated() {
            let predicted: Float
            if variant == .globalMean {
                predicted = trainMean
            } else {
                let t = terms[position]
                predicted = t.base + weights.svd * t.svd + weights.user * t.user + weights.film * t.film
            }
            let clipped = min(max(predicted, ratingRange.lowerBound), ratingRange.upperBound)
            metrics.add(predicted: Double(clipped), actual: Double(rows[index].rating))
        }
        return metrics
    }

    /// Catalog items by film bias b_i, highest first (ties: lower index): the ranking of the baseline,
    /// and of every model variant for a user who is not in train (their user terms are 0).
    func biasOrder() -> [Int32] {
        guard let bias = baseline?.movieBias else { return popularityOrder }
        return itemOfSlot.indices.sorted { (bias[$0], -$0) > (bias[$1], -$1) }.map { itemOfSlot[$0] }
    }

    /// The top-`count` ranking of `variant` for `user`, as dataset items; for a variant that ranks
    /// the same way for everyone, the whole catalog order (the protocol keeps the first candidates).
    func ranking(_ variant: ModelVariant, user: Int32, count: Int, biasOrder: [Int32]) throws -> [Int32] {
        let slot = Int(userSlot[Int(user)])
        switch variant {
        case .mostPopular:
            return popularityOrder
        case .baselineOnly:
            return biasOrder
        case .fullModel, .fullRanking, .attentionRankingOnly, .watchRankingOnly:
            guard let ranker = rankers[variant], slot >= 0 else { return biasOrder }
            return try Recommender(model: ranker).topN(user: slot, count: count).map { itemOfSlot[$0.movie] }
        case .svdOnly:
            guard let model, slot >= 0 else { return biasOrder }
            return ratingEstimateRanking(model: model, user: slot, count: count).map { itemOfSlot[Int($0)] }
        case .globalMean, .userAttentionOnly, .filmAttentionOnly:
            return []
        }
    }

    /// The `count` unrated films with the largest b_i + p_u·q_i (ties: lower index).
    private func ratingEstimateRanking(model: TrainedModel, user: Int, count: Int) -> [Int32] {
        let latent = Array(model.factors.userVectors.row(user))
        let vectors = model.factors.movieVectors
        let k = vectors.columns
        let rated = Set(model.ratings.byUser.columnIndices[model.ratings.userRange(user)])
        var best: [(score: Float, movie: Int32)] = []
        latent.withUnsafeBufferPointer { p in
            vectors.values.withUnsafeBufferPointer { all in
                for movie in 0..<vectors.rows where !rated.contains(Int32(movie)) {
                    let q = UnsafeBufferPointer(rebasing: all[(movie * k)..<((movie + 1) * k)])
                    let score = model.baseline.movieBias[movie] + dot(p, q)
                    guard best.count < count || score > best[best.count - 1].score else { continue }
                    let position = best.firstIndex { score > $0.score } ?? best.count
                    best.insert((score, Int32(movie)), at: position)
                    if best.count > count { best.removeLast() }
                }
            }
        }
        return best.map(\.movie)
    }
}
