import Foundation
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

/// One rated film's part in a film's ranking score: a film the user rated, attended to from the candidate.
public struct RatedMovieContribution: Sendable, Equatable {
    /// The film the user rated.
    public let movie: Int
    /// Its attention weight (softmax of `√k·cos/τ_m` with the null key).
    public let weight: Float
    /// Its cosine to the candidate (unit rows of `V_k·S_k^e`).
    public let cosine: Float
    /// The user's rating of it.
    public let rating: Float
    /// The value attended to: that rating over the user's own mean rating.
    public let value: Float
    /// Its contribution to the ranking score, `(λ_m/Ī)·weight·value`.
    public let contribution: Float
}

/// How a film's ranking score is made (see ``Recommender``).
public struct RankingBreakdown: Sendable, Equatable {
    /// The neighbour attention part `(1 − λ_m)·λ·A_i/Ā` (the sum of every neighbour's contribution).
    public let attention: Float
    /// The watch part `(1 − λ_m)·(1 − λ)·W_i/W̄`.
    public let watch: Float
    /// The rated-film attention part `λ_m·I_i/Ī` (the sum of every rated film's contribution; 0 when λ_m = 0).
    public let ratedMovies: Float
    /// The supporting neighbours with the largest contributions, largest first.
    public let reasons: [RankingContribution]
    /// The rated films with the largest contributions, largest first.
    public let movieReasons: [RatedMovieContribution]
    /// How many attended neighbours rated the film (all of them contribute to ``attention``).
    public let supporters: Int

    /// `attention + watch + ratedMovies`, the ranking score.
    public var score: Float { attention + watch + ratedMovies }

    /// The positive evidence for the film: `attention + ratedMovies + max(watch, 0)`.
    private var positive: Float { attention + ratedMovies + max(watch, 0) }

    /// The share of the pick that `reason` brings: its contribution over `attention + ratedMovies + max(watch, 0)`
    /// (the positive evidence for the film), so the shares of all reasons add up to at most 1.
    public func share(of reason: RankingContribution) -> Float {
        positive > 0 ? reason.contribution / positive : 0
    }

    /// The share of the pick that a rated film brings (over the same positive evidence as ``share(of:)-1v0gq``).
    public func share(of reason: RatedMovieContribution) -> Float {
        positive > 0 ? reason.contribution / positive : 0
    }

    /// The share of the pick that all supporting neighbours bring together (the attention part's share).
    public var attentionShare: Float {
        positive > 0 ? attention / positive : 0
    }

    /// The share of the pick that the user's own rated films bring together (the rated-film part's share).
    public var ratedMovieShare: Float {
        positive > 0 ? ratedMovies / positive : 0
    }
}

extension RankingContribution {
    /// This contribution with `favourites` as its shared favourites.
    func sharing(_ favourites: [Int]) -> RankingContribution {
        RankingContribution(user: user, weight: weight, cosine: cosine, rating: rating, value: value,
                            contribution: contribution, sharedFavourites: favourites)
    }
}

extension RankingBreakdown {
    /// This breakdown with other `reasons` (the same contributions, e.g. with their shared favourites found).
    func replacing(reasons: [RankingContribution]) -> RankingBreakdown {
        RankingBreakdown(attention: attention, watch: watch, ratedMovies: ratedMovies, reasons: reasons,
                         movieReasons: movieReasons, supporters: supporters)
    }
}

/// The films a user rated at or above their plain mean rating, for finding shared favourites with many neighbours.
struct LikedMovies {
    /// The user's plain mean rating.
    let mean: Float
    /// One entry per film: the user's rating over ``mean`` for the films rated at or above it, −1 for every other.
    let scores: [Float]
}

/// Which predicted ratings `recommend` accepts.
public enum RatingFloor: Sendable, Equatable {
    /// A film predicted below `max(user's mean rating, μ) − m·w` (m = ``ModelParameters/predictedRatingMargin``,
    /// w the width of the model's rating scale, ``TrainedModel/ratingRange``) is not recommended; the user's mean
    /// is `μ + b_u` with a baseline (the plain mean without one).
    case automatic
    /// A film predicted below this rating is not recommended.
    case minimum(Float)
    /// Every film may be recommended.
    case off
}

