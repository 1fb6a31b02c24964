import Foundation
import MovieRecModel
import MovieRecNumerics
import MovieRecStore

/// One reason behind a recommendation: a similar user whose rating of the film, or a film the user rated, makes part
/// of its ranking score (see ``MovieRecModel/RankingBreakdown``).
public struct RecommendationReason: Codable, Sendable, Equatable {
    /// `user`: a similar user who rated the film; `movie`: a film the user rated, close to the recommended one.
    public let kind: String
    /// The neighbour user's id (kind `user`).
    public let user: String?
    /// The rated film's id (kind `movie`).
    public let movie: String?
    /// The rated film's title (kind `movie`).
    public let title: String?
    /// Its attention weight in the ranking attention (over similar users, or over the user's rated films).
    public let weight: Float
    /// Its cosine to the user (unit watch vectors) or to the recommended film (film-similarity space).
    public let cosine: Float
    /// The neighbour's rating of the film (kind `user`), or the user's rating of the rated film (kind `movie`).
    public let rating: Float
    /// Its contribution to the ranking score: `(1 − λ_m)·(λ/Ā)·weight·rating/(the neighbour's mean rating)` for a
    /// user, `(λ_m/Ī)·weight·rating/(the user's mean rating)` for a rated film.
    public let contribution: Float
    /// That contribution's share of the pick (over both attention parts plus a positive watch part).
    public let share: Float
    /// Titles of films both the user and the neighbour loved (at most 2): what ties them (empty for a film).
    public let sharedFavourites: [String]
    /// The reason in words, e.g. "someone who also loved Alien and Heat rated it 5.0 (3 % of this pick)" or
    /// "you rated Alien 5.0 (12 % of this pick)".
    public let text: String
}

/// One recommended film.
public struct RecommendedMovie: Codable, Sendable, Equatable {
    /// The film's external id.
    public let movie: String
    /// Its title.
    public let title: String
    /// The ranking score (comparable within one list only).
    public let score: Float
    /// The predicted rating.
    public let predictedRating: Float
    /// Why (when explanations were asked for): the supporting neighbours and rated films with the largest
    /// contributions, largest first (at most 5).
    public let because: [RecommendationReason]?
    /// With explanations: the attention part of the score (the sum of every neighbour's contribution).
    public let attentionScore: Float?
    /// With explanations: the rated-film attention part of the score (the sum of every rated film's contribution).
    public let ratedMovieScore: Float?
    /// With explanations: that part's share of the pick.
    public let ratedMovieShare: Float?
    /// With explanations: the watch SVD part of the score.
    public let watchScore: Float?
    /// With explanations: how many similar users rated the film.
    public let supporters: Int?
    /// With explanations: their share of the pick together.
    public let supportShare: Float?
}

/// What `recommend --json` prints and `GET /api/v1/users/{id}/recommendations` answers.
public struct RecommendationList: Codable, Sendable, Equatable {
    /// The user id, or the ratings file (or label) of a new user.
    public let user: String
    /// Whether the user was folded in from ratings outside the model.
    public let newUser: Bool
    /// Best first.
    public let recommendations: [RecommendedMovie]
    /// Lines of the ratings file or of exclusion files that were skipped (absent for a user of the database
    /// without exclusion files).
    public let unmatched: [UnmatchedLine]?
    /// A list as given.
    public init(user: String, newUser: Bool, recommendations: [RecommendedMovie], unmatched: [UnmatchedLine]?) {
        self.user = user
        self.newUser = newUser
        self.recommendations = recommendations
        self.unmatched = unmatched
    }
}

/// One similar user.
public struct SimilarUserMatch: Codable, Sendable, Equatable {
    /// The user's id.
    public let user: String
    /// Latent cosine to the query user.
    public let cosine: Float
    /// Films both rated.
    public let commonMovies: Int
    /// The cosine shrunk by the user's number of ratings, `cos·n/(n + λ_n)`, which orders the list.
    public let score: Float
}

/// What `similar --json` prints and `GET /api/v1/users/{id}/similar` answers.
public struct SimilarUsers: Codable, Sendable, Equatable {
    /// The query user (id or ratings file).
    public let user: String
    /// Most similar first; never the user itself.
    public let similar: [SimilarUserMatch]

    /// A list as given.
    public init(user: String, similar: [SimilarUserMatch]) {
        self.user = user
        self.similar = similar
    }
}

/// A film both users of a comparison rated.
public struct CommonFilm: Codable, Sendable, Equatable {
    /// The film's id.
    public let movie: String
    /// Its title.
    public let title: String
    /// A's rating.
    public let ratingA: Float
    /// B's rating.
    public let ratingB: Float
}

