import MovieRecNumerics

/// The neighbour index of the ranking attention: for every trained user, the K_r other users with the
/// largest cosine between unit watch vectors `(y_u ⊙ f)/‖y_u ⊙ f‖` (f = the spectral filter
/// `(σ_c/σ₁)^ρ` of ``WatchFactors``), best first (ties: lower index). Built once in `train` by block products
/// and a partial top-K selection (``NeighbourSearch``: exact for small sets, clustered for large); saved with
/// the model.
public struct RankingNeighbourIndex: Sendable, Equatable {
    /// Neighbours per user: `min(K_r, users − 1)`.
    public let width: Int
    /// `users × width` neighbour indices, row u = user u's neighbours, best first.
    public let users: [Int32]
    /// The cosines parallel to ``users``.
    public let cosines: [Float]

    /// Creates an index from its arrays (`users.count == cosines.count`, a multiple of `width`).
    public init(width: Int, users: [Int32], cosines: [Float]) {
        precondition(users.count == cosines.count, "RankingNeighbourIndex: \(users.count) users, \(cosines.count) cosines")
        self.width = width
        self.users = users
        self.cosines = cosines
    }

    /// The number of neighbours kept per user for `userCount` users and K_r = `count`.
    public static func width(count: Int, userCount: Int) -> Int { max(0, min(count, userCount - 1)) }

    /// Finds the `count` nearest users of every row of `keys` (see the type's description): exactly up to
    /// ``NeighbourSearch/exactLimit`` users, through seeded clusters beyond (``NeighbourSearch``).
    static func build(keys: RankingKeys, count: Int, seed: UInt64,
                      options: ParallelOptions = .default) -> RankingNeighbourIndex {
        let width = width(count: count, userCount: keys.unit.rows)
        guard width > 0 else { return RankingNeighbourIndex(width: 0, users: [], cosines: []) }
        let search = NeighbourSearch(unit: keys.unit, seed: seed, options: options)
        let (users, cosines) = search.nearest(width, options: options)
        return RankingNeighbourIndex(width: width, users: users, cosines: cosines)
    }
}

extension TrainedModel {
    /// The share of every user's true K_r nearest users (exact search) that the saved neighbour index holds,
    /// over `sample` users spread evenly: 1 when the index was built exactly, below 1 when through clusters
    /// (``NeighbourSearch``). Costs `sample × users` cosines; for the benchmark.
    public func rankingNeighbourRecall(sample: Int) -> Double {
        NeighbourSearch.recall(of: rankingNeighbours.users, count: rankingNeighbours.width, unit: rankingKeys.unit,
                               sample: sample)
    }

    /// The share of the true K_r nearest users of a new user that the walk on the neighbour index finds
    /// (``NeighbourSearch/nearest(_:toKey:unit:neighbours:width:exactLimit:sample:expand:)``), with the keys of
    /// `sample` trained users spread evenly taken as new users' keys: 1 when every user is compared.
    public func newUserNeighbourRecall(sample: Int) -> Double {
        let (n, width) = (userCount, rankingNeighbours.width)
        guard n > 0, width > 0, sample > 0 else { return 1 }
        let d = rankingKeys.unit.columns
        var (hits, total) = (0, 0)
        var buffer = [Float](repeating: 0, count: rankingKeys.stride)
        for t in 0..<min(sample, n) {
            let u = t * n / min(sample, n)
            let key = Array(rankingKeys.unit.values[(u * d)..<((u + 1) * d)])
            guard let walk = NeighbourSearch.nearest(width, toKey: key, unit: rankingKeys.unit,
                                                     neighbours: rankingNeighbours.users, width: width) else { return 1 }
            let exact = key.withUnsafeBufferPointer { rankingKeys.nearest(width, to: $0.baseAddress!, excluding: nil,
                                                                          scratch: &buffer) }
            hits += Set(exact.map(\.index)).intersection(walk.map(\.index)).count
            total += width
        }
        return Double(hits) / Double(total)
    }
}

