import MovieRecNumerics

extension TrainedModel {
    /// The predicted rating of `movie` by trained `user`, clipped to ``ratingRange``:
    ///
    ///     r̂ = μ + b_u + b_i + α_svd·(p_u·q_i) + α_user·Σ w·v (user neighbours) + α_film·Σ w·v (film neighbours)
    ///
    /// - Throws: ``ModelError`` for an unknown user or film.
    public func predict(user: Int, movie: Int) throws -> Float {
        try predict(.trained(user), movie: movie)
    }

    /// The predicted rating of `movie` for a trained or folded-in user (see ``predict(user:movie:)``).
    public func predict(_ user: UserReference, movie: Int) throws -> Float {
        try checkMovie(movie)
        return clip(explanation(for: try context(user), movie: movie, limit: 0).unclippedRating)
    }

    /// The decomposition of the prediction and the `limit` neighbours with the largest attention weights.
    public func explain(_ user: UserReference, movie: Int, limit: Int = 5) throws -> Explanation {
        try checkMovie(movie)
        return explanation(for: try context(user), movie: movie, limit: limit)
    }

    /// `rating` clipped to the training rating scale.
    func clip(_ rating: Float) -> Float {
        min(max(rating, ratingRange.lowerBound), ratingRange.upperBound)
    }

    /// Scores film `i` for `user` (see ``predict(user:movie:)``), keeping the top `limit` neighbours.
    ///
    /// - User neighbours: the K raters v of i (at most ``ModelParameters/raterScanLimit`` of them
    ///   compared, evenly strided) with the largest latent cosine to u (on binary16 rows, ``raterCosines(_:raters:into:)``);
    ///   values `r_vi − (μ + b_v + b_i)`.
    /// - Film neighbours: the K films j rated by u with the largest latent cosine to i; values
    ///   `r_uj − (μ + b_u + b_j)`.
    ///
    /// `movieCosines`, when given, are those film cosines (i to each film u rated, in u's order) computed already
    /// by the rated-film ranking with the same kernel, so the result is the same. `raterCosines`, when given, are
    /// the user's cosines to the film's saved sample of raters as ``raterCosines(of:queries:into:)`` computes them
    /// for many users at once (the same bits as here); only for a user who did not rate the film.
    ///
    /// `movieNeighbours`, when given, is ``movieNeighbourAttention(_:movie:limit:movieCosines:neighbours:)``'s result
    /// for this user and film, computed already (only with `limit` 0: no neighbours are kept).
    func explanation(for user: UserContext, movie i: Int, limit: Int, movieCosines: ArraySlice<Float>? = nil,
                     raterCosines known: UnsafeBufferPointer<Float>? = nil,
                     movieNeighbours: (sum: Float, nullWeight: Float)? = nil) -> Explanation {
        precondition(movieNeighbours == nil || limit == 0, "explanation: film neighbours given, but \(limit) asked for")
        let mu = baseline.globalMean
        let movieBias = baseline.movieBias[i]
        let (base, svd) = baselineAndSVD(user, movie: i)
        let k = parameters.neighbours

        // User neighbours among the raters of i (their ratings gathered with them): the film's saved sample
        // (``RaterSamples``), or for a trained user who rated i, a sample without that user.
        var userSum: Float = 0
        var neighbours: [Neighbour] = []
        if limit > 0 { neighbours.reserveCapacity(2 * k) }
        func scoreRaters(_ raters: UnsafeBufferPointer<Int32>, _ raterRatings: UnsafeBufferPointer<Float>) -> Float {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: known == nil ? max(raters.count, 1) : 1) { room in
                let cosines: UnsafeBufferPointer<Float>
                if let known {
                    precondition(known.count == raters.count,
                                 "explanation: \(known.count) rater cosines for \(raters.count) raters")
                    cosines = known
                } else {
                    // The raters' biases (a random entry each of an array larger than the cache) arrive while their
                    // cosines are taken.
                    prefetch(baseline.userBias, at: raters)
                    raterCosines(user.unitLatent, raters: raters, into: room)
                    cosines = UnsafeBufferPointer(rebasing: room[..<raters.count])
                }
                // Ties go to the lower position in the sample.
                let userBias = baseline.userBias
                return attended(cosines, k: k) { positions, kept, weights in
                    for (n, weight) in weights.enumerated() {
                        let position = Int(positions[n])
                        let v = Int(raters[position])
                        let rating = raterRatings[position]
                        let residual = rating - (mu + userBias[v] + movieBias)
                        userSum += weight * residual
                        if limit > 0 {
                            neighbours.append(Neighbour(kind: .user, index: v, weight: weight, cosine: kept[n],
                                                        rating: rating, residual: residual))
                        }
                    }
                }
            }
        }
        let userNullWeight: Float
        if let u = user.trainedIndex, user.movies[...].containsSorted(Int32(i)) {
            precondition(known == nil, "explanation: rater cosines given for a film the user rated")
            let byMovie = ratings.byMovie
            let sample = stridedSample(byMovie.columnIndices, ratings: byMovie.values, range: ratings.movieRange(i),
                                       scanned: parameters.raterScanLimit, excluding: Int32(truncatingIfNeeded: u))
            userNullWeight = sample.values.withUnsafeBufferPointer { raters in
                sample.ratings.withUnsafeBufferPointer { scoreRaters(raters, $0) }
            }
        } else {
            userNullWeight = raterSamples.withSample(of: i, in: ratings.byMovie) { scoreRaters($0, $1) }
        }

