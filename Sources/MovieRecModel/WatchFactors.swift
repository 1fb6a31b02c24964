import Foundation
import MovieRecNumerics

/// "Watch" factors for ranking: a PureSVD (Cremonesi, Koren & Turrin 2010) of a weighted implicit matrix.
///
/// Every rating becomes an entry `Y[u, i] = n_u^−α · n_i^−β · r_ui^p` (0 where u did not rate i), with
/// n_u the number of ratings of user u, n_i that of film i:
/// - `p` (``ModelParameters/watchRatingExponent``) weights an entry by its rating (p = 0: plain 0/1
///   "watched"; p = 2: a 5-star film counts 4× a 2.5-star one);
/// - `α` (``ModelParameters/userActivityExponent``) damps the pull of very active users on the factors;
/// - `β` (``ModelParameters/popularityExponent``) damps blockbusters (0 by default: on ml-latest-small
///   any β > 0 lowered nDCG@10).
///
/// `Y ≈ U_w·S_w·V_wᵀ`; a user's watch vector is `y_u = Y[u]·V_w` and the watch score of film i is the
/// spectrally filtered reconstruction
///
///     ŷ_ui = Σ_c y_uc · (σ_c/σ₁)^ρ · V_w[i, c]
///
/// — how strongly the user's history points at the film. ρ = 0 is plain PureSVD; ρ > 0
/// (``ModelParameters/watchSpectralExponent``, 0.5 by default) leans on the dominant tastes, which
/// ranked better on ml-latest-small. A new user's `y` is computed the same way from their ratings.
public struct WatchFactors: Sendable {
    /// `y_u = Y[u]·V_w`, `users × k_w`.
    public let userVectors: DenseMatrix
    /// `V_w`, `movies × k_w`.
    public let movieVectors: DenseMatrix
    /// σ₁ ≥ … ≥ σ_{k_w}, the singular values of `Y`.
    public let singularValues: [Float]
    /// `n_i^−β` for every film (0 for a film nobody rated).
    public let columnScale: [Float]

    /// Creates watch factors from their parts.
    public init(userVectors: DenseMatrix, movieVectors: DenseMatrix, singularValues: [Float], columnScale: [Float]) {
        self.userVectors = userVectors
        self.movieVectors = movieVectors
        self.singularValues = singularValues
        self.columnScale = columnScale
    }

    /// The spectral filter `(σ_c/σ₁)^ρ` of each watch dimension (all 1 when σ₁ = 0).
    public func spectralWeights(exponent rho: Float) -> [Float] {
        guard let first = singularValues.first, first > 0 else { return singularValues.map { _ in 1 } }
        return singularValues.map { Float(pow(Double(max($0, 0) / first), Double(rho))) }
    }

    /// Fits the watch factors of `ratings` with the ranking knobs of `parameters` (rank `rank`).
    public static func compute(ratings: RatingMatrix, rank: Int, parameters: ModelParameters) throws -> WatchFactors {
        var scale = [Float](repeating: 0, count: ratings.movieCount)
        for i in 0..<ratings.movieCount {
            let n = ratings.movieRange(i).count
            if n > 0 { scale[i] = Float(pow(Double(n), -Double(parameters.popularityExponent))) }
        }
        let damping = (0..<ratings.userCount).map { activityFactor(ratings.userRange($0).count, parameters: parameters) }
        let implicit = ratings.byUser.mapValues { u, i, r in
            entry(rating: r, columnScale: scale[i], activityFactor: damping[u], parameters: parameters)
        }
        let svd = try decompose(implicit, rank: rank, oversampling: parameters.oversampling,
                                powerIterations: parameters.powerIterations, seed: parameters.seed &+ 1)
        return WatchFactors(userVectors: implicit.multiplied(by: svd.v), movieVectors: svd.v,
                            singularValues: svd.singularValues, columnScale: scale)
    }

    /// `Y[u, i] = n_u^−α · s_i · r^p`.
    static func entry(rating: Float, columnScale: Float, activity: Int, parameters: ModelParameters) -> Float {
        entry(rating: rating, columnScale: columnScale, activityFactor: activityFactor(activity, parameters: parameters),
              parameters: parameters)
    }

    /// `n_u^−α`, the damping of a user with `activity` ratings.
    static func activityFactor(_ activity: Int, parameters: ModelParameters) -> Double {
        pow(Double(activity), -Double(parameters.userActivityExponent))
    }

    /// `Y[u, i]` with the user's damping `n_u^−α` already computed.
    static func entry(rating: Float, columnScale: Float, activityFactor: Double, parameters: ModelParameters) -> Float {
        let r = Double(rating)
        // r¹ and r² exactly (a Float squared fits a Double), without a pow call per rating.
        let weight: Double = switch parameters.watchRatingExponent {
        case 0: 1
        case 1: r
        case 2: r * r
        default: pow(r, Double(parameters.watchRatingExponent))
        }
        return Float(activityFactor * weight) * columnScale
    }

    /// Number of watch dimensions k_w.
    public var rank: Int { movieVectors.columns }

    /// `y = Σⱼ Y[j]·V_w[j]` for a (new) user with the given ratings (films ascending).
    func userVector(movies: [Int32], ratings: [Float], parameters: ModelParameters) -> [Float] {
        var y = [Float](repeating: 0, count: rank)
        for (movie, rating) in zip(movies, ratings) {
            let j = Int(movie)
            let value = Self.entry(rating: rating, columnScale: columnScale[j], activity: movies.count,
                                   parameters: parameters)
            for c in 0..<rank { y[c] += value * movieVectors.values[j * rank + c] }
        }
        return y
    }
}