/// The keys of the ranking attention: unit watch vectors of every trained user, row-major and transposed
/// (`k_w` rows of `stride` floats) for one-pass cosines of a query against all users.
struct RankingKeys: Sendable {
    /// `users × k_w` unit rows of `y ⊙ f`.
    let unit: DenseMatrix
    /// `unit` transposed, each row padded to ``stride`` (a multiple of 16).
    let transposed: [Float]
    /// Row length of ``transposed``.
    let stride: Int
    /// The spectral filter f.
    let filter: [Float]

    init(watch: WatchFactors, spectralExponent: Float) {
        filter = watch.spectralWeights(exponent: spectralExponent)
        var filtered = watch.userVectors
        let kw = filtered.columns
        for r in 0..<filtered.rows { for c in 0..<kw { filtered.values[r * kw + c] *= filter[c] } }
        unit = filtered.rowsNormalized()
        let n = unit.rows
        stride = (n + 15) / 16 * 16
        var t = [Float](repeating: 0, count: kw * stride)
        for r in 0..<n { for c in 0..<kw { t[c * stride + r] = unit.values[r * kw + c] } }
        transposed = t
    }

    /// The unit key of a watch vector `y` (zero stays zero).
    func key(watch y: [Float]) -> [Float] {
        let filtered = zip(y, filter).map { $0 * $1 }
        let norm = dot(filtered, filtered).squareRoot()
        return norm > 0 ? filtered.map { $0 / norm } : filtered
    }

    /// The `count` users with the largest cosine to the unit `key`, never `excluded`; `scratch` holds ``stride``
    /// floats.
    func nearest(_ count: Int, to key: UnsafePointer<Float>, excluding excluded: Int?,
                 scratch: inout [Float]) -> [TopSelection.Entry] {
        let n = unit.rows
        var selection = TopSelection(capacity: count)
        scratch.withUnsafeMutableBufferPointer { scores in
            let out = scores.baseAddress!
            out.update(repeating: 0, count: stride)
            transposed.withUnsafeBufferPointer { rows in
                weightedRowSum(coefficients: key, count: unit.columns, rows: rows.baseAddress!, stride: stride, output: out)
            }
            for v in 0..<n where v != excluded {
                let score = out[v]
                if let threshold = selection.threshold, !(score > threshold) { continue }
                selection.offer(score: score, index: v)
            }
        }
        return selection.sorted()
    }
}

/// One neighbour's part in a film's ranking score: a similar user who rated the film.
public struct RankingContribution: Sendable, Equatable {
    /// The neighbour user (trained index).
    public let user: Int
    /// Its attention weight.
    public let weight: Float
    /// Its cosine to the user (unit watch vectors).
    public let cosine: Float
    /// The neighbour's rating of the film.
    public let rating: Float
    /// The value attended to: that rating over the neighbour's own mean rating.
    public let value: Float
    /// Its contribution to the ranking score, `(λ/Ā)·weight·value`.
    public let contribution: Float
    /// Films both the user and the neighbour rated at or above their own means, the strongest tie first (at most 2).
    public let sharedFavourites: [Int]
}

/// How a film's ranking score is made (see ``Recommender``).
public struct RankingBreakdown: Sendable, Equatable {
    /// The attention part `λ·A_i/Ā` (the sum of every neighbour's contribution).
    public let attention: Float
    /// The watch part `(1 − λ)·W_i/W̄`.
    public let watch: Float
    /// The supporting neighbours with the largest contributions, largest first.
    public let reasons: [RankingContribution]
    /// How many attended neighbours rated the film (all of them contribute to ``attention``).
    public let supporters: Int

    /// `attention + watch`, the ranking score.
    public var score: Float { attention + watch }

    /// The share of the pick that `reason` brings: its contribution over `attention + max(watch, 0)` (the positive
    /// evidence for the film), so the shares of all supporting neighbours add up to at most 1.
    public func share(of reason: RankingContribution) -> Float {
        let positive = attention + max(watch, 0)
        return positive > 0 ? reason.contribution / positive : 0
    }

    /// The share of the pick that all supporting neighbours bring together (the attention part's share).
    public var attentionShare: Float {
        let positive = attention + max(watch, 0)
        return positive > 0 ? attention / positive : 0
    }
}