        // Film neighbours among the films u rated (never i itself).
        let (filmSum, movieNullWeight) = movieNeighbours
            ?? movieNeighbourAttention(user, movie: i, limit: limit, movieCosines: movieCosines, neighbours: &neighbours)
        var strongest = TopSelection(capacity: limit)
        for (position, neighbour) in neighbours.enumerated() { strongest.offer(score: neighbour.weight, index: position) }
        return Explanation(baseline: base, svd: svd, userAttention: parameters.userAttentionWeight * userSum,
                           movieAttention: parameters.movieAttentionWeight * filmSum,
                           userNullWeight: userNullWeight, movieNullWeight: movieNullWeight,
                           neighbours: strongest.sorted().map { neighbours[$0.index] })
    }
}

extension TrainedModel {
    /// The first two terms of a prediction: the baseline `μ + b_u + b_i` and `α_svd·(p_u·q_i)`.
    func baselineAndSVD(_ user: UserContext, movie i: Int) -> (baseline: Float, svd: Float) {
        let base = baseline.globalMean + user.bias + baseline.movieBias[i]
        let svd = parameters.svdWeight * factors.movieVectors.withRow(i) { q in
            user.latent.withUnsafeBufferPointer { dot($0, q) }
        }
        return (base, svd)
    }

    /// The film-neighbour attention of ``explanation(for:movie:limit:movieCosines:raterCosines:movieNeighbours:)``:
    /// `Σ w_j·(r_uj − (μ + b_u + b_j))` over the K films j the user rated with the largest latent cosine to i (never i
    /// itself), and the null key's weight; with `limit` > 0 the neighbours are appended to `neighbours`.
    func movieNeighbourAttention(_ user: UserContext, movie i: Int, limit: Int, movieCosines: ArraySlice<Float>?,
                                 neighbours: inout [Neighbour]) -> (sum: Float, nullWeight: Float) {
        let filmCosines = movieCosines.flatMap { $0.count == user.keyMovies.count ? $0 : nil }
            ?? factors.unitMovieVectors.withRow(i) { query in
                gatheredDots(Array(query), rowsOf: factors.unitMovieVectors, at: user.keyMovies)[...]
            }
        var filmSum: Float = 0
        let mu = baseline.globalMean
        let own = user.keyMovies[...].sortedIndex(of: Int32(i)) ?? -1
        let (keyMovies, keyRatings, movieBiases, userBias) = (user.keyMovies, user.keyRatings, baseline.movieBias, user.bias)
        let nullWeight = filmCosines.withUnsafeBufferPointer { cosines in
            attended(cosines, k: parameters.neighbours, skipping: own) { positions, kept, weights in
                for (n, weight) in weights.enumerated() {
                    let t = Int(positions[n])
                    let j = Int(keyMovies[t])
                    let rating = keyRatings[t]
                    let residual = rating - (mu + userBias + movieBiases[j])
                    filmSum += weight * residual
                    if limit > 0 {
                        neighbours.append(Neighbour(kind: .movie, index: j, weight: weight, cosine: kept[n],
                                                    rating: rating, residual: residual))
                    }
                }
            }
        }
        return (filmSum, nullWeight)
    }

