import MovieRecNumerics

/// One recommended film.
public struct Recommendation: Sendable, Equatable {
    /// The film index.
    public let movie: Int
    /// The ranking score (higher = more likely to be watched and liked); comparable only within one list.
    public let score: Float
    /// The predicted rating (for display), clipped to the training rating scale.
    public let predictedRating: Float
    /// Why, when asked for.
    public let explanation: Explanation?
}

/// Top-N recommendation for trained and folded-in users.
///
/// Candidates are all films the user has not rated. They are ranked by
///
///     score_i = Σ_c y_uc·(σ_c/σ₁)^ρ·V_w[i, c] + γ·(b_i + p_u·q_i)
///
/// — the watch score of ``WatchFactors`` (how strongly the user's history points at the film) plus an
/// optional term of the film-dependent part of the baseline + SVD rating estimate
/// (γ = ``ModelParameters/ratingScoreWeight``; 0 by default: on the ml-latest-small top-N holdout
/// γ = 0.3 did not change nDCG@10 and γ ≥ 1 lowered it, so the mat-vec stays k_w wide).
/// A model tuned for rating error alone ranks poorly (it favours obscure films with few high ratings),
/// hence the watch term. All scores come from one SIMD mat-vec with a precomputed ranking matrix,
/// then a partial top-N selection; rating predictions and explanations are computed only for the N
/// returned films.
public struct Recommender: Sendable {
    /// The model recommended from.
    public let model: TrainedModel

    /// Wraps a trained model.
    public init(model: TrainedModel) {
        self.model = model
    }

    /// The `count` best films that trained user `user` has not rated, best first (ties: lower index first).
    ///
    /// - Parameter explain: attach an ``Explanation`` with the 5 strongest neighbours to each film.
    /// - Throws: ``ModelError`` `.unknownUser`.
    public func topN(user: Int, count: Int, explain: Bool = false) throws -> [Recommendation] {
        try topN(.trained(user), count: count, explain: explain)
    }

    /// The same for a folded-in new user.
    public func topN(folded user: FoldedUser, count: Int, explain: Bool = false) throws -> [Recommendation] {
        try topN(.folded(user), count: count, explain: explain)
    }

    /// The same for any user reference.
    public func topN(_ user: UserReference, count: Int, explain: Bool = false) throws -> [Recommendation] {
        let context = try model.context(user)
        let query = model.parameters.ratingScoreWeight == 0 ? context.watch : context.watch + context.latent + [1]
        let scores = model.rankingMatrix.multiplied(by: query)
        var selection = TopSelection(capacity: count)
        var next = 0   // position in the ascending list of rated films
        for i in 0..<scores.count {
            if next < context.movies.count && Int(context.movies[next]) == i {
                next += 1
                continue
            }
            selection.offer(score: scores[i], index: i)
        }
        return selection.sorted().map { entry in
            let explanation = model.explanation(for: context, movie: entry.index, limit: explain ? 5 : 0)
            return Recommendation(movie: entry.index, score: entry.score,
                                  predictedRating: model.clip(explanation.unclippedRating),
                                  explanation: explain ? explanation : nil)
        }
    }
}