/// Which predicted ratings `recommend` accepts.
public enum RatingFloor: Sendable, Equatable {
    /// A film predicted below `max(user's mean rating, μ) − m` (m = ``ModelParameters/predictedRatingMargin``)
    /// is not recommended; the user's mean is `μ + b_u` with a baseline (the plain mean without one).
    case automatic
    /// A film predicted below this rating is not recommended.
    case minimum(Float)
    /// Every film may be recommended.
    case off
}

/// Everything the ranking score of one user needs: the attended neighbours and the two scale factors.
struct RankingQuery {
    /// The neighbours (trained indices), best first.
    let neighbours: [Int]
    /// Their cosines.
    let cosines: [Float]
    /// Their attention weights (softmax with the null key).
    let weights: [Float]
    /// `λ/Ā` (0 when Ā ≤ 0 or λ = 0).
    let attentionScale: Float
    /// `(1 − λ)/W̄` (0 when W̄ ≤ 0 or λ = 1).
    let watchScale: Float
    /// y_u.
    let watch: [Float]
}

/// Reusable per-worker arrays of the ranking: one attention accumulator per film and the films touched.
struct RankingScratch {
    var attention: [Float]
    var touched: [Bool]
    var list: [Int32] = []
    /// True while `attention` holds the sums of the last ``TrainedModel/rankingQuery(_:scratch:)``.
    var accumulated = false

    init(movieCount: Int) {
        attention = [Float](repeating: 0, count: movieCount)
        touched = [Bool](repeating: false, count: movieCount)
    }
}

extension TrainedModel {
    /// The value a neighbour's rating brings: the rating over the neighbour's own mean rating (0 when that
    /// mean is not positive).
    @inline(__always)
    func rankingValue(_ rating: Float, of user: Int) -> Float {
        let mean = userMeanRating[user]
        return mean > 0 ? rating / mean : 0
    }

    /// The attended neighbours of a user and the two scale factors `λ/Ā`, `(1 − λ)/W̄`, where Ā and W̄ are the
    /// means of the attention sum and of the watch score over the films the user rated.
    func rankingQuery(_ context: UserContext, scratch: inout RankingScratch) -> RankingQuery {
        let index = rankingNeighbours
        var neighbours: [Int] = []
        var cosines: [Float] = []
        if let u = context.trainedIndex {
            let row = (u * index.width)..<((u + 1) * index.width)
            neighbours = index.users[row].map(Int.init)
            cosines = Array(index.cosines[row])
        } else {
            let key = rankingKeys.key(watch: context.watch)
            var buffer = [Float](repeating: 0, count: rankingKeys.stride)
            // Many users: a walk on the saved neighbour table (NeighbourSearch); few: every user compared.
            let best = NeighbourSearch.nearest(index.width, toKey: key, unit: rankingKeys.unit, neighbours: index.users,
                                               width: index.width)
                ?? key.withUnsafeBufferPointer { rankingKeys.nearest(index.width, to: $0.baseAddress!, excluding: nil,
                                                                     scratch: &buffer) }
            neighbours = best.map(\.index)
            cosines = best.map(\.score)
        }
        let weights = rankingScorer.weights(cosines: cosines).weights
        let lambda = parameters.attentionRankingWeight
        // Ā: the attention sums of the user's own films. The sums stay in `scratch` for `rankedMovies`.
        clear(&scratch)
        accumulateAttention(neighbours: neighbours, weights: weights, scratch: &scratch)
        scratch.accumulated = true
        var ownAttention: Float = 0
        for movie in context.movies { ownAttention += scratch.attention[Int(movie)] }
        let ownWatch = gatheredDots(context.watch, rowsOf: rankingMovieVectors, at: context.movies).reduce(0, +)
        let n = Float(max(context.movies.count, 1))
        let (meanAttention, meanWatch) = (ownAttention / n, ownWatch / n)
        return RankingQuery(neighbours: neighbours, cosines: cosines, weights: weights,
                            attentionScale: lambda > 0 && meanAttention > 0 ? lambda / meanAttention : 0,
                            watchScale: lambda < 1 && meanWatch > 0 ? (1 - lambda) / meanWatch : 0,
                            watch: context.watch)
    }