/// Everything the ranking score of one user needs: the attended neighbours, the rated films' values and the
/// three scale factors.
struct RankingQuery {
    /// The neighbours (trained indices), best first.
    let neighbours: [Int]
    /// Their cosines.
    let cosines: [Float]
    /// Their attention weights (softmax with the null key).
    let weights: [Float]
    /// `(1 − λ_m)·λ/Ā` (0 when Ā ≤ 0 or λ = 0).
    let attentionScale: Float
    /// `(1 − λ_m)·(1 − λ)/W̄` (0 when W̄ ≤ 0 or λ = 1).
    let watchScale: Float
    /// y_u.
    let watch: [Float]
    /// `λ_m/Ī` (0 when Ī ≤ 0 or λ_m = 0: no re-ranking).
    let movieScale: Float
    /// The values of the rated-film attention, parallel to the user's films: each rating over the user's mean.
    let movieValues: [Float]
    /// How many films the rated-film attention re-ranks at least (M).
    let depth: Int
}

/// Reusable arrays of the rated-film attention, one entry per film the user rated.
struct RatedMovieWork {
    /// Cosines of the candidate to each rated film.
    var cosines: [Float] = []
    /// Their attention weights.
    var weights: [Float] = []

    /// Makes room for `count` films (the arrays only grow).
    mutating func resize(_ count: Int) {
        guard cosines.count < count else { return }
        cosines = [Float](repeating: 0, count: count)
        weights = [Float](repeating: 0, count: count)
    }
}

/// Reusable per-worker arrays of the ranking: one attention accumulator per film, and the rated-film attention's
/// arrays.
struct RankingScratch {
    /// The attention sums; a film no neighbour rated holds the untouched mark −0.0 (``isTouched(_:)``).
    var attention: [Float]
    /// True while `attention` holds the sums of the last ``TrainedModel/rankingQuery(_:scratch:)`` (set by
    /// ``TrainedModel/accumulateAttention(neighbours:weights:scratch:)``; until then every sum is the untouched mark).
    var accumulated = false
    /// One flag per film: true for the films of the user being ranked (``marked``), so the ranking's "not rated"
    /// test is one load instead of a binary search of the user's films per candidate.
    var rated: [Bool]
    /// The films flagged in ``rated``.
    var marked: [Int32] = []
    var movies = RatedMovieWork()
    /// The ranking's candidates in film order and their bounds (``boundedCandidates(attention:rated:allowed:norms:scale:reach:count:indices:bounds:)``).
    var candidateIndices: [Int32]
    var candidateBounds: [Float]
    /// How many of ``candidateIndices`` the last ranking wrote.
    var candidateCount = 0
    /// True when every film whose sum was touched is among the candidates or in ``marked`` (a ranking without a
    /// mask of allowed films ran on the current sums), so ``TrainedModel/clear(_:)`` resets those entries only.
    var candidatesCoverTouched = false
    /// The cosines of each film the rated-film attention re-ranked to the user's films (parallel to them), kept
    /// for the same user's predictions and breakdowns, which need the same cosines.
    var movieCosines: [Int: ArraySlice<Float>] = [:]

    init(movieCount: Int) {
        attention = [Float](repeating: untouchedSum, count: movieCount)
        rated = [Bool](repeating: false, count: movieCount)
        candidateIndices = [Int32](repeating: 0, count: movieCount)
        candidateBounds = [Float](repeating: 0, count: movieCount)
    }
}

/// Ranking scratches kept for reuse: a scratch holds several arrays of one entry per film (about 1 MB at 62,500
/// films), and allocating them per request means fresh pages zeroed by the kernel every time. Each model has one
/// pool; a scratch taken is cleared by ``TrainedModel/rankingQuery(_:scratch:)`` before use, so a list does not
/// depend on which scratch it got.
final class RankingScratchPool: @unchecked Sendable {
    private let lock = NSLock()
    private var free: [RankingScratch] = []
    /// At most this many idle scratches are kept.
    private let limit = 16

    /// A scratch for `movieCount` films: an idle one, or a new one.
    func take(movieCount: Int) -> RankingScratch {
        let idle = lock.withLock { free.popLast() }
        guard let idle, idle.attention.count == movieCount else { return RankingScratch(movieCount: movieCount) }
        return idle
    }

