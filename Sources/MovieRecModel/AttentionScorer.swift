import MovieRecNumerics

/// Scaled dot-product attention over neighbours, with a null key.
///
/// For a query `q` and keys `k₁…k_K` of dimension d with scalar values `v₁…v_K`:
///
///     logitⱼ = q·kⱼ / (√d·τ)
///     w = softmax(0, logit₁, …, logit_K)        (the leading 0 is the null key: key 0, value 0)
///     output = Σⱼ wⱼ·vⱼ
///
/// In the model the query and keys are latent vectors rescaled to norm √d, so
/// `q·k/√d = √d·cos(q, k)`: the logits depend only on the cosines (not on how long the latent vectors
/// happen to be) and τ alone sets how sharp the weighting is. The null key always has logit 0, so
/// when there are few neighbours or only weakly similar ones most weight stays on it and the output
/// shrinks toward 0 — the prediction then falls back to the baseline + SVD estimate. The softmax
/// subtracts the largest logit before exponentiating (stable for any scale).
public struct AttentionScorer: Sendable, Equatable {
    /// d, the dimension of queries and keys.
    public let dimension: Int
    /// τ, the temperature (larger → flatter weights, more weight on the null key).
    public let temperature: Float

    /// Creates a scorer for d-dimensional keys with temperature τ.
    public init(dimension: Int, temperature: Float) {
        self.dimension = dimension
        self.temperature = temperature
    }

    /// The attention weights of neighbours with the given cosines to the query, plus the null key:
    /// logits `√d·cosⱼ/τ` and `0` (null), softmax over all of them.
    ///
    /// - Returns: one weight per cosine, and the null key's weight; they sum to 1.
    public func weights(cosines: [Float]) -> (weights: [Float], nullWeight: Float) {
        var nullWeight: Float = 1
        let weights = [Float](unsafeUninitializedCapacity: cosines.count) { buffer, initialized in
            nullWeight = cosines.withUnsafeBufferPointer { self.weights(cosines: $0, into: buffer) }
            initialized = cosines.count
        }
        return (weights, nullWeight)
    }

    /// The same weights written to `weights` (room for one per cosine); returns the null key's weight.
    public func weights(cosines: UnsafeBufferPointer<Float>, into weights: UnsafeMutableBufferPointer<Float>) -> Float {
        // ``nullKeySoftmax``: the exponential is built from IEEE arithmetic, so the weights have the same bits on
        // every processor (the C library's `exp` may differ in the last bit between Linux and macOS).
        let scale = Float(dimension).squareRoot() / temperature
        return nullKeySoftmax(cosines: cosines, values: nil, scale: scale, weights: weights).nullWeight
    }

    /// Plain scaled dot-product attention of one query over vector-valued entries:
    /// `w = softmax(q·Kᵀ / (√d·τ))` (with `nullKey`, an extra zero key with a zero value is prepended),
    /// `output = w·V`, where d = `query.count`.
    ///
    /// With τ = 1 and no null key this is `Attention(Q, K, V) = softmax(QKᵀ/√d)·V` for one row of `Q`.
    public static func attend(query: [Float], keys: [[Float]], values: [[Float]], temperature: Float = 1,
                              nullKey: Bool = false) -> (weights: [Float], nullWeight: Float, output: [Float]) {
        precondition(keys.count == values.count, "attend: \(keys.count) keys but \(values.count) values")
        let scale = 1 / (Float(query.count).squareRoot() * temperature)
        let logits = keys.map { dot(query, $0) * scale }
        let all = softmax(nullKey ? [0] + logits : logits)
        let weights = nullKey ? Array(all.dropFirst()) : all
        let width = values.first?.count ?? 0
        var output = [Float](repeating: 0, count: width)
        for (w, value) in zip(weights, values) {
            for c in 0..<width { output[c] += w * value[c] }
        }
        return (weights, nullKey ? all[0] : 0, output)
    }
}

/// Why the model predicts what it does for one user and one film.
///
/// The unclipped prediction is `baseline + svd + userAttention + movieAttention`, where
/// `baseline = μ + b_u + b_i`, `svd = α_svd·p_u·q_i`, `userAttention = α_user·Σ w·v` over user
/// neighbours and `movieAttention = α_film·Σ w·v` over film neighbours (v = residual ratings).
public struct Explanation: Sendable, Equatable {
    /// `μ + b_u + b_i`.
    public let baseline: Float
    /// `α_svd·(p_u·q_i)`.
    public let svd: Float
    /// `α_user·Σ w·v` over the user neighbours.
    public let userAttention: Float
    /// `α_film·Σ w·v` over the film neighbours.
    public let movieAttention: Float
    /// Weight left on the null key of the user-neighbour attention.
    public let userNullWeight: Float
    /// Weight left on the null key of the film-neighbour attention.
    public let movieNullWeight: Float
    /// The neighbours with the largest attention weights (both kinds), largest first.
    public let neighbours: [Neighbour]

    /// `baseline + svd + userAttention + movieAttention` (before clipping to the rating scale).
    public var unclippedRating: Float { baseline + svd + userAttention + movieAttention }
}

/// A neighbour that took part in an attention step.
public struct Neighbour: Sendable, Equatable {
    /// Whether the neighbour is a user (who rated the film) or a film (that the user rated).
    public enum Kind: String, Sendable, Codable {
        /// A similar user who rated the candidate film; `rating` is their rating of it.
        case user
        /// A film the user rated that is similar to the candidate; `rating` is the user's rating of it.
        case movie
    }

    /// User or film.
    public let kind: Kind
    /// The user index (kind `.user`) or film index (kind `.movie`).
    public let index: Int
    /// Its attention weight.
    public let weight: Float
    /// Its latent cosine to the query.
    public let cosine: Float
    /// The rating involved (the neighbour user's rating of the film, or the user's rating of the neighbour film).
    public let rating: Float
    /// The residual value attended to: that rating minus its baseline.
    public let residual: Float
}