    /// `scratch.attention[i] = Σ_v w_v·value(r_vi)` over the neighbours v who rated i, added in neighbour order;
    /// the films touched are listed (ascending within each neighbour's row, first touch order overall).
    func accumulateAttention(neighbours: [Int], weights: [Float], scratch: inout RankingScratch) {
        let byUser = ratings.byUser
        for (v, w) in zip(neighbours, weights) {
            let mean = userMeanRating[v]
            guard mean > 0 else { continue }
            let scale = w / mean
            for p in ratings.userRange(v) {
                let i = Int(byUser.columnIndices[p])
                if !scratch.touched[i] {
                    scratch.touched[i] = true
                    scratch.list.append(Int32(i))
                }
                scratch.attention[i] += scale * byUser.values[p]
            }
        }
    }

    /// Resets the films touched by ``accumulateAttention(neighbours:weights:scratch:)``.
    func clear(_ scratch: inout RankingScratch) {
        for i in scratch.list {
            scratch.attention[Int(i)] = 0
            scratch.touched[Int(i)] = false
        }
        scratch.list.removeAll(keepingCapacity: true)
        scratch.accumulated = false
    }

    /// The `count` films passing `filter` (by default: not rated) with the best ranking scores
    /// `λ·A_i/Ā + (1 − λ)·W_i/W̄`, best first (ties: lower index).
    ///
    /// `scratch` holds the attention sums of `query` (left by ``rankingQuery(_:scratch:)``, or accumulated here
    /// when cleared). Films some neighbour rated are scored exactly; every other film has only the watch part, scanned
    /// by descending norm of its watch row until `‖y_u‖·norm·(1 − λ)/W̄` falls below the `count`-th best score.
    func rankedMovies(_ context: UserContext, query: RankingQuery, count: Int, candidates filter: CandidateFilter = .unrated,
                      scratch: inout RankingScratch) -> [RankedMovie] {
        var selection = TopSelection(capacity: count)
        guard count > 0 else { return [] }
        if !scratch.accumulated {
            accumulateAttention(neighbours: query.neighbours, weights: query.weights, scratch: &scratch)
            scratch.accumulated = true
        }
        /// Whether film `movie` may not be listed (rated, unless asked for, or left out by the mask).
        func excluded(_ movie: Int) -> Bool {
            (!filter.includeRated && context.movies[...].containsSorted(Int32(movie)))
                || (filter.allowed.map { !$0[movie] } ?? false)
        }
        let candidates = scratch.list.filter { !excluded(Int($0)) }
        let watchScores = query.watchScale == 0 ? [Float](repeating: 0, count: candidates.count)
                                                : gatheredDots(query.watch, rowsOf: rankingMovieVectors, at: candidates)
        for (movie, watch) in zip(candidates, watchScores) {
            let i = Int(movie)
            selection.offer(score: query.attentionScale * scratch.attention[i] + query.watchScale * watch, index: i)
        }
        let panels = rankingMatrix
        if query.watchScale > 0 {
            let norm = dot(query.watch, query.watch).squareRoot() * 1.0001 * query.watchScale
            query.watch.withUnsafeBufferPointer { q in
                let block = QueryBlock(base: q.baseAddress!, stride: panels.columns, count: 1)
                for p in 0..<panels.panelCount {
                    if let threshold = selection.threshold, norm * panels.panelNorms[p] < threshold { break }
                    let scores = panels.scorePanel(p, queries: block).0
                    for l in 0..<16 {
                        let slot = p * 16 + l
                        guard slot < panels.rows else { break }
                        let movie = Int(panels.order[slot])
                        if scratch.touched[movie] || excluded(movie) { continue }
                        selection.offer(score: query.watchScale * scores[l], index: movie)
                    }
                }
            }
        } else if selection.threshold == nil || selection.threshold! <= 0 {
            // Attention alone: films no neighbour rated all score 0.
            for movie in 0..<movieCount where !scratch.touched[movie] && !excluded(movie) {
                if let threshold = selection.threshold, !(0 > threshold) { break }
                selection.offer(score: 0, index: movie)
            }
        }
        return selection.sorted().map { RankedMovie(movie: $0.index, score: $0.score) }
    }

