/// The baseline estimate `r̂ᵤᵢ = μ + b_u + b_i`: a global mean plus a user and a film offset.
public struct Baseline: Sendable, Equatable {
    /// μ, the mean of all training ratings (0 with ``BaselineMode/none``).
    public let globalMean: Float
    /// b_u for every user index.
    public var userBias: [Float]
    /// b_i for every film index.
    public var movieBias: [Float]

    /// Creates a baseline from its parts.
    public init(globalMean: Float, userBias: [Float], movieBias: [Float]) {
        self.globalMean = globalMean
        self.userBias = userBias
        self.movieBias = movieBias
    }

    /// `μ + b_u + b_i`.
    @inline(__always)
    public func estimate(user u: Int, movie i: Int) -> Float {
        globalMean + userBias[u] + movieBias[i]
    }

    /// The shrunk bias of a user who is not in the training data:
    /// `b_u = Σⱼ (r_uj − μ − b_j) / (λ_u + n_u)` over the user's `n_u` ratings (0 with no ratings).
    ///
    /// This is exactly the user step of ``BaselineEstimator``, so a trained user's own ratings give back
    /// that user's trained bias.
    public func userBias(for ratings: [(movie: Int32, rating: Float)], userRegularization: Float) -> Float {
        guard !ratings.isEmpty else { return 0 }
        var sum: Float = 0
        for (movie, rating) in ratings { sum += rating - globalMean - movieBias[Int(movie)] }
        return sum / (userRegularization + Float(ratings.count))
    }
}

/// How the baseline is fitted.
public enum BaselineMode: String, Codable, Sendable, CaseIterable {
    /// Regularised biases fitted by ``BaselineEstimator``.
    case bias
    /// No baseline: `μ = 0`, all biases 0, so the latent factors are the plain SVD of the raw ratings
    /// (the worked example).
    case none
}

/// Fits ``Baseline`` biases by regularised alternating least squares (Koren 2010; the `als` method of
/// Surprise's `BaselineOnly`).
///
/// With μ the mean rating, each sweep first updates every film, then every user:
///
///     b_i = Σ_{u ∈ R(i)} (r_ui − μ − b_u) / (λ_i + |R(i)|)
///     b_u = Σ_{i ∈ R(u)} (r_ui − μ − b_i) / (λ_u + |R(u)|)
///
/// which minimises `Σ (r_ui − μ − b_u − b_i)² + λ_u Σ b_u² + λ_i Σ b_i²` one block at a time.
/// Defaults are Surprise's: λ_i = 10 (`reg_i`), λ_u = 15 (`reg_u`), 10 sweeps (`n_epochs`).
/// The user step comes last, so ``Baseline/userBias(for:userRegularization:)`` reproduces a trained
/// user's bias from their ratings.
public struct BaselineEstimator: Sendable, Equatable {
    /// λ_i, the shrinkage of film biases toward 0.
    public var movieRegularization: Float
    /// λ_u, the shrinkage of user biases toward 0.
    public var userRegularization: Float
    /// Number of alternating sweeps.
    public var sweeps: Int

    /// Creates an estimator (defaults λ_i = 10, λ_u = 15, 10 sweeps).
    public init(movieRegularization: Float = 10, userRegularization: Float = 15, sweeps: Int = 10) {
        self.movieRegularization = movieRegularization
        self.userRegularization = userRegularization
        self.sweeps = sweeps
    }

    /// Fits the baseline of `ratings` (with `.none` returns μ = 0 and zero biases).
    public func fit(_ ratings: RatingMatrix, mode: BaselineMode = .bias) -> Baseline {
        var userBias = [Float](repeating: 0, count: ratings.userCount)
        var movieBias = [Float](repeating: 0, count: ratings.movieCount)
        guard mode == .bias else { return Baseline(globalMean: 0, userBias: userBias, movieBias: movieBias) }
        var total = 0.0
        for r in ratings.byUser.values { total += Double(r) }
        let mu = Float(total / Double(max(ratings.byUser.nonzeroCount, 1)))
        let byUser = ratings.byUser
        let byMovie = ratings.byMovie
        for _ in 0..<sweeps {
            for i in 0..<ratings.movieCount {
                let range = ratings.movieRange(i)
                var sum: Float = 0
                for p in range { sum += byMovie.values[p] - mu - userBias[Int(byMovie.columnIndices[p])] }
                movieBias[i] = sum / (movieRegularization + Float(range.count))
            }
            for u in 0..<ratings.userCount {
                let range = ratings.userRange(u)
                var sum: Float = 0
                for p in range { sum += byUser.values[p] - mu - movieBias[Int(byUser.columnIndices[p])] }
                userBias[u] = sum / (userRegularization + Float(range.count))
            }
        }
        return Baseline(globalMean: mu, userBias: userBias, movieBias: movieBias)
    }
}