/// What `compare --json` prints and `GET /api/v1/compare` answers.
public struct UserComparisonReport: Codable, Sendable, Equatable {
    /// A (id or ratings file).
    public let a: String
    /// B (id or ratings file).
    public let b: String
    /// Cosine of the users' latent vectors `p = r·V_k` (the space `similar` ranks in).
    public let latentCosine: Float
    /// Cosine of the fold-in coordinates `u = p·S_k⁻¹` (every taste weighted alike).
    public let foldInCosine: Float
    /// The raw co-rating cosine over the common films, shrunk by `n / (n + λ_s)`; 0 below the minimum support.
    public let rawCosine: Float
    /// Number of films both rated.
    public let commonMovies: Int
    /// Whether `commonMovies` reached the minimum support for a raw cosine.
    public let enoughOverlap: Bool
    /// Films both rated at least ``lovedRating``, highest combined rating first.
    public let bothLoved: [CommonFilm]
    /// Films with the largest rating difference, largest first.
    public let biggestDisagreements: [CommonFilm]
    /// The "loved" threshold: 80 % of the top of the rating scale.
    public let lovedRating: Float
    /// Skipped lines of A's and B's ratings files (absent when both are users of the database).
    public let unmatched: [UnmatchedLine]?
}

/// One film near another.
public struct NearFilm: Codable, Sendable, Equatable {
    /// The film's id.
    public let movie: String
    /// Its title.
    public let title: String
    /// Latent cosine to the query film.
    public let cosine: Float
    /// The cosine shrunk by the film's number of ratings, `cos·n/(n + λ_n)`, which orders the list.
    public let score: Float
    /// The film's number of ratings.
    public let ratings: Int
}

/// What `similar-movies --json` prints and `GET /api/v1/movies/{id}/similar` answers.
public struct SimilarMovies: Codable, Sendable, Equatable {
    /// The query film's id.
    public let movie: String
    /// Its title.
    public let title: String
    /// Nearest first; never the film itself.
    public let similar: [NearFilm]
}

/// What `train --json` prints and `POST /api/v1/model/train` reports once done.
public struct TrainReport: Codable, Sendable, Equatable {
    /// K (the rank the model used: at most min(users, films)).
    public let rank: Int
    /// k_w.
    public let watchRank: Int
    /// `bias` or `none`.
    public let baseline: String
    /// The SVD seed.
    public let seed: UInt64
    /// σ₁ ≥ … ≥ σ_K of the residual matrix.
    public let singularValues: [Float]
    /// α_svd, α_user, α_film: the blend of the SVD term and the two attention terms.
    public let blend: [Float]
    /// Training time (load excluded).
    public let seconds: Double
    /// Users, films and ratings trained on.
    public let users: Int, movies: Int, ratings: Int
    /// The store's ratings version the model was trained on.
    public let ratingsVersion: Int64
    /// The database file the model was saved in.
    public let database: String
}

extension ModelSession {
    /// The top `count` films for `user` among `candidates` (by default the films they did not rate) whose predicted
    /// rating passes `floor`, with reasons when `explain`; `unmatched` is passed through to the result (skipped lines
    /// of the user's files).
    ///
    /// `options`: workers of one request (the server, answering many at once, passes ``ParallelOptions/serial``).
    public func recommendations(for user: ResolvedUser, count: Int, explain: Bool, candidates: CandidateFilter = .unrated,
                                floor: RatingFloor = .automatic, unmatched: [UnmatchedLine]? = nil,
                                options: ParallelOptions = .default) throws -> RecommendationList {
        let list = try Recommender(model: model).topN(user.reference, count: min(max(count, 0), model.movieCount),
                                                      explain: explain, candidates: candidates, floor: floor,
                                                      options: options)
        var filmIndices = list.map(\.movie)
        for recommendation in list {
            filmIndices += (recommendation.ranking?.reasons ?? []).flatMap(\.sharedFavourites)
            filmIndices += (recommendation.ranking?.movieReasons ?? []).map(\.movie)
        }
        let titles = try titles(filmIndices)
        let items = list.map { recommendation in
            RecommendedMovie(movie: movieID(recommendation.movie), title: titles[recommendation.movie] ?? "",
                             score: recommendation.score, predictedRating: recommendation.predictedRating,
                             because: recommendation.ranking.map { reasons(of: $0, titles: titles) },
                             attentionScore: recommendation.ranking?.attention,
                             ratedMovieScore: recommendation.ranking?.ratedMovies,
                             ratedMovieShare: recommendation.ranking?.ratedMovieShare,
                             watchScore: recommendation.ranking?.watch,
                             supporters: recommendation.ranking?.supporters,
                             supportShare: recommendation.ranking?.attentionShare)
        }
        return RecommendationList(user: user.label, newUser: user.trainedIndex == nil, recommendations: items,
                                  unmatched: unmatched)
    }

