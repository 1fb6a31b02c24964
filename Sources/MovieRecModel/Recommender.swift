import MovieRecNumerics

/// One recommended film.
public struct Recommendation: Sendable, Equatable {
    /// The film index.
    public let movie: Int
    /// The ranking score (higher = more likely to be watched and liked); comparable only within one list.
    public let score: Float
    /// The predicted rating (for display), clipped to the training rating scale.
    public let predictedRating: Float
    /// Why the rating is predicted, when asked for (the rating attention).
    public let explanation: Explanation?
    /// Why the film was picked, when asked for: the ranking score's parts and its strongest supporting neighbours.
    public let ranking: RankingBreakdown?
}

/// Top-N recommendation for trained and folded-in users: attention over similar users ranks the list.
///
/// Candidates are all films the user has not rated. User u's neighbours are the K_r users nearest in the
/// watch latent space (unit rows of `y ⊙ f`, see ``WatchFactors``), found in `train`; their attention
/// weights are `softmax(0, √k_w·cos₁/τ_r, …)` (the 0 is the null key, value 0). Film i is ranked by
///
///     score_i = λ·A_i/Ā + (1 − λ)·W_i/W̄,    A_i = Σ_v w_v·r_vi/r̄_v  (over neighbours v who rated i)
///
/// — the attention term A (how much similar users liked the film, each rating relative to that user's own
/// mean r̄_v) and the watch SVD score `W_i = Σ_c y_uc·(σ_c/σ₁)^ρ·V_w[i, c]`, each divided by its mean over
/// the films the user rated (Ā, W̄), so both are scale-free and λ (``ModelParameters/attentionRankingWeight``)
/// is a plain share. Each neighbour's contribution `(λ/Ā)·w_v·r_vi/r̄_v` is its part of the score: the
/// reasons of ``RankingBreakdown``.
///
/// A re-ranking stage adds a third term, attention from the candidate over the films the user rated
/// (``ModelParameters/movieRankingWeight`` λ_m > 0): the best `max(M, n)` films by the score above are re-scored as
///
///     score_i = (1 − λ_m)·(λ·A_i/Ā + (1 − λ)·W_i/W̄) + λ_m·I_i/Ī,    I_i = Σ_j w_ij·r_uj/r̄_u  (over the films j u rated)
///
/// with weights `softmax(0, √k·cos(i, j₁)/τ_m, …)` over cosines of unit rows of `V_k·S_k^e` (null key, value 0) and
/// Ī the mean of `I_j` over the user's own films (each without itself; at most 16 of them, evenly spaced). Each
/// rated film's contribution `(λ_m/Ī)·w_ij·r_uj/r̄_u` is a reason too ("because you rated Alien 5.0"). It costs
/// `max(M, n)·n_u` cosines per list, never one per catalogue film.
///
/// By default films the model predicts the user would dislike are left out (``RatingFloor``): the best
/// films by score are taken in order and those whose predicted rating (the rating attention of
/// ``TrainedModel/predict(_:movie:)``) is below the floor are skipped; only the best `d·(N + 4)` films by
/// score are examined (``ModelParameters/floorDepth``), so a list can be shorter than N when the model expects
/// the user to like few films.
public struct Recommender: Sendable {
    /// The model recommended from.
    public let model: TrainedModel

    /// Wraps a trained model.
    public init(model: TrainedModel) {
        self.model = model
    }

    /// The `count` best films that trained user `user` has not rated, best first (ties: lower index first).
    ///
    /// - Parameters:
    ///   - explain: attach the rating ``Explanation`` (5 neighbours) and the ``RankingBreakdown`` (5 reasons).
    ///   - floor: which predicted ratings are accepted.
    /// - Throws: ``ModelError`` `.unknownUser`.
    public func topN(user: Int, count: Int, explain: Bool = false, floor: RatingFloor = .automatic) throws -> [Recommendation] {
        try topN(.trained(user), count: count, explain: explain, floor: floor)
    }

    /// The same for a folded-in new user.
    public func topN(folded user: FoldedUser, count: Int, explain: Bool = false,
                     floor: RatingFloor = .automatic) throws -> [Recommendation] {
        try topN(.folded(user), count: count, explain: explain, floor: floor)
    }

