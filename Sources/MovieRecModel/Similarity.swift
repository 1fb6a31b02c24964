import MovieRecNumerics

/// A user similar to the query user.
public struct SimilarUser: Sendable, Equatable {
    /// The user index.
    public let user: Int
    /// Latent cosine to the query user (similarity space `U_k·S_k`).
    public let cosine: Float
    /// How many films both rated.
    public let commonMovies: Int
    /// The cosine shrunk by the user's support, `cos·n/(n + λ)` (n = the user's ratings), which orders the list.
    public var score: Float = 0
}

/// A film near the query film in latent space.
public struct SimilarMovie: Sendable, Equatable {
    /// The film index.
    public let movie: Int
    /// Latent cosine (rows of `V_k·S_k^e`, see ``LatentFactors``).
    public let cosine: Float
    /// The cosine shrunk by the film's support, `cos·n/(n + λ)` (n = its ratings), which orders the list.
    public var score: Float = 0
    /// The film's number of training ratings.
    public var ratingCount: Int = 0
}

/// The raw co-rating cosine of two users over the films both rated.
///
/// With C the n common films: `cos = Σ_{j∈C} r_aj·r_bj / (√Σ_{j∈C} r_aj² · √Σ_{j∈C} r_bj²)` and the
/// reported value `cos · n / (n + λ_s)`; when `n` is below the minimum support the value is 0 and
/// ``hasEnoughOverlap`` is false — two users who share a single film are not "identical".
public struct RawCosine: Sendable, Equatable {
    /// The shrunk cosine (0 when there is not enough overlap).
    public let value: Float
    /// The cosine before shrinkage (0 when there is not enough overlap).
    public let unshrunk: Float
    /// n, the number of films both rated.
    public let commonMovies: Int
    /// Whether n reached the minimum support.
    public let hasEnoughOverlap: Bool
}

/// A film two compared users both rated.
public struct CommonRating: Sendable, Equatable {
    /// The film index.
    public let movie: Int
    /// The first user's rating.
    public let first: Float
    /// The second user's rating.
    public let second: Float
}

/// How alike two users are.
public struct UserComparison: Sendable, Equatable {
    /// Latent cosine in the similarity space.
    public let latentCosine: Float
    /// The raw co-rating cosine with support and shrinkage.
    public let rawCosine: RawCosine
    /// The films both rated, by film index.
    public let common: [CommonRating]
}

extension TrainedModel {
    /// Latent cosine of two users in the similarity space `U_k·S_k` (folded users: `x·V_k`).
    public func latentCosine(_ a: UserReference, _ b: UserReference) throws -> Float {
        dot(try context(a).unitLatent, try context(b).unitLatent)
    }

    /// The `count` users most similar to `user`, most similar first (never the user itself; ties: lower
    /// index): latent cosines shrunk by support, `cos·f_v` with `f_v = n_v/(n_v + λ)`, n_v the other user's number
    /// of ratings and λ = ``ModelParameters/similaritySupportShrinkage``, so users with a handful of ratings
    /// cannot top the list. One pass of SIMD dot products over the unit user vectors (a binary16 first pass,
    /// the rows that can reach the list scored again exactly). `options`: workers of the scan (a server
    /// answering many requests at once passes ``ParallelOptions/serial``); the result does not depend on them.
    public func mostSimilarUsers(to user: UserReference, count: Int,
                                 options: ParallelOptions = .default) throws -> [SimilarUser] {
        let context = try self.context(user)
        let best = factors.unitUserPanels.best(count, for: context.unitLatent, scaledBy: userSupportFactors,
                                               excluding: context.trainedIndex, options: options)
        return best.map { entry, cosine in
            let range = ratings.userRange(entry.index)
            return SimilarUser(user: entry.index, cosine: cosine,
                               commonMovies: commonRatings(context.movies, context.ratings,
                                                           Array(ratings.byUser.columnIndices[range]),
                                                           Array(ratings.byUser.values[range])).count,
                               score: entry.score)
        }
    }

    /// The `count` users most similar to trained user `user` (see ``mostSimilarUsers(to:count:)``).
    public func mostSimilarUsers(to user: Int, count: Int) throws -> [SimilarUser] {
        try mostSimilarUsers(to: .trained(user), count: count)
    }

