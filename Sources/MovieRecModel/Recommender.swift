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
/// hence the watch term. Scores come from a precomputed ranking matrix whose films are stored by
/// descending norm, 16 films per SIMD step, with a partial top-N selection that stops as soon as the
/// norm bound of the remaining films falls below the N-th best score (usually after a small part of the
/// catalogue); rating predictions and explanations are computed only for the N returned films.
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
    ///
    /// - Parameter candidates: which films may be listed (``CandidateFilter``: all films the user has not rated by
    ///   default). The filter applies before the top-`count` cut: `count` films that pass it are returned
    ///   whenever that many exist.
    /// - Parameter options: workers of the per-film predictions and explanations (a server answering many
    ///   requests at once passes ``ParallelOptions/serial``); the result does not depend on them.
    /// - Throws: ``ModelError`` `.unknownUser`, or `.invalidData` for a filter mask that is not one flag per film.
    public func topN(_ user: UserReference, count: Int, explain: Bool = false,
                     candidates: CandidateFilter = .unrated, options: ParallelOptions = .default) throws -> [Recommendation] {
        let context = try model.context(user)
        if let allowed = candidates.allowed, allowed.count != model.movieCount {
            throw ModelError(.invalidData, field: "candidates.allowed", value: "\(allowed.count) flags",
                             expected: "one flag per film (\(model.movieCount))")
        }
        let query = model.parameters.ratingScoreWeight == 0 ? context.watch : context.watch + context.latent + [1]
        let skipped: ArraySlice<Int32> = candidates.includeRated ? [] : context.movies[...]
        let chosen = query.withUnsafeBufferPointer { q in
            selectTop(queries: q.baseAddress!, rated: [skipped], count: count, allowed: candidates.allowed)[0]
        }
        // Each film's prediction and explanation is independent: computed on the workers in parallel.
        guard !chosen.isEmpty else { return [] }
        var results = [Recommendation?](repeating: nil, count: chosen.count)
        results.withUnsafeMutableBufferPointer { buffer in
            let slots = SendablePointer(buffer.baseAddress!)
            options.forEachTask(chosen.count) { n in
                let entry = chosen[n]
                let explanation = model.explanation(for: context, movie: entry.movie, limit: explain ? 5 : 0)
                slots.base[n] = Recommendation(movie: entry.movie, score: entry.score,
                                               predictedRating: model.clip(explanation.unclippedRating),
                                               explanation: explain ? explanation : nil)
            }
        }
        return results.map { $0! }
    }
}

/// A film and its ranking score, as listed by ``Recommender/topNForUsers(_:count:options:)``.
public struct RankedMovie: Sendable, Equatable {
    /// The film index.
    public let movie: Int
    /// The ranking score (the same as ``Recommendation/score``).
    public let score: Float
}

extension Recommender {
    /// Users scored together in one task of the batched top-N: their query vectors stay in cache while
    /// the ranking matrix streams past once per block.
    static let batchBlockSize = 512

    /// The top `count` films of every trained user in `users`, best first — the same films and scores as
    /// ``topN(user:count:explain:)`` for each user, but without predicted ratings or explanations and
    /// computed in one batched pass:
    ///
    /// blocks of users × the ranking matrix as a dense product, 2 users × 16 films per SIMD step (every
    /// score summed in the same order as the one-user path, so scores are bit-identical), with a partial
    /// top-N selection per user that only looks at a 16-film step when one of its scores reaches the
    /// user's current N-th best, and that stops for a user once the norm bound of the remaining films
    /// (sorted by norm) is below it. Blocks are spread over `options.threadCount` workers; the result does
    /// not depend on the thread count.
    ///
    /// - Throws: ``ModelError`` `.unknownUser` when `users` is not inside `0..<userCount`.
    public func topNForUsers(_ users: Range<Int>, count: Int, options: ParallelOptions = .default) throws -> [[RankedMovie]] {
        if let first = users.first { try model.checkUser(first, field: "users") }
        if let last = users.last { try model.checkUser(last, field: "users") }
        let panels = model.rankingMatrix
        let width = panels.columns
        let blockSize = Self.batchBlockSize
        let blockCount = (users.count + blockSize - 1) / blockSize
        var lists = [[RankedMovie]](repeating: [], count: users.count)
        lists.withUnsafeMutableBufferPointer { output in
            let slots = output.baseAddress!
            options.forEachTask(blockCount) { block in
                let first = users.lowerBound + block * blockSize
                let members = first..<min(first + blockSize, users.upperBound)
                var queries = [Float](repeating: 0, count: members.count * width)
                for (j, u) in members.enumerated() {
                    for (c, x) in rankingQuery(user: u).enumerated() { queries[j * width + c] = x }
                }
                let rated = members.map { model.ratings.byUser.columnIndices[model.ratings.userRange($0)] }
                let selected = queries.withUnsafeBufferPointer { selectTop(queries: $0.baseAddress!, rated: rated, count: count) }
                for (j, list) in selected.enumerated() { (slots + block * blockSize + j).pointee = list }
            }
        }
        return lists
    }

