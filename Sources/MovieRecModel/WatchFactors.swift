import Foundation
import MovieRecNumerics

/// "Watch" factors for ranking: a PureSVD (Cremonesi et al. 2010) of the implicit matrix.
///
/// `Y[u, i] = 1` when user u rated film i (whatever the rating), else 0. Columns are scaled by
/// `sᵢ = nᵢ^−β` (nᵢ = number of ratings of film i) to damp the pull of blockbusters, `Ỹ = Y·diag(s)`,
/// and `Ỹ ≈ U_w·S_w·V_wᵀ`. A user's watch vector is `y_u = ỹ_u·V_w` (= row of `U_w·S_w`), and
/// the watch score of film i is the rank-k reconstruction `ŷ_ui = y_u·V_w[i]`: how strongly the
/// user's viewing history points at the film. A new user's `y` is computed the same way from their films.
public struct WatchFactors: Sendable {
    /// `y_u = ỹ_u·V_w`, `users × k_w`.
    public let userVectors: DenseMatrix
    /// `V_w`, `movies × k_w`.
    public let movieVectors: DenseMatrix
    /// `sᵢ = nᵢ^−β` (0 for a film nobody rated).
    public let columnScale: [Float]

    /// Creates watch factors from their parts.
    public init(userVectors: DenseMatrix, movieVectors: DenseMatrix, columnScale: [Float]) {
        self.userVectors = userVectors
        self.movieVectors = movieVectors
        self.columnScale = columnScale
    }

    /// Fits the rank-`rank` watch factors of `ratings` with popularity exponent β = `popularityExponent`.
    public static func compute(ratings: RatingMatrix, rank: Int, popularityExponent: Float, oversampling: Int,
                               powerIterations: Int, seed: UInt64) throws -> WatchFactors {
        var scale = [Float](repeating: 0, count: ratings.movieCount)
        for i in 0..<ratings.movieCount {
            let n = ratings.movieRange(i).count
            if n > 0 { scale[i] = Float(pow(Double(n), -Double(popularityExponent))) }
        }
        let implicit = ratings.byUser.mapValues { _, i, _ in scale[i] }
        let svd = try decompose(implicit, rank: rank, oversampling: oversampling,
                                powerIterations: powerIterations, seed: seed)
        let users = implicit.multiplied(by: svd.v)
        return WatchFactors(userVectors: users, movieVectors: svd.v, columnScale: scale)
    }

    /// Number of watch dimensions k_w.
    public var rank: Int { movieVectors.columns }

    /// `y = Σⱼ sⱼ·V_w[j]` over the films `movies` a (new) user rated.
    public func userVector(for movies: [Int32]) -> [Float] {
        var y = [Float](repeating: 0, count: rank)
        for movie in movies {
            let j = Int(movie)
            for c in 0..<rank { y[c] += columnScale[j] * movieVectors.values[j * rank + c] }
        }
        return y
    }
}