    /// Hands `scratch` back for reuse (dropped when `limit` are idle already).
    func give(_ scratch: RankingScratch) {
        lock.withLock { if free.count < limit { free.append(scratch) } }
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
        var ownAttention: Float = 0
        for movie in context.movies { ownAttention += scratch.attention[Int(movie)] }
        let n = Float(max(context.movies.count, 1))
        let meanAttention = ownAttention / n
        let share = parameters.movieRankingWeight
        let values = movieValues(context)
        // W̄ and Ī: saved with the model for a trained user, computed here for a folded-in one.
        let (meanWatch, meanMovies) = context.trainedIndex.map { (rankingNormalizers.meanWatch[$0], rankingNormalizers.meanMovies[$0]) }
            ?? (meanWatch(context), share > 0 ? meanMovieAttention(context, values: values, work: &scratch.movies) : 0)
        let movieScale = share > 0 && meanMovies > 0 ? share / meanMovies : 0
        // Without the rated-film term the other two keep their whole shares.
        let rest: Float = movieScale > 0 ? 1 - share : 1
        return RankingQuery(neighbours: neighbours, cosines: cosines, weights: weights,
                            attentionScale: lambda > 0 && meanAttention > 0 ? rest * lambda / meanAttention : 0,
                            watchScale: lambda < 1 && meanWatch > 0 ? rest * (1 - lambda) / meanWatch : 0,
                            watch: context.watch, movieScale: movieScale, movieValues: values,
                            depth: parameters.movieRankingDepth)
    }

    /// The values of the user's attended films in the rated-film attention: each rating over the user's mean
    /// rating (all 0 when that mean is not positive).
    func movieValues(_ context: UserContext) -> [Float] {
        let userMean = context.ratings.isEmpty ? 0 : context.ratings.reduce(0, +) / Float(context.ratings.count)
        return userMean > 0 ? context.keyRatings.map { $0 / userMean } : context.keyRatings.map { _ in 0 }
    }

    /// W̄: the mean watch score of the films the user rated (0 without any).
    func meanWatch(_ context: UserContext) -> Float {
        let ownWatch = gatheredDots(context.watch, rowsOf: rankingMovieVectors, at: context.movies).reduce(0, +)
        return ownWatch / Float(max(context.movies.count, 1))
    }

    /// Ī: the mean rated-film attention of the user's own films (each without itself), on at most
    /// ``movieMeanSample`` of them, evenly spaced (0 without attended films). `values` are ``movieValues(_:)``.
    func meanMovieAttention(_ context: UserContext, values: [Float], work: inout RatedMovieWork) -> Float {
        guard !context.keyMovies.isEmpty else { return 0 }
        let sample = min(context.keyMovies.count, Self.movieMeanSample)
        var total: Float = 0
        let picks = evenlySpacedPositions(context.keyMovies.count, keep: sample).map { Int(context.keyMovies[$0]) }
        for (j, cosines) in zip(picks, ratedMovieCosines(context, movies: picks)) {
            total += ratedMovieAttention(context, values: values, movie: j, work: &work, cosines: cosines)
        }
        return total / Float(sample)
    }

    /// Films scored exactly at a time by the ranking's second pass, between updates of the cut: small enough for the
    /// cut to rise often, large enough for the gathered rows to be fetched ahead.
    static var exactChunk: Int { 32 }

    /// At most this many of the user's films are scored to take Ī, the mean of the rated-film attention over
    /// the user's own films (a user with more is sampled evenly): it bounds that cost to 16·n_u cosines. On the
    /// validation splits 8, 16, 32, 64 and every film gave the same nDCG@10 (0.1909–0.1910).
    static var movieMeanSample: Int { 16 }