    /// Whether the predicted rating of film `i` by a user who did not rate it reaches `threshold`, decided without
    /// the user neighbours: true when even the lowest value they can give does. Their term `α_user·Σ w·v` is at
    /// least `α_user·min(0, v_min)` (the weights are positive and sum to at most 1 with the null key), with `v_min`
    /// the lowest residual among the film's compared raters (``raterResidualFloors``); a margin of 10⁻³ covers
    /// the rounding of the sums. False means "not decided": the film must be predicted in full.
    /// `movieNeighbours` is ``movieNeighbourAttention(_:movie:limit:movieCosines:neighbours:)``'s sum.
    func passesWithoutRaters(_ user: UserContext, movie i: Int, movieNeighbours: Float, threshold: Float) -> Bool {
        guard threshold <= ratingRange.upperBound else { return false }
        let (base, svd) = baselineAndSVD(user, movie: i)
        let lowest = base + svd + parameters.movieAttentionWeight * movieNeighbours
            + parameters.userAttentionWeight * raterResidualFloors[i]
        return lowest >= threshold + 1e-3 * max(1, abs(threshold))
    }
}

extension TrainedModel {
    /// The `k` neighbours with the largest `cosines` (ties: lower position; `skipping` left out) and their attention
    /// weights (``AttentionScorer/weights(cosines:into:)``, null key included), handed to `body` as positions, kept
    /// cosines and weights, best first, in buffers on the stack (a list predicts ten films or more, each twice).
    /// Returns the null key's weight.
    func attended(_ cosines: UnsafeBufferPointer<Float>, k: Int, skipping: Int = -1,
                  _ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>, UnsafeBufferPointer<Float>) -> Void)
        -> Float {
        let room = max(1, min(k, cosines.count))
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: room) { positions in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * room) { floats in
                let (kept, weights) = (UnsafeMutableBufferPointer(rebasing: floats[..<room]),
                                       UnsafeMutableBufferPointer(rebasing: floats[room...]))
                let count = topK(cosines, k: k, skipping: skipping, positions: positions, scores: kept)
                let keptCosines = UnsafeBufferPointer(rebasing: kept[..<count])
                let nullWeight = scorer.weights(cosines: keptCosines,
                                                into: UnsafeMutableBufferPointer(rebasing: weights[..<count]))
                body(UnsafeBufferPointer(rebasing: positions[..<count]), keptCosines,
                     UnsafeBufferPointer(rebasing: weights[..<count]))
                return nullWeight
            }
        }
    }

    /// The largest difference between a rater cosine of ``raterCosines(_:raters:into:)`` and the exact cosine of the
    /// unit rows in `Float`: 2⁻¹¹ for the binary16 rounding of the row, plus the sums' rounding.
    static let halfCosineError: Float = 1e-3

    /// The latent cosines between the unit `query` and the user rows `raters`, one per rater in order, computed on
    /// the binary16 copies of the unit rows (``LatentFactors/halfUnitUserRows``): a prediction compares up to
    /// ``ModelParameters/raterScanLimit`` raters, each a random row of the user matrix, and half the bytes per row
    /// is most of what they cost. Each cosine is within ``halfCosineError`` of the exact one; the half rows are
    /// derived from the model's factors, so every processor gives the same cosines (the kernel is tested bit for
    /// bit across instruction sets). On ml-latest-small's validation splits this left RMSE and the top-N lists
    /// unchanged (5 folds: validation RMSE 0.847313 → 0.847313, nDCG@10 the same to the last digit). Written to
    /// `output` (room for one per rater).
    func raterCosines(_ query: [Float], raters: UnsafeBufferPointer<Int32>, into output: UnsafeMutableBufferPointer<Float>) {
        let stride = factors.halfStride
        func score(_ q: UnsafeBufferPointer<Float>) {
            factors.halfUnitUserRows.withUnsafeBufferPointer { rows in
                gatheredHalfDots(query: q, rows: rows, stride: stride, rowIndices: raters,
                                 output: UnsafeMutableBufferPointer(rebasing: output[..<raters.count]))
            }
        }
        if query.count == stride {
            query.withUnsafeBufferPointer(score)
        } else {
            (query + repeatElement(0, count: stride - query.count)).withUnsafeBufferPointer(score)
        }
    }
}

extension TrainedModel {
    /// The cosines of many users to the raters in film `i`'s saved sample (``RaterSamples``), the ones
    /// ``explanation(for:movie:limit:movieCosines:raterCosines:)`` compares for a user who did not rate `i`.
    /// `queries` holds the users' unit latent rows one after another, each padded with zeros to
    /// ``LatentFactors/halfStride``; `output[n·R + t]` gets user n's cosine to the sample's rater t (R raters;
    /// returned), the same bits as ``raterCosines(_:raters:into:)`` gives each user alone, with each rater's row
    /// read once for all of them. `output` is grown when it has no room for them.
    func raterCosines(of i: Int, queries: UnsafeBufferPointer<Float>, into output: inout [Float]) -> Int {
        let stride = factors.halfStride
        let users = queries.count / stride
        return raterSamples.withSample(of: i, in: ratings.byMovie) { raters, _ in
            if output.count < users * raters.count {
                output = [Float](repeating: 0, count: max(users * raters.count, 2 * output.count))
            }
            prefetch(baseline.userBias, at: raters)
            factors.halfUnitUserRows.withUnsafeBufferPointer { rows in
                output.withUnsafeMutableBufferPointer { out in
                    gatheredHalfDots(queries: queries, rows: rows, stride: stride, rowIndices: raters, output: out)
                }
            }
            return raters.count
        }
    }
}

