import MovieRecNumerics

/// A user who is not in the model, projected onto the trained film factors (no retraining).
///
/// With x the user's residuals `x_j = r_j − (μ + b_u + b_j)` on the films they rated (0 elsewhere) and
/// `b_u` shrunk exactly like a trained user's bias (λ_u):
/// - ``latentCoordinates`` `u = x·V_k·S_k⁻¹` (coordinates in U space, the classic fold-in);
/// - ``similarityVector`` `x·V_k = u·S_k`, in the same space as trained users' `U_k·S_k`, so it is
///   compared with them directly. For a trained user's own row this reproduces `U_k·S_k` of that user
///   (exactly for an exact SVD).
/// In the worked example P8 (Star Wars 5) and P9 (The Matrix 4, Iron Man 5) have cosine 0.9877 in U
/// space and 0.9926 in the similarity space, while they share no film.
public struct FoldedUser: Sendable, Equatable {
    /// The rated films, ascending.
    public let movies: [Int32]
    /// The ratings, parallel to ``movies``.
    public let ratings: [Float]
    /// The shrunk user bias b_u.
    public let bias: Float
    /// `u = x·V_k·S_k⁻¹` (0 in a dimension whose singular value is 0).
    public let latentCoordinates: [Float]
    /// `x·V_k`, comparable with trained users' vectors.
    public let similarityVector: [Float]
    /// The watch vector `y = Y[u]·V_w` used for ranking (see ``WatchFactors``).
    public let watchVector: [Float]
}

extension TrainedModel {
    /// Folds a new user into the latent space from their ratings (film index, rating), in any order.
    ///
    /// - Throws: ``ModelError`` `.unknownMovie` for a film outside the model, `.invalidData` for a film
    ///   given twice or a non-finite rating.
    public func foldIn(ratings list: [(movie: Int32, rating: Float)]) throws -> FoldedUser {
        let sorted = list.sorted { $0.movie < $1.movie }
        for (position, entry) in sorted.enumerated() {
            try checkMovie(Int(entry.movie), field: "ratings.movie")
            guard entry.rating.isFinite else {
                throw ModelError(.invalidData, field: "rating of film \(entry.movie)", value: "\(entry.rating)",
                                 expected: "a finite rating")
            }
            if position > 0 && sorted[position - 1].movie == entry.movie {
                throw ModelError(.invalidData, field: "ratings.movie", value: "\(entry.movie) (twice)",
                                 expected: "each film at most once")
            }
        }
        let bias = parameters.baselineMode == .bias
            ? baseline.userBias(for: sorted, userRegularization: parameters.userRegularization) : 0
        let k = factors.rank
        var similarity = [Float](repeating: 0, count: k)
        for (movie, rating) in sorted {
            let j = Int(movie)
            let residual = rating - (baseline.globalMean + bias + baseline.movieBias[j])
            for c in 0..<k { similarity[c] += residual * factors.movieVectors.values[j * k + c] }
        }
        let coordinates = (0..<k).map { c in
            factors.singularValues[c] > 0 ? similarity[c] / factors.singularValues[c] : 0
        }
        let movies = sorted.map(\.movie)
        return FoldedUser(movies: movies, ratings: sorted.map(\.rating), bias: bias,
                          latentCoordinates: coordinates, similarityVector: similarity,
                          watchVector: watchFactors.userVector(movies: movies, ratings: sorted.map(\.rating),
                                                               parameters: parameters))
    }
}

/// Who a query is about: a trained user (by index) or a folded-in new user.
public enum UserReference: Sendable {
    /// A user of the training data.
    case trained(Int)
    /// A new user folded in with ``TrainedModel/foldIn(ratings:)``.
    case folded(FoldedUser)
}

/// Everything scoring needs about one user, trained or folded in.
struct UserContext {
    /// The trained index (nil for a folded user).
    let trainedIndex: Int?
    /// b_u.
    let bias: Float
    /// p_u in the similarity space.
    let latent: [Float]
    /// p_u / ‖p_u‖.
    let unitLatent: [Float]
    /// y_u.
    let watch: [Float]
    /// Rated films, ascending.
    let movies: [Int32]
    /// Ratings parallel to `movies`.
    let ratings: [Float]
    /// The films the rated-film attention attends to (the keys of the ranking's rated-film term and of the
    /// prediction's film neighbours): `movies`, or for a user with more than
    /// ``ModelParameters/attendedMovieLimit`` of them that many, evenly spaced (ascending).
    let keyMovies: [Int32]
    /// Ratings parallel to `keyMovies`.
    let keyRatings: [Float]

    /// A context whose keys are its films, or `limit` of them evenly spaced (`movies[t·n/limit]`) when it has more.
    init(trainedIndex: Int?, bias: Float, latent: [Float], unitLatent: [Float], watch: [Float], movies: [Int32],
         ratings: [Float], keyLimit limit: Int) {
        self.trainedIndex = trainedIndex
        self.bias = bias
        self.latent = latent
        self.unitLatent = unitLatent
        self.watch = watch
        self.movies = movies
        self.ratings = ratings
        if movies.count > limit && limit > 0 {
            let picks = evenlySpacedPositions(movies.count, keep: limit)
            keyMovies = picks.map { movies[$0] }
            keyRatings = picks.map { ratings[$0] }
        } else {
            keyMovies = movies
            keyRatings = ratings
        }
    }
}

/// `keep` of the positions `0..<count`, evenly spaced: `t·count/keep` for t in `0..<keep` (`keep ≤ count`).
func evenlySpacedPositions(_ count: Int, keep: Int) -> [Int] {
    (0..<keep).map { $0 * count / keep }
}

extension TrainedModel {
    /// The scoring context of a user reference.
    func context(_ reference: UserReference) throws -> UserContext {
        switch reference {
        case .trained(let u):
            try checkUser(u)
            let range = ratings.userRange(u)
            return UserContext(trainedIndex: u, bias: baseline.userBias[u], latent: Array(factors.userVectors.row(u)),
                               unitLatent: Array(factors.unitUserVectors.row(u)),
                               watch: Array(watchFactors.userVectors.row(u)),
                               movies: Array(ratings.byUser.columnIndices[range]),
                               ratings: Array(ratings.byUser.values[range]), keyLimit: parameters.attendedMovieLimit)
        case .folded(let user):
            guard user.similarityVector.count == factors.rank, user.watchVector.count == watchFactors.rank else {
                throw ModelError(.invalidData, field: "folded user", value: "vectors of length \(user.similarityVector.count)",
                                 expected: "a user folded into this model (rank \(factors.rank))")
            }
            let norm = dot(user.similarityVector, user.similarityVector).squareRoot()
            return UserContext(trainedIndex: nil, bias: user.bias, latent: user.similarityVector,
                               unitLatent: user.similarityVector.map { norm > 0 ? $0 / norm : 0 },
                               watch: user.watchVector, movies: user.movies, ratings: user.ratings,
                               keyLimit: parameters.attendedMovieLimit)
        }
    }
}