    /// ``topNForUsers(_:count:options:)`` for every trained user.
    public func topNForAllUsers(count: Int, options: ParallelOptions = .default) -> [[RankedMovie]] {
        // Every index in 0..<userCount is a valid user, so this cannot throw.
        (try? topNForUsers(0..<model.userCount, count: count, options: options)) ?? []
    }

    /// `[y_u | p_u | 1]` (only `y_u` when γ = 0): the query whose products with the ranking matrix rows
    /// are the ranking scores.
    private func rankingQuery(user u: Int) -> [Float] {
        let watch = Array(model.watchFactors.userVectors.row(u))
        return model.parameters.ratingScoreWeight == 0 ? watch : watch + Array(model.factors.userVectors.row(u)) + [1]
    }

    /// The top `count` unrated films for each of `rated.count` users: user k's query is row k of `queries`
    /// and `rated[k]` lists the films they rated, ascending (skipped), as are films whose `allowed` flag is false.
    ///
    /// The ranking matrix holds the films by descending norm, so `‖x_u‖·panelNorms[p]` bounds every score
    /// user u can get from panel p onwards: once it falls below the user's N-th best score the user is
    /// done (the bound gets a 10⁻⁴ relative margin for rounding, far above a 40-term float dot's error).
    /// Films come in norm order, not index order, so a score equal to the N-th best is still offered and
    /// ``TopSelection`` applies the lower-index tie rule.
    private func selectTop(queries: UnsafePointer<Float>, rated: [ArraySlice<Int32>], count: Int,
                           allowed: [Bool]? = nil) -> [[RankedMovie]] {
        let panels = model.rankingMatrix
        let width = panels.columns
        let members = 0..<rated.count
        var selections = members.map { _ in TopSelection(capacity: count) }
        var thresholds = [Float?](repeating: nil, count: members.count)
        let queryNorms = (0..<members.count).map { j in
            dot(UnsafeBufferPointer(start: queries + j * width, count: width),
                UnsafeBufferPointer(start: queries + j * width, count: width)).squareRoot() * 1.0001
        }
        var done = [Bool](repeating: false, count: members.count)
        var remaining = members.count
        var p = 0
        while p < panels.panelCount && remaining > 0 {
            let bound = panels.panelNorms[p]
            var g = 0
            while g < members.count {
                let n = min(2, members.count - g)
                var active = false
                for k in g..<(g + n) where !done[k] {
                    if let threshold = thresholds[k], queryNorms[k] * bound < threshold {
                        done[k] = true
                        remaining -= 1
                    } else {
                        active = true
                    }
                }
                guard active else {
                    g += n
                    continue
                }
                let scores = panels.scorePanel(p, queries: QueryBlock(base: queries + g * width, stride: width, count: n))
                for j in 0..<n where !done[g + j] {
                    let lane = j == 0 ? scores.0 : scores.1
                    let k = g + j
                    if let threshold = thresholds[k], !any(lane .>= threshold) { continue }
                    for l in 0..<16 {
                        let slot = p * 16 + l
                        guard slot < panels.rows else { break }
                        if let threshold = thresholds[k], !(lane[l] >= threshold) { continue }
                        let movie = Int(panels.order[slot])
                        if rated[k].containsSorted(Int32(movie)) { continue }
                        if let allowed, !allowed[movie] { continue }
                        selections[k].offer(score: lane[l], index: movie)
                        thresholds[k] = selections[k].threshold
                    }
                }
                g += n
            }
            p += 1
        }
        return selections.map { selection in selection.sorted().map { RankedMovie(movie: $0.index, score: $0.score) } }
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