    /// The `count` films nearest to `movie`, never the film itself: latent cosines (rows of `V_k·S_k^e`)
    /// shrunk by support, `cos·n_j/(n_j + λ)` (n_j = the film's ratings, λ =
    /// ``ModelParameters/similaritySupportShrinkage``), among the films with at least `minimumRatings` ratings.
    /// `options`: workers of the scan (the result does not depend on them).
    public func mostSimilarMovies(to movie: Int, count: Int, minimumRatings: Int = 1,
                                  options: ParallelOptions = .default) throws -> [SimilarMovie] {
        try checkMovie(movie)
        let cosines = factors.unitMoviePanels.multiplied(by: Array(factors.unitMovieVectors.row(movie)), options: options)
        let lambda = parameters.similaritySupportShrinkage
        var selection = TopSelection(capacity: count)
        for (j, cosine) in cosines.enumerated() where j != movie {
            let n = ratings.movieRange(j).count
            guard n >= minimumRatings, n > 0 else { continue }
            selection.offer(score: cosine * Self.supportFactor(ratings: n, shrinkage: lambda), index: j)
        }
        return selection.sorted().map {
            SimilarMovie(movie: $0.index, cosine: cosines[$0.index], score: $0.score,
                         ratingCount: ratings.movieRange($0.index).count)
        }
    }

    /// The raw co-rating cosine of two users (see ``RawCosine``), with the model's minimum support and λ_s.
    public func rawCosine(_ a: UserReference, _ b: UserReference) throws -> RawCosine {
        let (first, second) = (try context(a), try context(b))
        return rawCosine(of: commonRatings(first.movies, first.ratings, second.movies, second.ratings))
    }

    /// The number of films both users rated.
    public func commonMovieCount(_ a: UserReference, _ b: UserReference) throws -> Int {
        let (first, second) = (try context(a), try context(b))
        return commonRatings(first.movies, first.ratings, second.movies, second.ratings).count
    }

    /// Latent cosine, raw cosine and the common films of two users.
    public func compare(_ a: UserReference, _ b: UserReference) throws -> UserComparison {
        let (first, second) = (try context(a), try context(b))
        let common = commonRatings(first.movies, first.ratings, second.movies, second.ratings)
        return UserComparison(latentCosine: dot(first.unitLatent, second.unitLatent),
                              rawCosine: rawCosine(of: common), common: common)
    }

    /// Shrunk raw cosine over the given common ratings.
    func rawCosine(of common: [CommonRating]) -> RawCosine {
        let n = common.count
        guard n >= parameters.rawCosineMinimumSupport, n > 0 else {
            return RawCosine(value: 0, unshrunk: 0, commonMovies: n, hasEnoughOverlap: false)
        }
        var (ab, aa, bb) = (0.0, 0.0, 0.0)
        for entry in common {
            ab += Double(entry.first) * Double(entry.second)
            aa += Double(entry.first) * Double(entry.first)
            bb += Double(entry.second) * Double(entry.second)
        }
        let cosine = aa > 0 && bb > 0 ? Float(ab / (aa.squareRoot() * bb.squareRoot())) : 0
        let shrink = Float(n) / (Float(n) + parameters.rawCosineShrinkage)
        return RawCosine(value: cosine * shrink, unshrunk: cosine, commonMovies: n, hasEnoughOverlap: true)
    }
}

/// The films in both ascending lists, with both ratings (a merge, O(n_a + n_b)).
func commonRatings(_ moviesA: [Int32], _ ratingsA: [Float], _ moviesB: [Int32], _ ratingsB: [Float]) -> [CommonRating] {
    var (a, b) = (0, 0)
    var common: [CommonRating] = []
    while a < moviesA.count && b < moviesB.count {
        if moviesA[a] < moviesB[b] {
            a += 1
        } else if moviesA[a] > moviesB[b] {
            b += 1
        } else {
            common.append(CommonRating(movie: Int(moviesA[a]), first: ratingsA[a], second: ratingsB[b]))
            a += 1
            b += 1
        }
    }
    return common
}