    /// The neighbours' and rated films' contributions of `ranking` as reasons, largest first (ties: users first, in
    /// their own order), at most 5.
    private func reasons(of ranking: RankingBreakdown, titles: MovieTitles) -> [RecommendationReason] {
        // Ordered by contribution before any text is written: only the five kept are described.
        let userCount = ranking.reasons.count
        let contributions = ranking.reasons.map(\.contribution) + ranking.movieReasons.map(\.contribution)
        return contributions.indices.sorted { (contributions[$0], -$0) > (contributions[$1], -$1) }.prefix(5).map { t in
            t < userCount ? reason(for: ranking.reasons[t], in: ranking, titles: titles)
                          : reason(for: ranking.movieReasons[t - userCount], in: ranking, titles: titles)
        }
    }

    /// A rated film's contribution as a ``RecommendationReason``: "you rated Alien 5.0 (12 % of this pick)".
    private func reason(for contribution: RatedMovieContribution, in ranking: RankingBreakdown,
                        titles: MovieTitles) -> RecommendationReason {
        let title = titles[contribution.movie] ?? movieID(contribution.movie)
        let share = ranking.share(of: contribution)
        return RecommendationReason(kind: "movie", user: nil, movie: movieID(contribution.movie), title: title,
                                    weight: contribution.weight, cosine: contribution.cosine, rating: contribution.rating,
                                    contribution: contribution.contribution, share: share, sharedFavourites: [],
                                    text: "you rated \(title) \(fixedDigits(contribution.rating, 1)) "
                                        + "(\(fixedDigits(share * 100, 0)) % of this pick)")
    }

    /// A ranking contribution as a ``RecommendationReason``, e.g. "someone who also loved Alien and Heat rated it
    /// 5.0 (3 % of this pick)": the neighbour is described by the films that tie them to the user, the id is kept.
    private func reason(for contribution: RankingContribution, in ranking: RankingBreakdown,
                        titles: MovieTitles) -> RecommendationReason {
        let favourites = contribution.sharedFavourites.map { titles[$0] ?? movieID($0) }
        let who = favourites.isEmpty ? "a user with tastes like yours"
                                     : "someone who also loved " + favourites.joined(separator: " and ")
        let share = ranking.share(of: contribution)
        return RecommendationReason(kind: "user", user: userID(contribution.user), movie: nil, title: nil,
                                    weight: contribution.weight, cosine: contribution.cosine, rating: contribution.rating,
                                    contribution: contribution.contribution, share: share, sharedFavourites: favourites,
                                    text: "\(who) rated it \(fixedDigits(contribution.rating, 1)) "
                                        + "(\(fixedDigits(share * 100, 0)) % of this pick)")
    }

    /// The `count` users most similar to `user` (never the user itself, also when their stored ratings were
    /// folded in again after an edit).
    public func similarUsers(to user: ResolvedUser, count: Int, options: ParallelOptions = .default) throws -> SimilarUsers {
        let wanted = min(max(count, 0), model.userCount)
        // A database user folded in again (after an edit) is not excluded by the model: ask for one more.
        var extra = 0
        if case .folded = user.reference, user.trainedIndex != nil { extra = 1 }
        let similar = try model.mostSimilarUsers(to: user.reference, count: min(wanted + extra, model.userCount),
                                                 options: options)
            .filter { $0.user != user.trainedIndex }.prefix(wanted)
        return SimilarUsers(user: user.label, similar: similar.map {
            SimilarUserMatch(user: userID($0.user), cosine: $0.cosine, commonMovies: $0.commonMovies, score: $0.score)
        })
    }