    /// The same for any user reference.
    ///
    /// - Parameters:
    ///   - candidates: which films may be listed (``CandidateFilter``: all films the user has not rated by
    ///     default). The filter applies before the top-`count` cut, like the rating floor.
    ///   - floor: which predicted ratings are accepted.
    ///   - options: workers of the per-film predictions and explanations (a server answering many requests at
    ///     once passes ``ParallelOptions/serial``); the result does not depend on them.
    /// - Throws: ``ModelError`` `.unknownUser`, or `.invalidData` for a filter mask that is not one flag per film.
    public func topN(_ user: UserReference, count: Int, explain: Bool = false, candidates: CandidateFilter = .unrated,
                     floor: RatingFloor = .automatic, options: ParallelOptions = .default) throws -> [Recommendation] {
        let context = try model.context(user)
        if let allowed = candidates.allowed, allowed.count != model.movieCount {
            throw ModelError(.invalidData, field: "candidates.allowed", value: "\(allowed.count) flags",
                             expected: "one flag per film (\(model.movieCount))")
        }
        var scratch = model.rankingScratches.take(movieCount: model.movieCount)
        defer { model.rankingScratches.give(scratch) }
        let query = model.rankingQuery(context, scratch: &scratch)
        let chosen = accepted(context, query: query, count: count, candidates: candidates, floor: floor,
                              explanationLimit: explain ? 5 : nil, scratch: &scratch, options: options)
        guard !chosen.isEmpty else { return [] }
        let known = scratch.movieCosines
        // Each neighbour's ratings of the listed films, found once for the whole list (only when explaining: a film
        // has a breakdown exactly when it is in `listed`).
        let listed = explain ? chosen.map { Int32($0.movie.movie) }.sorted() : []
        let positions = explain ? model.neighbourRatingPositions(query, movies: listed) : []
        let width = query.neighbours.count
        var results = [Recommendation?](repeating: nil, count: chosen.count)
        results.withUnsafeMutableBufferPointer { buffer in
            let slots = SendablePointer(buffer.baseAddress!)
            options.forEachTask(chosen.count) { n in
                let entry = chosen[n]
                // Shared favourites are added below, once per neighbour: a list's films share many neighbours.
                let ranking = listed.firstIndex(of: Int32(entry.movie.movie)).map { line in
                    model.rankingBreakdown(context, query: query, movie: entry.movie.movie, limit: 5,
                                           ratingPositions: positions[(line * width)..<((line + 1) * width)],
                                           movieCosines: known[entry.movie.movie], findsFavourites: false)
                }
                slots.base[n] = Recommendation(movie: entry.movie.movie, score: entry.movie.score,
                                               predictedRating: entry.predicted, explanation: entry.explanation,
                                               ranking: ranking)
            }
        }
        guard explain else { return results.map { $0! } }
        var favourites: [Int: [Int]] = [:]
        let liked = model.likedMovies(context)
        return results.map { result in
            let recommendation = result!
            guard let ranking = recommendation.ranking else { return recommendation }
            let reasons = ranking.reasons.map { reason in
                let shared = favourites[reason.user] ?? model.sharedFavourites(context, neighbour: reason.user, limit: 2,
                                                                               liked: liked)
                favourites[reason.user] = shared
                return reason.sharing(shared)
            }
            return Recommendation(movie: recommendation.movie, score: recommendation.score,
                                  predictedRating: recommendation.predictedRating, explanation: recommendation.explanation,
                                  ranking: ranking.replacing(reasons: reasons))
        }
    }

    /// The rating floor's windows for a list of `count` films from `listable` candidates: the films ranked first
    /// (`2·(count + 4)`) and the most it may examine (`d·(count + 4)`, ``ModelParameters/floorDepth``); without a
    /// floor both are `count`. The one rule of ``accepted(_:query:count:candidates:floor:explanationLimit:predicted:scratch:options:)``
    /// and the batch.
    func floorWindows(count: Int, listable: Int, floored: Bool) -> (first: Int, available: Int) {
        let available = min(max(listable, 0), floored ? model.parameters.floorDepth * (count + 4) : count)
        return (floored ? min(2 * (count + 4), available) : count, available)
    }

    /// Whether a list is finished after predicting a window's films: it has `count` films, or the window was not
    /// filled (no more candidates), or it already covers every film the floor may examine.
    static func listIsDone(chosen: Int, count: Int, ranked: Int, window: Int, available: Int) -> Bool {
        chosen >= count || ranked < window || window >= available
    }

