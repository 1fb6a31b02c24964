import MovieRecModel
import MovieRecNumerics

/// The worked example of `worked-example.md` section 1: 7 users × 5 films (0 = not rated).
enum WorkedExample {
    /// Rows P1…P7; columns Star Wars, The Matrix, Iron Man, You've Got Mail, Titanic.
    static let matrix: [[Float]] = [
        [1, 1, 1, 0, 0],
        [3, 3, 3, 0, 0],
        [4, 4, 4, 0, 0],
        [5, 5, 5, 0, 0],
        [0, 2, 0, 4, 4],
        [0, 0, 0, 5, 5],
        [0, 1, 0, 2, 2],
    ]

    /// The nonzero entries as ``RatingData``.
    static var data: RatingData { ratingData(from: matrix) }

    /// P8 rated only Star Wars 5.
    static let p8: [(movie: Int32, rating: Float)] = [(0, 5)]
    /// P9 rated The Matrix 4 and Iron Man 5.
    static let p9: [(movie: Int32, rating: Float)] = [(1, 4), (2, 5)]

    /// Parameters reproducing the worked example: no baseline, rank `rank`.
    static func parameters(rank: Int) -> ModelParameters {
        var parameters = ModelParameters()
        parameters.baselineMode = .none
        parameters.rank = rank
        parameters.watchRank = 2
        return parameters
    }
}

/// The nonzero entries of a dense matrix (0 = not rated) as rating data, in reverse order to show
/// that the input order does not matter.
func ratingData(from matrix: [[Float]]) -> RatingData {
    var users: [Int32] = [], movies: [Int32] = [], ratings: [Float] = []
    for (u, row) in matrix.enumerated() {
        for (i, r) in row.enumerated() where r != 0 {
            users.append(Int32(u))
            movies.append(Int32(i))
            ratings.append(r)
        }
    }
    return RatingData(userCount: matrix.count, movieCount: matrix[0].count, userIndex: users.reversed(),
                      movieIndex: movies.reversed(), rating: ratings.reversed())
}

/// A seeded synthetic data set with a two-taste structure: `users × movies`, each user rates about
/// `density` of the films; ratings in 0.5…5 by half stars.
func syntheticData(users: Int = 80, movies: Int = 60, density: Double = 0.3, seed: UInt64 = 11) -> RatingData {
    var generator = SeededGenerator(seed: seed)
    let userTaste = (0..<users).map { _ in (generator.nextGaussian(), generator.nextGaussian()) }
    let movieTaste = (0..<movies).map { _ in (generator.nextGaussian(), generator.nextGaussian()) }
    var u: [Int32] = [], m: [Int32] = [], r: [Float] = []
    for a in 0..<users {
        for b in 0..<movies where generator.nextUniform() < density {
            let score = 3.4 + 0.6 * (userTaste[a].0 * movieTaste[b].0 + userTaste[a].1 * movieTaste[b].1)
                + 0.3 * generator.nextGaussian()
            u.append(Int32(a))
            m.append(Int32(b))
            r.append(Float(min(max((score * 2).rounded() / 2, 0.5), 5)))
        }
    }
    return RatingData(userCount: users, movieCount: movies, userIndex: u, movieIndex: m, rating: r)
}

/// Parameters small enough for ``syntheticData(users:movies:density:seed:)``.
func smallParameters() -> ModelParameters {
    var parameters = ModelParameters()
    parameters.rank = 8
    parameters.watchRank = 8
    parameters.neighbours = 10
    return parameters
}

/// Cosine computed straightforwardly in `Double`.
func referenceCosine(_ a: [Float], _ b: [Float]) -> Double {
    var (ab, aa, bb) = (0.0, 0.0, 0.0)
    for (x, y) in zip(a, b) {
        ab += Double(x) * Double(y)
        aa += Double(x) * Double(x)
        bb += Double(y) * Double(y)
    }
    return ab / (aa.squareRoot() * bb.squareRoot())
}

/// `x` rounded to the nearest IEEE binary16 value (ties to even), as a `Float`, for |x| < 65504: the quantum of
/// x's binade (or of the subnormal range) is a power of two, so the scaling and rounding below are exact.
func binary16Rounded(_ x: Float) -> Float {
    guard x != 0, x.isFinite else { return x }
    let quantum = Float(sign: .plus, exponent: max(Int(x.exponent), -14) - 10, significand: 1)
    return (x / quantum).rounded(.toNearestOrEven) * quantum
}