    /// Compares `a` and `b`, listing up to `count` films both loved and `count` disagreements.
    public func compare(_ a: ResolvedUser, _ b: ResolvedUser, count: Int) throws -> UserComparisonReport {
        let comparison = try model.compare(a.reference, b.reference)
        let loved = 0.8 * model.ratingRange.upperBound
        let bothLoved = comparison.common.filter { $0.first >= loved && $0.second >= loved }
            .sorted { ($0.first + $0.second, -$0.movie) > ($1.first + $1.second, -$1.movie) }
            .prefix(max(count, 0))
        // A disagreement is a gap of at least a quarter of the rating scale (≥ 1.5 stars on 0.5–5).
        let range = model.ratingRange
        let gap = 0.25 * (range.upperBound - range.lowerBound)
        let disagreements = comparison.common.filter { abs($0.first - $0.second) >= gap }
            .sorted { (abs($0.first - $0.second), -$0.movie) > (abs($1.first - $1.second), -$1.movie) }
            .prefix(max(count, 0))
        let titles = try titles(bothLoved.map(\.movie) + disagreements.map(\.movie))
        func film(_ entry: CommonRating) -> CommonFilm {
            CommonFilm(movie: movieID(entry.movie), title: titles[entry.movie] ?? "", ratingA: entry.first,
                       ratingB: entry.second)
        }
        return UserComparisonReport(
            a: a.label, b: b.label, latentCosine: comparison.latentCosine,
            foldInCosine: Self.cosine(foldInCoordinates(a), foldInCoordinates(b)),
            rawCosine: comparison.rawCosine.value, commonMovies: comparison.rawCosine.commonMovies,
            enoughOverlap: comparison.rawCosine.hasEnoughOverlap, bothLoved: bothLoved.map(film),
            biggestDisagreements: disagreements.map(film), lovedRating: loved,
            unmatched: a.personal == nil && b.personal == nil ? nil : (a.unmatchedLines ?? []) + (b.unmatchedLines ?? []))
    }

    /// `u = p·S_k⁻¹`: a folded user's ``FoldedUser/latentCoordinates``, or a trained user's `p_u` divided by σ
    /// per dimension (0 where σ = 0).
    private func foldInCoordinates(_ user: ResolvedUser) -> [Float] {
        switch user.reference {
        case .folded(let folded):
            return folded.latentCoordinates
        case .trained(let index):
            return zip(model.factors.userVectors.row(index), model.factors.singularValues).map { $1 > 0 ? $0 / $1 : 0 }
        }
    }

    /// `a·b / (‖a‖‖b‖)`, 0 when either vector is zero.
    private static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let norms = (dot(a, a) * dot(b, b)).squareRoot()
        return norms > 0 ? dot(a, b) / norms : 0
    }

    /// The `count` films nearest to film `movie` (a dense index) among those with at least `minimumRatings`
    /// ratings, by cosine shrunk by support.
    public func similarMovies(to movie: Int, count: Int, minimumRatings: Int = 3,
                              options: ParallelOptions = .default) throws -> SimilarMovies {
        let similar = try model.mostSimilarMovies(to: movie, count: min(max(count, 0), model.movieCount),
                                                  minimumRatings: minimumRatings, options: options)
        let titles = try titles([movie] + similar.map(\.movie))
        return SimilarMovies(movie: movieID(movie), title: titles[movie] ?? "",
                             similar: similar.map { NearFilm(movie: movieID($0.movie), title: titles[$0.movie] ?? "",
                                                             cosine: $0.cosine, score: $0.score,
                                                             ratings: $0.ratingCount) })
    }

    /// The report of this session's model (what `train --json` prints).
    public var trainReport: TrainReport {
        let fingerprint = info.fingerprint
        return TrainReport(rank: model.factors.rank, watchRank: model.watchFactors.rank,
                           baseline: model.parameters.baselineMode.rawValue, seed: model.parameters.seed,
                           singularValues: model.factors.singularValues,
                           blend: [model.parameters.svdWeight, model.parameters.userAttentionWeight,
                                   model.parameters.movieAttentionWeight],
                           seconds: StoreStatistics.rounded(info.trainingSeconds),
                           users: fingerprint.users, movies: fingerprint.movies, ratings: fingerprint.ratings,
                           ratingsVersion: fingerprint.ratingsVersion, database: store.path)
    }
}

/// `value` with `digits` (0–6) decimals, rounded half to even, without a minus sign on a value that rounds to
/// zero — what `String(format: "%.*f")` prints for the float's exact value, written without `printf` (the
/// reasons of one recommendation list need about a hundred of these, and the server builds them per request).
public func fixedDigits(_ value: Float, _ digits: Int) -> String {
    guard value.isFinite, (0...6).contains(digits) else { return String(format: "%.\(digits)f", Double(value)) }
    var scale: Int64 = 1
    for _ in 0..<digits { scale *= 10 }
    let exact = Double(value) * Double(scale)          // exact in Double for a Float times a power of ten ≤ 10⁶
    guard abs(exact) < 1e15 else { return String(format: "%.\(digits)f", Double(value)) }
    let units = Int64(exact.rounded(.toNearestOrEven))
    let magnitude = units.magnitude
    var text = String(magnitude / UInt64(scale))
    if digits > 0 {
        let fraction = String(magnitude % UInt64(scale))
        text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
    }
    return units < 0 ? "-" + text : text
}