/// `dot(query, row r of matrix)` for every r in `rows`, with the rows fetched ahead
/// (see ``gatheredDots(query:rows:rowIndices:output:)``).
func gatheredDots(_ query: [Float], rowsOf matrix: DenseMatrix, at rows: [Int32]) -> [Float] {
    precondition(query.count == matrix.columns, "gatheredDots: query of \(query.count) for rows of \(matrix.columns)")
    return [Float](unsafeUninitializedCapacity: rows.count) { buffer, initialized in
        query.withUnsafeBufferPointer { q in
            matrix.values.withUnsafeBufferPointer { all in
                rows.withUnsafeBufferPointer { gatheredDots(query: q, rows: all, rowIndices: $0, output: buffer) }
            }
        }
        initialized = rows.count
    }
}

/// The raters each film's predictions compare: for a film with more than ``ModelParameters/raterScanLimit`` raters,
/// the even sample ``stridedSample(_:ratings:range:scanned:excluding:)`` takes (no one excluded), saved side by side
/// when the model is assembled, so a prediction reads 160 neighbouring entries instead of 160 cache lines spread over
/// the film's column (and allocates nothing); a film with fewer raters is read in place, all of them. A trained
/// user who rated the film is left out of its sample, so such predictions (``TrainedModel/predict(_:movie:)`` of a
/// rated film) take the sample anew.
struct RaterSamples: Sendable {
    /// Where each film's sample starts in ``users`` and ``ratings`` (one entry per film, plus the end); empty for a
    /// film read in place.
    let offsets: [Int]
    /// The most raters a film is read in place with.
    let limit: Int
    /// The sampled raters, film after film.
    let users: [Int32]
    /// Their ratings of the film.
    let ratings: [Float]

    /// The samples of every film of `byMovie` with more than `limit` raters.
    init(byMovie: CSRMatrix, limit: Int) {
        var offsets = [0]
        offsets.reserveCapacity(byMovie.rows + 1)
        var users: [Int32] = []
        var ratings: [Float] = []
        for i in 0..<byMovie.rows {
            let range = byMovie.rowPointers[i]..<byMovie.rowPointers[i + 1]
            if range.count > limit {
                let sample = stridedSample(byMovie.columnIndices, ratings: byMovie.values, range: range, scanned: limit,
                                           excluding: -1)
                users.append(contentsOf: sample.values)
                ratings.append(contentsOf: sample.ratings)
            }
            offsets.append(users.count)
        }
        (self.offsets, self.users, self.ratings, self.limit) = (offsets, users, ratings, limit)
    }

    /// For each film of `byMovie`, `min(0, v_min)` over its compared raters v (this sample, or all of them), with
    /// residuals `v = r_vi − (μ + b_v + b_i)` computed as the predictions compute them.
    func residualFloors(byMovie: CSRMatrix, baseline: Baseline) -> [Float] {
        let (mu, userBias) = (baseline.globalMean, baseline.userBias)
        return (0..<byMovie.rows).map { i in
            let movieBias = baseline.movieBias[i]
            return withSample(of: i, in: byMovie) { raters, ratings in
                var lowest: Float = 0
                for t in raters.indices { lowest = min(lowest, ratings[t] - (mu + userBias[Int(raters[t])] + movieBias)) }
                return lowest
            }
        }
    }

    /// Calls `body` with film `i`'s compared raters and their ratings: its saved sample, or all its raters in
    /// `byMovie` (the matrix the samples were taken from).
    func withSample<T>(of i: Int, in byMovie: CSRMatrix,
                       _ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Float>) -> T) -> T {
        let column = byMovie.rowPointers[i]..<byMovie.rowPointers[i + 1]
        let (source, values, range) = column.count > limit
            ? (users, ratings, offsets[i]..<offsets[i + 1])
            : (byMovie.columnIndices, byMovie.values, column)
        return source.withUnsafeBufferPointer { all in
            values.withUnsafeBufferPointer { rated in
                body(UnsafeBufferPointer(rebasing: all[range]), UnsafeBufferPointer(rebasing: rated[range]))
            }
        }
    }
}