    /// The best films by ranking score whose predicted rating passes `floor`, with their predicted ratings (and,
    /// with `explanationLimit`, their rating explanations with that many neighbours).
    ///
    /// Films are predicted in ranking order, in rounds of as many as are still missing from the list (each round
    /// on the workers of `options`), so a user whose best films pass costs `count` predictions. The top
    /// `2·(count + 4)` films by score are ranked first, and the window grows fourfold when they run out, up to the
    /// best `d·(count + 4)` films (``ModelParameters/floorDepth``): a user for whom fewer pass among those gets a
    /// shorter list (rather than predictions for the whole catalogue). With the rated-film term a larger window re-ranks a larger pool, so
    /// the films not predicted yet are taken in its order; the list is sorted by score at the end.
    ///
    /// `predicted`: unclipped predicted ratings already computed for this user (by film), used instead of
    /// predicting those films again when no explanation is asked for (the batch's lists that need a larger window);
    /// +∞ stands for a film known to pass the floor, whose listed predicted rating is then not its own (the batch
    /// keeps the films alone).
    func accepted(_ context: UserContext, query: RankingQuery, count: Int, candidates: CandidateFilter,
                  floor: RatingFloor, explanationLimit: Int? = nil, predicted cache: [Int: Float] = [:],
                  scratch: inout RankingScratch, options: ParallelOptions)
        -> [(movie: RankedMovie, predicted: Float, explanation: Explanation?)] {
        guard count > 0 else { return [] }
        let threshold = model.ratingThreshold(floor, context: context)
        let listable = candidates.allowed.map { allowed in
            (0..<model.movieCount).filter { allowed[$0] && (candidates.includeRated
                || !context.movies[...].containsSorted(Int32($0))) }.count
        } ?? (candidates.includeRated ? model.movieCount : model.movieCount - context.movies.count)
        let windows = floorWindows(count: count, listable: listable, floored: threshold != nil)
        let available = windows.available
        var window = windows.first
        var chosen: [(movie: RankedMovie, predicted: Float, explanation: Explanation?)] = []
        // Films already predicted. A larger window re-ranks a larger pool (the rated-film term), so its first films
        // need not be the smaller window's: those not predicted yet are taken in the new order.
        var examined = Set<Int>()
        while true {
            let ranked = model.rankedMovies(context, query: query, count: window, candidates: candidates,
                                            scratch: &scratch)
            let fresh = ranked.filter { !examined.contains($0.movie) }
            let known = scratch.movieCosines
            var position = 0
            while chosen.count < count && position < fresh.count {
                let round = Array(fresh[position..<min(fresh.count, position + count - chosen.count)])
                var results = [(rating: Float, explanation: Explanation?)](repeating: (0, nil), count: round.count)
                results.withUnsafeMutableBufferPointer { buffer in
                    let slots = SendablePointer(buffer.baseAddress!)
                    options.forEachTask(round.count) { n in
                        let movie = round[n].movie
                        if explanationLimit == nil, let rating = cache[movie] {
                            slots.base[n] = (rating, nil)
                        } else {
                            let explanation = model.explanation(for: context, movie: movie, limit: explanationLimit ?? 0,
                                                                movieCosines: known[movie])
                            slots.base[n] = (explanation.unclippedRating, explanation)
                        }
                    }
                }
                for (movie, result) in zip(round, results) {
                    let predicted = model.clip(result.rating)
                    if threshold == nil || predicted >= threshold! {
                        chosen.append((movie, predicted, explanationLimit == nil ? nil : result.explanation))
                    }
                }
                examined.formUnion(round.map(\.movie))
                position += round.count
            }
            if Self.listIsDone(chosen: chosen.count, count: count, ranked: ranked.count, window: window,
                               available: available) {
                // Best first (ties: lower index), also when a later window brought a film above earlier ones.
                return chosen.sorted { ($0.movie.score, -$0.movie.movie) > ($1.movie.score, -$1.movie.movie) }
            }
            window = min(window * 4, available)
        }
    }
}

extension ArraySlice where Element == Int32 {
    /// True when `value` is in this ascending slice (binary search).
    func containsSorted(_ value: Int32) -> Bool {
        var (lo, hi) = (startIndex, endIndex)
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < endIndex && self[lo] == value
    }
}