    /// The breakdown of film `movie`'s ranking score for the user: both parts and the `limit` supporting
    /// neighbours with the largest contributions.
    func rankingBreakdown(_ context: UserContext, query: RankingQuery, movie i: Int, limit: Int) -> RankingBreakdown {
        var attention: Float = 0
        var contributions: [RankingContribution] = []
        let byUser = ratings.byUser
        for (t, v) in query.neighbours.enumerated() {
            let range = ratings.userRange(v)
            let row = byUser.columnIndices[range]
            guard let position = row.sortedIndex(of: Int32(i)) else { continue }
            let rating = byUser.values[position]
            let mean = userMeanRating[v]
            guard mean > 0 else { continue }
            let term = query.weights[t] / mean * rating
            attention += term
            let contribution = query.attentionScale * term
            guard contribution > 0 else { continue }
            contributions.append(RankingContribution(user: v, weight: query.weights[t], cosine: query.cosines[t],
                                                     rating: rating, value: rating / mean, contribution: contribution,
                                                     sharedFavourites: []))
        }
        let watch = query.watchScale == 0 ? 0 : query.watchScale * rankingMovieVectors.withRow(i) { row in
            query.watch.withUnsafeBufferPointer { dot($0, row) }
        }
        var strongest = TopSelection(capacity: limit)
        for (position, reason) in contributions.enumerated() { strongest.offer(score: reason.contribution, index: position) }
        let reasons = strongest.sorted().map { entry -> RankingContribution in
            let reason = contributions[entry.index]
            return RankingContribution(user: reason.user, weight: reason.weight, cosine: reason.cosine,
                                       rating: reason.rating, value: reason.value, contribution: reason.contribution,
                                       sharedFavourites: sharedFavourites(context, neighbour: reason.user, limit: 2))
        }
        return RankingBreakdown(attention: query.attentionScale * attention, watch: watch, reasons: reasons,
                                supporters: contributions.count)
    }

    /// Films both the user and `neighbour` rated at or above their own mean ratings, by the smaller of the two
    /// ratings over the mean, highest first (ties: lower index).
    func sharedFavourites(_ context: UserContext, neighbour v: Int, limit: Int) -> [Int] {
        let userMean = context.ratings.isEmpty ? 0 : context.ratings.reduce(0, +) / Float(context.ratings.count)
        let neighbourMean = userMeanRating[v]
        let range = ratings.userRange(v)
        let (movies, values) = (ratings.byUser.columnIndices[range], ratings.byUser.values[range])
        var selection = TopSelection(capacity: limit)
        var (a, b) = (0, movies.startIndex)
        while a < context.movies.count && b < movies.endIndex {
            if context.movies[a] < movies[b] { a += 1 } else if context.movies[a] > movies[b] { b += 1 } else {
                let (mine, theirs) = (context.ratings[a], values[b])
                if mine >= userMean && theirs >= neighbourMean && userMean > 0 && neighbourMean > 0 {
                    selection.offer(score: min(mine / userMean, theirs / neighbourMean), index: Int(movies[b]))
                }
                a += 1
                b += 1
            }
        }
        return selection.sorted().map(\.index)
    }

    /// The user's mean rating as the model sees it: `μ + b_u` (the regularised bias, so a user with three 5-star
    /// ratings is not taken to rate everything 5) with a baseline, the plain mean of their ratings without one.
    func userMean(_ context: UserContext) -> Float {
        if parameters.baselineMode == .bias { return baseline.globalMean + context.bias }
        return context.ratings.isEmpty ? 0 : context.ratings.reduce(0, +) / Float(context.ratings.count)
    }

    /// The rating below which `floor` rejects a film for the user (`nil`: none).
    func ratingThreshold(_ floor: RatingFloor, context: UserContext) -> Float? {
        switch floor {
        case .off: return nil
        case .minimum(let value): return value
        case .automatic:
            return max(userMean(context), baseline.globalMean) - parameters.predictedRatingMargin
        }
    }
}

extension ArraySlice where Element == Int32 {
    /// The position of `value` in this ascending slice, or `nil` (binary search).
    func sortedIndex(of value: Int32) -> Int? {
        var (lo, hi) = (startIndex, endIndex)
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < endIndex && self[lo] == value ? lo : nil
    }
}
