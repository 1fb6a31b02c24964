import Foundation
import MovieRecNumerics

/// The rank-k truncated SVD of the residual matrix `R = X − baseline` (observed entries only; missing = 0):
/// `R ≈ U_k·S_k·V_kᵀ`.
///
/// - user vectors `p_u = r_u·V_k` (r_u = the user's residual row), i.e. rows of `U_k·S_k` (exactly so
///   for an exact SVD; for the randomized SVD this is the projection onto the computed film subspace,
///   which keeps trained and folded-in users in one space). This is the *similarity space*: user cosines
///   are taken here;
/// - film vectors `q_i` = rows of `V_k` (orthonormal columns), so `p_u·q_i` is the rank-k reconstruction
///   of the residual `r_ui − (μ + b_u + b_i)`;
/// - film similarity vectors = rows of `V_k·S_k^e` (e = ``ModelParameters/movieSimilarityExponent``,
///   1.5 by default: stressing the strong tastes a little more than for users gave better film
///   neighbours on ml-latest-small; e = 1 is the users' scaling).
///
/// In the worked example (baseline none, k = 2) the singular values are 12.4810, 9.5086 (of 12.4810,
/// 9.5086, 1.3456, 0, 0) and the latent cosine of P1 and P5 is 0.1958.
public struct LatentFactors: Sendable {
    /// σ₁ ≥ … ≥ σ_k.
    public let singularValues: [Float]
    /// `U_k·S_k`, `users × k`.
    public let userVectors: DenseMatrix
    /// `V_k`, `movies × k`.
    public let movieVectors: DenseMatrix
    /// Rows of `U_k·S_k` scaled to unit length (zero rows stay zero): latent user cosines are dot products.
    let unitUserVectors: DenseMatrix
    /// ``unitUserVectors`` in panels (with a binary16 copy), for one-pass cosines against all users.
    let unitUserPanels: RowPanels
    /// ``unitUserVectors`` as binary16 rows of ``halfStride`` values (zero padded): the predictions' cosines to a
    /// film's raters (``TrainedModel/raterCosines(_:raters:into:)``) read half the bytes of the full rows.
    let halfUnitUserRows: [UInt16]
    /// Row length of ``halfUnitUserRows``: k rounded up to a multiple of 16.
    let halfStride: Int
    /// ``unitMovieVectors`` in panels, for one-pass cosines against all films.
    let unitMoviePanels: RowPanels
    /// Rows of `V_k·S_k^e` scaled to unit length (zero rows stay zero).
    let unitMovieVectors: DenseMatrix

    /// Creates factors from the user vectors, `V_k` and the singular values (k = `singularValues.count`);
    /// film cosines are taken between rows of `V_k·S_k^e` with e = `movieSimilarityExponent`.
    public init(singularValues: [Float], userVectors: DenseMatrix, movieVectors: DenseMatrix,
                movieSimilarityExponent: Float = 1) {
        precondition(userVectors.columns == singularValues.count && movieVectors.columns == singularValues.count,
                     "LatentFactors: factor widths differ from the number of singular values")
        self.singularValues = singularValues
        self.userVectors = userVectors
        self.movieVectors = movieVectors
        unitUserVectors = userVectors.rowsNormalized()
        var scaled = movieVectors
        let k = singularValues.count
        let weights = singularValues.map { Float(pow(Double($0), Double(movieSimilarityExponent))) }
        for r in 0..<scaled.rows { for c in 0..<k { scaled.values[r * k + c] *= weights[c] } }
        unitMovieVectors = scaled.rowsNormalized()
        unitUserPanels = RowPanels(unitUserVectors, halfCopy: true)
        unitMoviePanels = RowPanels(unitMovieVectors)
        let stride = (k + 15) / 16 * 16
        var padded = [Float](repeating: 0, count: unitUserVectors.rows * stride)
        for r in 0..<unitUserVectors.rows {
            for c in 0..<k { padded[r * stride + c] = unitUserVectors.values[r * k + c] }
        }
        halfStride = stride
        halfUnitUserRows = halfPrecisionBits(padded)
    }

    /// Computes the factors of `ratings − baseline` with a seeded randomized truncated SVD.
    ///
    /// - Throws: ``ModelError`` `.rankTooLarge` when `rank > min(users, films)`, `.invalidParameter` when
    ///   `rank < 1`.
    public static func compute(ratings: RatingMatrix, baseline: Baseline, rank: Int, oversampling: Int = 0,
                               powerIterations: Int = 4, movieSimilarityExponent: Float = 1,
                               seed: UInt64) throws -> LatentFactors {
        let residuals = ratings.byUser.mapValues { u, i, r in r - baseline.estimate(user: u, movie: i) }
        let svd = try decompose(residuals, rank: rank, oversampling: oversampling,
                                powerIterations: powerIterations, seed: seed)
        // p_u = r_u·V_k: equal to row u of U_k·S_k for an exact SVD, and exactly what fold-in computes
        // for a new user, so a trained user's own ratings fold in to the trained vector.
        let userVectors = residuals.multiplied(by: svd.v)
        return LatentFactors(singularValues: svd.singularValues, userVectors: userVectors, movieVectors: svd.v,
                             movieSimilarityExponent: movieSimilarityExponent)
    }

    /// Number of latent dimensions k.
    public var rank: Int { singularValues.count }
}

/// Runs ``TruncatedSVD`` on `matrix` (singular values and `V` only: the model projects its own user vectors)
/// and maps its errors to ``ModelError``.
func decompose(_ matrix: CSRMatrix, rank: Int, oversampling: Int, powerIterations: Int,
               seed: UInt64) throws -> TruncatedSVDResult {
    let limit = min(matrix.rows, matrix.columns)
    guard rank >= 1 else {
        throw ModelError(.invalidParameter, field: "rank", value: "\(rank)", expected: "a rank of at least 1")
    }
    guard rank <= limit else {
        throw ModelError(.rankTooLarge, field: "rank", value: "\(rank)",
                         expected: "at most min(users \(matrix.rows), films \(matrix.columns)) = \(limit)")
    }
    do {
        return try TruncatedSVD(rank: rank, oversampling: oversampling, powerIterations: powerIterations,
                                seed: seed).decompose(matrix, leftVectors: false)
    } catch let error as NumericsError {
        throw ModelError(.numerics, field: "truncated SVD", value: error.description, expected: "a decomposable matrix")
    }
}

extension DenseMatrix {
    /// Each row divided by its Euclidean norm; zero rows stay zero.
    func rowsNormalized() -> DenseMatrix {
        var out = self
        let k = columns
        guard k > 0 else { return out }
        out.values.withUnsafeMutableBufferPointer { buffer in
            for r in 0..<rows {
                let row = UnsafeMutableBufferPointer(rebasing: buffer[(r * k)..<((r + 1) * k)])
                let norm = dot(UnsafeBufferPointer(row), UnsafeBufferPointer(row)).squareRoot()
                guard norm > 0 else { continue }
                for c in row.indices { row[c] /= norm }
            }
        }
        return out
    }

    /// Row `r` as a buffer pointer passed to `body`.
    @inline(__always)
    func withRow<Result>(_ r: Int, _ body: (UnsafeBufferPointer<Float>) -> Result) -> Result {
        values.withUnsafeBufferPointer { buffer in
            body(UnsafeBufferPointer(rebasing: buffer[(r * columns)..<((r + 1) * columns)]))
        }
    }
}
