import MovieRecNumerics
/// One synthetic user's hidden traits and rating history times, all drawn from the user's own random stream
/// (so any user can be generated alone, on any thread, with the same result).
///
/// Taste: `p_u = 0.6·(e_f₁ + e_f₂) − 0.4·e_d + 0.5·ξ` where e_g are genre embeddings, f₁, f₂ two favourite
/// genres, d a disliked one and ξ ~ N(0, I/12). Bias b_u ~ N(0, 0.4²). 10 % rate in whole stars only.
struct UserProfile {
    /// User bias b_u.
    let bias: Float
    /// Taste vector p_u (`tasteDimensions` floats).
    let taste: [Float]
    /// True for users who never give half stars.
    let wholeStarsOnly: Bool

    /// Draws the traits; these are the first draws of the user's stream.
    init(catalog: MovieCatalog, using rng: inout SeededGenerator) {
        let d = tasteDimensions
        bias = Float(0.4 * rng.nextGaussian())
        let first = MovieLensGenre.draw(excluding: [], using: &rng)
        let second = MovieLensGenre.draw(excluding: [first], using: &rng)
        let disliked = MovieLensGenre.draw(excluding: [first, second], using: &rng)
        let noiseScale = 0.5 / Double(d).squareRoot()
        var taste = [Float](repeating: 0, count: d)
        for k in 0..<d {
            let e = catalog.genreEmbeddings
            taste[k] = 0.6 * (e[first * d + k] + e[second * d + k]) - 0.4 * e[disliked * d + k]
                + Float(noiseScale * rng.nextGaussian())
        }
        self.taste = taste
        wholeStarsOnly = rng.nextUniform() < 0.1
    }

    /// Latent score s = b_u + b_i + 1.2·p_u·q_i + 0.55·ε (ε ~ N(0, 1)) for film `movie`.
    func score(movie: Int, catalog: MovieCatalog, using rng: inout SeededGenerator) -> Float {
        let d = tasteDimensions
        var dot: Float = 0
        catalog.tastes.withUnsafeBufferPointer { q in
            for k in 0..<d { dot += taste[k] * q[movie * d + k] }
        }
        return bias + catalog.biases[movie] + 1.2 * dot + Float(0.55 * rng.nextGaussian())
    }

    /// Offsets in seconds of `n` ratings from the first one, strictly increasing: bursts of ratings
    /// 8 s + Exp(50 s) apart, broken into sessions (probability min(0.5, 1.5/√n) per step) Exp(45 days) apart.
    static func sessionOffsets(count n: Int, into offsets: inout [Double], using rng: inout SeededGenerator) {
        offsets.removeAll(keepingCapacity: true)
        let breakProbability = min(0.5, 1.5 / Double(n).squareRoot())
        var t = 0.0
        for k in 0..<n {
            if k > 0 {
                if rng.nextUniform() < breakProbability {
                    t += 3_600 + rng.nextExponential(mean: 45 * 86_400)
                } else {
                    t += 8 + rng.nextExponential(mean: 50)
                }
            }
            offsets.append(t)
        }
    }
}