    /// The cosines of each film in `movies` to each film the user rated (unit rows of `V_k·S_k^e`, parallel to the
    /// user's films): the same values as ``ratedMovieAttention(_:values:movie:work:cosines:)`` computes without
    /// them, with the user's film rows read from memory once for all of `movies` (``gatheredDots(queries:dimension:rows:rowIndices:output:)``).
    func ratedMovieCosines(_ context: UserContext, movies: [Int]) -> [ArraySlice<Float>] {
        let (n, k) = (context.keyMovies.count, factors.rank)
        guard !movies.isEmpty else { return [] }
        guard n > 0 else { return movies.map { _ in [] } }
        var output = [Float](repeating: 0, count: movies.count * n)
        factors.unitMovieVectors.values.withUnsafeBufferPointer { all in
            var queries = [Float]()
            queries.reserveCapacity(movies.count * k)
            for i in movies { queries.append(contentsOf: all[(i * k)..<((i + 1) * k)]) }
            queries.withUnsafeBufferPointer { q in
                context.keyMovies.withUnsafeBufferPointer { picks in
                    output.withUnsafeMutableBufferPointer { out in
                        gatheredDots(queries: q, dimension: k, rows: all, rowIndices: picks, output: out)
                    }
                }
            }
        }
        return (0..<movies.count).map { output[($0 * n)..<(($0 + 1) * n)] }
    }

    /// The rated-film attention of film `i` for the user: `I_i = Σ_j w_j·values_j` over the films j ≠ i the user
    /// rated, with `w = softmax(0, √k·cos(i, j₁)/τ_m, …)` (the 0 is the null key, value 0; the largest logit is
    /// subtracted before exponentiating) and cosines between unit rows of `V_k·S_k^e`. Returns the
    /// sum; `work` holds, parallel to the user's films, the cosines and weights (i itself, when rated, gets weight 0).
    /// The one definition used by the ranking and by its breakdown, so both give the same bits; no allocation once
    /// `work` has grown to the user's film count.
    func ratedMovieAttention(_ context: UserContext, values: [Float], movie i: Int, work: inout RatedMovieWork,
                             cosines known: ArraySlice<Float>? = nil) -> Float {
        let n = context.keyMovies.count
        work.resize(n)
        let k = factors.rank
        if let known, known.count == n {
            work.cosines.withUnsafeMutableBufferPointer { out in
                _ = UnsafeMutableBufferPointer(rebasing: out[0..<n]).initialize(from: known)
            }
        } else {
            factors.unitMovieVectors.values.withUnsafeBufferPointer { all in
                context.keyMovies.withUnsafeBufferPointer { picks in
                    work.cosines.withUnsafeMutableBufferPointer { out in
                        gatheredDots(query: UnsafeBufferPointer(rebasing: all[(i * k)..<((i + 1) * k)]), rows: all,
                                     rowIndices: picks, output: UnsafeMutableBufferPointer(rebasing: out[0..<n]))
                    }
                }
            }
        }
        let own = context.keyMovies[...].sortedIndex(of: Int32(i)).map { $0 - context.keyMovies.startIndex } ?? -1
        let scale = Float(k).squareRoot() / parameters.movieRankingTemperature
        return work.cosines.withUnsafeBufferPointer { cosines in
            work.weights.withUnsafeMutableBufferPointer { weights in
                values.withUnsafeBufferPointer { values in
                    nullKeySoftmax(cosines: UnsafeBufferPointer(rebasing: cosines[0..<n]),
                                   values: UnsafeBufferPointer(rebasing: values[0..<n]), skipping: own, scale: scale,
                                   weights: weights).sum
                }
            }
        }
    }

    /// `scratch.attention[i] = Σ_v w_v·value(r_vi)` over the neighbours v who rated i, added in neighbour order;
    /// a film no neighbour rated keeps the untouched mark (``isTouched(_:)`` is false).
    func accumulateAttention(neighbours: [Int], weights: [Float], scratch: inout RankingScratch) {
        var rows: [Int32] = []
        var scales: [Float] = []
        rows.reserveCapacity(neighbours.count)
        scales.reserveCapacity(neighbours.count)
        for (v, w) in zip(neighbours, weights) {
            let mean = userMeanRating[v]
            guard mean > 0 else { continue }
            rows.append(Int32(v))
            scales.append(w / mean)
        }
        scratch.accumulated = true
        scratch.candidatesCoverTouched = false
        scratch.attention.withUnsafeMutableBufferPointer { sums in
            if let coded = rankingRows {
                scatterAddRows(of: coded, rows: rows, scales: scales, sums: sums.baseAddress!)
            } else {
                scatterAddRows(of: ratings.byUser, rows: rows, scales: scales, sums: sums.baseAddress!)
            }
        }
    }

    /// Resets the sums of ``accumulateAttention(neighbours:weights:scratch:)`` to the untouched mark: the films the
    /// last ranking listed as candidates and the user's own films when they hold every touched film (a list of the
    /// touched films kept during the scatter would chain its steps), otherwise one pass over all films.
    func clear(_ scratch: inout RankingScratch) {
        if scratch.accumulated {
            if scratch.candidatesCoverTouched {
                let count = scratch.candidateCount
                scratch.candidateIndices.withUnsafeBufferPointer { indices in
                    scratch.attention.withUnsafeMutableBufferPointer { sums in
                        for t in 0..<count { sums[Int(indices[t])] = untouchedSum }
                        for i in scratch.marked { sums[Int(i)] = untouchedSum }
                    }
                }
            } else {
                scratch.attention.withUnsafeMutableBufferPointer { $0.update(repeating: untouchedSum) }
            }
            scratch.accumulated = false
            scratch.candidatesCoverTouched = false
        }
        scratch.movieCosines.removeAll(keepingCapacity: true)
        for i in scratch.marked { scratch.rated[Int(i)] = false }
        scratch.marked.removeAll(keepingCapacity: true)
    }

    /// The `count` films passing `filter` (by default: not rated) with the best ranking scores
    /// `(1 − λ_m)·(λ·A_i/Ā + (1 − λ)·W_i/W̄) + λ_m·I_i/Ī`, best first (ties: lower index).
    ///
    /// `scratch` holds the attention sums of `query` (left by ``rankingQuery(_:scratch:)``, or accumulated here
    /// when cleared). First the best `max(count, M)` films by the first two terms (only `count` without the
    /// rated-film term): films some neighbour rated are scored exactly; every other film has only the watch part,
    /// scanned by descending norm of its watch row until `‖y_u‖·norm·(1 − λ)/W̄` falls below the worst kept score.
    /// Then the rated-film attention `I_i` is added for those films only (n_u cosines each) and they are re-sorted.
    func rankedMovies(_ context: UserContext, query: RankingQuery, count: Int, candidates filter: CandidateFilter = .unrated,
                      scratch: inout RankingScratch) -> [RankedMovie] {
        guard count > 0 else { return [] }
        let pool = query.movieScale > 0 ? max(count, query.depth) : count
        var selection = TopSelection(capacity: pool)
        if !scratch.accumulated {
            accumulateAttention(neighbours: query.neighbours, weights: query.weights, scratch: &scratch)
        }
        if scratch.marked != context.movies {
            for i in scratch.marked { scratch.rated[Int(i)] = false }
            for i in context.movies { scratch.rated[Int(i)] = true }
            scratch.marked = context.movies
        }
        let rated = scratch.rated
        /// Whether film `movie` may not be listed (rated, unless asked for, or left out by the mask).
        func excluded(_ movie: Int) -> Bool {
            (!filter.includeRated && rated[movie]) || (filter.allowed.map { !$0[movie] } ?? false)
        }
        let panels = rankingMatrix
        // The watch part of film i is at most reach·‖v_i‖ (Cauchy–Schwarz, with room for rounding).
        let reach = dot(query.watch, query.watch).squareRoot() * 1.0001 * query.watchScale
        // The films some neighbour rated that may be listed, in film order, with the bound
        // `attentionScale·A_i + reach·‖v_i‖` of their score: one sequential pass over the dense arrays.
        func collect(allowed: UnsafePointer<Bool>?) -> Int {
            scratch.attention.withUnsafeBufferPointer { attention in
                rated.withUnsafeBufferPointer { rated in
                    panels.rowNorms.withUnsafeBufferPointer { norms in
                        scratch.candidateIndices.withUnsafeMutableBufferPointer { indices in
                            scratch.candidateBounds.withUnsafeMutableBufferPointer { bounds in
                                boundedCandidates(attention: attention.baseAddress!,
                                                  rated: filter.includeRated ? nil : rated.baseAddress!,
                                                  allowed: allowed, norms: norms.baseAddress!,
                                                  scale: query.attentionScale, reach: reach, count: movieCount,
                                                  indices: indices.baseAddress!, bounds: bounds.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        let candidateCount = filter.allowed.map { allowed in allowed.withUnsafeBufferPointer { collect(allowed: $0.baseAddress!) } }
            ?? collect(allowed: nil)
        scratch.candidateCount = candidateCount
        // Without a mask every touched film is a candidate or one of the user's films (flagged in `marked`).
        scratch.candidatesCoverTouched = filter.allowed == nil && scratch.marked == context.movies
        let (indices, bounds) = (scratch.candidateIndices, scratch.candidateBounds)
        /// Offers `movies` with their exact scores (attention part + watch part).
        func offerExact(_ movies: [Int32]) {
            let watchScores = query.watchScale == 0 ? [Float](repeating: 0, count: movies.count)
                                                    : gatheredDots(query.watch, rowsOf: rankingMovieVectors, at: movies)
            for (movie, watch) in zip(movies, watchScores) {
                let i = Int(movie)
                selection.offer(score: query.attentionScale * scratch.attention[i] + query.watchScale * watch, index: i)
            }
        }
        if query.watchScale > 0 && candidateCount > 4 * pool {
            // Score the best `pool` films by their bound exactly, then only the films whose bound reaches the worst
            // score kept. A film left out scores below it, so the selection is the same as with every film scored.
            // (Films come in ascending order, so one whose bound does not beat the `pool`-th best cannot enter.)
            // (Candidates are in film order, so the best positions by bound, ties to the lower position, are the best
            // films by bound, ties to the lower film.)
            let first = bounds.withUnsafeBufferPointer { all in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: pool) { positions in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: pool) { kept in
                        let count = topK(UnsafeBufferPointer(rebasing: all[0..<candidateCount]), k: pool,
                                         positions: positions, scores: kept)
                        return positions[0..<count].map { indices[Int($0)] }
                    }
                }
            }
            offerExact(first)
            // The rest in chunks, each film checked against the worst score kept so far (which only rises).
            let scored = first.sorted()
            var chunk: [Int32] = []
            chunk.reserveCapacity(Self.exactChunk)
            var next = 0
            var cut = selection.threshold ?? -.infinity
            bounds.withUnsafeBufferPointer { all in
                let candidates = UnsafeBufferPointer(rebasing: all[0..<candidateCount])
                var t = firstNotBelow(candidates, from: 0, bound: cut)
                while t < candidateCount {
                    let movie = indices[t]
                    while next < scored.count && scored[next] < movie { next += 1 }
                    if !(next < scored.count && scored[next] == movie) {
                        chunk.append(movie)
                        if chunk.count == Self.exactChunk {
                            offerExact(chunk)
                            chunk.removeAll(keepingCapacity: true)
                            cut = selection.threshold ?? -.infinity
                        }
                    }
                    t = firstNotBelow(candidates, from: t + 1, bound: cut)
                }
            }
            offerExact(chunk)
        } else {
            offerExact(Array(indices[0..<candidateCount]))
        }
        if query.watchScale > 0 {
            query.watch.withUnsafeBufferPointer { q in
                let block = QueryBlock(base: q.baseAddress!, stride: panels.columns, count: 1)
                for p in 0..<panels.panelCount {
                    if let threshold = selection.threshold, reach * panels.panelNorms[p] < threshold { break }
                    let scores = panels.scorePanel(p, queries: block).0
                    for l in 0..<16 {
                        let slot = p * 16 + l
                        guard slot < panels.rows else { break }
                        let movie = Int(panels.order[slot])
                        if isTouched(scratch.attention[movie]) || excluded(movie) { continue }
                        selection.offer(score: query.watchScale * scores[l], index: movie)
                    }
                }
            }
        } else if selection.threshold == nil || selection.threshold! <= 0 {
            // Attention alone: films no neighbour rated all score 0.
            for movie in 0..<movieCount where !isTouched(scratch.attention[movie]) && !excluded(movie) {
                if let threshold = selection.threshold, !(0 > threshold) { break }
                selection.offer(score: 0, index: movie)
            }
        }
        let first = selection.sorted()
        guard query.movieScale > 0 else { return first.map { RankedMovie(movie: $0.index, score: $0.score) } }
        var reranked = TopSelection(capacity: count)
        // The cosines of the films not re-ranked before (a smaller window), all in one pass over the user's films.
        let missing = first.map(\.index).filter { scratch.movieCosines[$0] == nil }
        for (movie, cosines) in zip(missing, ratedMovieCosines(context, movies: missing)) {
            scratch.movieCosines[movie] = cosines
        }
        for entry in first {
            let movies = ratedMovieAttention(context, values: query.movieValues, movie: entry.index, work: &scratch.movies,
                                             cosines: scratch.movieCosines[entry.index])
            if scratch.movieCosines[entry.index] == nil {
                scratch.movieCosines[entry.index] = Array(scratch.movies.cosines[0..<context.keyMovies.count])[...]
            }
            reranked.offer(score: entry.score + query.movieScale * movies, index: entry.index)
        }
        return reranked.sorted().map { RankedMovie(movie: $0.index, score: $0.score) }
    }

    /// The breakdown of film `movie`'s ranking score for the user: the three parts, the `limit` supporting
    /// neighbours and the `limit` rated films with the largest (positive) contributions.
    ///
    /// `movieCosines`: the candidate's cosines to the user's films when the ranking computed them already (the same
    /// values). Without `findsFavourites` the reasons' shared favourites are left empty, for a caller that finds them
    /// once per neighbour (a list's films share many neighbours; ``RankingContribution/sharing(_:)``).
    /// `ratingPositions` holds, for each of `query.neighbours`, the position of its rating of `movie` in
    /// `ratings.byUser` (-1: not rated), as ``neighbourRatingPositions(_:movies:)`` finds them for a whole list.
    func rankingBreakdown(_ context: UserContext, query: RankingQuery, movie i: Int, limit: Int,
                          ratingPositions: ArraySlice<Int>, movieCosines: ArraySlice<Float>? = nil,
                          findsFavourites: Bool = true) -> RankingBreakdown {
        precondition(ratingPositions.count == query.neighbours.count,
                     "rankingBreakdown: \(ratingPositions.count) positions for \(query.neighbours.count) neighbours")
        var attention: Float = 0
        var contributions: [RankingContribution] = []
        contributions.reserveCapacity(query.neighbours.count)
        let byUser = ratings.byUser
        for (t, v) in query.neighbours.enumerated() {
            let position = ratingPositions[ratingPositions.startIndex + t]
            guard position >= 0 else { continue }
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
            return findsFavourites ? reason.sharing(sharedFavourites(context, neighbour: reason.user, limit: 2)) : reason
        }
        var ratedMovies: Float = 0
        var movieReasons: [RatedMovieContribution] = []
        if query.movieScale > 0 {
            var work = RatedMovieWork()
            let sum = ratedMovieAttention(context, values: query.movieValues, movie: i, work: &work, cosines: movieCosines)
            let (cosines, weights) = (work.cosines, work.weights)
            ratedMovies = query.movieScale * sum
            var strongestMovies = TopSelection(capacity: limit)
            for (t, weight) in weights.enumerated() where query.movieScale * weight * query.movieValues[t] > 0 {
                strongestMovies.offer(score: query.movieScale * weight * query.movieValues[t], index: t)
            }
            movieReasons = strongestMovies.sorted().map { entry in
                let t = entry.index
                return RatedMovieContribution(movie: Int(context.keyMovies[t]), weight: weights[t], cosine: cosines[t],
                                              rating: context.keyRatings[t], value: query.movieValues[t],
                                              contribution: entry.score)
            }
        }
        return RankingBreakdown(attention: query.attentionScale * attention, watch: watch, ratedMovies: ratedMovies,
                                reasons: reasons, movieReasons: movieReasons, supporters: contributions.count)
    }

    /// For films `movies` (ascending), the position in `ratings.byUser` of each ranking neighbour's rating of each
    /// film, or -1: entry `t·neighbours + n` for `movies[t]` and `query.neighbours[n]` (``sortedRowLookups(in:rows:targets:)``,
    /// each neighbour's row read once for the whole list instead of searched once per film).
    func neighbourRatingPositions(_ query: RankingQuery, movies: [Int32]) -> [Int] {
        sortedRowLookups(in: ratings.byUser, rows: query.neighbours.map { Int32($0) }, targets: movies)
    }

    /// Films both the user and `neighbour` rated at or above their own mean ratings, by the smaller of the two
    /// ratings over the mean, highest first (ties: lower index).
    ///
    /// With `liked` (``likedMovies(_:)``: one entry per film, the user's rating over their mean for the films they
    /// rated at or above it) only the neighbour's films between the user's first and last film are read, each looked
    /// up there by a branch-free kernel (``sharedScores(movies:values:liked:neighbourMean:scores:found:)``): `n_v`
    /// steps instead of a merge of both lists (`n_u + n_v`), which is what a user with thousands of ratings, and as
    /// active neighbours, paid for each of a list's reasons. The films are offered in the same (ascending) order
    /// with the same values either way, so the result is the same.
    func sharedFavourites(_ context: UserContext, neighbour v: Int, limit: Int,
                          liked: LikedMovies? = nil) -> [Int] {
        let userMean = liked?.mean ?? plainMean(context)
        let neighbourMean = userMeanRating[v]
        let range = ratings.userRange(v)
        let (movies, values) = (ratings.byUser.columnIndices[range], ratings.byUser.values[range])
        guard userMean > 0 && neighbourMean > 0 else { return [] }
        var selection = TopSelection(capacity: limit)
        if let liked, let first = context.movies.first, let last = context.movies.last {
            let start = movies.lowerBound(of: first)
            let end = movies[start...].lowerBound(of: last + 1)
            guard start < end else { return [] }
            var scores = [Float](repeating: 0, count: end - start)
            var found = [Int32](repeating: 0, count: end - start)
            let count = ratings.byUser.columnIndices.withUnsafeBufferPointer { all in
                ratings.byUser.values.withUnsafeBufferPointer { allValues in
                    liked.scores.withUnsafeBufferPointer { likedScores in
                        scores.withUnsafeMutableBufferPointer { s in
                            found.withUnsafeMutableBufferPointer { f in
                                sharedScores(movies: UnsafeBufferPointer(rebasing: all[start..<end]),
                                             values: UnsafeBufferPointer(rebasing: allValues[start..<end]),
                                             liked: likedScores, neighbourMean: neighbourMean, scores: s, found: f)
                            }
                        }
                    }
                }
            }
            for t in 0..<count { selection.offer(score: scores[t], index: Int(found[t])) }
            return selection.sorted().map(\.index)
        }
        var (a, b) = (0, movies.startIndex)
        while a < context.movies.count && b < movies.endIndex {
            if context.movies[a] < movies[b] { a += 1 } else if context.movies[a] > movies[b] { b += 1 } else {
                let (mine, theirs) = (context.ratings[a], values[b])
                if mine >= userMean && theirs >= neighbourMean {
                    selection.offer(score: min(mine / userMean, theirs / neighbourMean), index: Int(movies[b]))
                }
                a += 1
                b += 1
            }
        }
        return selection.sorted().map(\.index)
    }

    /// The user's side of ``sharedFavourites(_:neighbour:limit:liked:)``, made once per list.
    func likedMovies(_ context: UserContext) -> LikedMovies {
        let mean = plainMean(context)
        var scores = [Float](repeating: -1, count: movieCount)
        if mean > 0 {
            for (movie, rating) in zip(context.movies, context.ratings) where rating >= mean {
                scores[Int(movie)] = rating / mean
            }
        }
        return LikedMovies(mean: mean, scores: scores)
    }

    /// The plain mean of the user's ratings (0 without ratings).
    func plainMean(_ context: UserContext) -> Float {
        context.ratings.isEmpty ? 0 : context.ratings.reduce(0, +) / Float(context.ratings.count)
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
            let width = ratingRange.upperBound - ratingRange.lowerBound
            return max(userMean(context), baseline.globalMean) - parameters.predictedRatingMargin * width
        }
    }
}

extension ArraySlice where Element == Int32 {
    /// The first position in this ascending slice whose element is not below `value` (`endIndex` when none is).
    func lowerBound(of value: Int32) -> Int {
        var (lo, hi) = (startIndex, endIndex)
        while lo < hi {
            let mid = (lo + hi) / 2
            if self[mid] < value { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

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
