/// What to generate: how many users, films and ratings, and the seed that makes the output reproducible.
public struct SyntheticConfiguration: Sendable, Equatable, Codable {
    /// Number of users; ids are `1…users` and every one of them rates at least one film.
    public var users: Int
    /// Number of films; ids are `1…movies` (ordered by release year, like MovieLens ids grow over time).
    public var movies: Int
    /// Exact number of rating rows to write; each (user, film) pair occurs at most once.
    public var ratings: Int
    /// Seed of every random choice: the same configuration always gives byte-identical files.
    public var seed: UInt64

    /// Creates a configuration; call `validate()` (or let the generator call it) before use.
    public init(users: Int, movies: Int, ratings: Int, seed: UInt64 = 42) {
        self.users = users
        self.movies = movies
        self.ratings = ratings
        self.seed = seed
    }

    /// Largest user or film count (ids must fit a 32-bit integer, as in MovieLens tools).
    public static let maximumIdentifier = Int(Int32.max)

    /// Throws `SyntheticError` when the request is impossible:
    /// a count ≤ 0 or above `maximumIdentifier`, `ratings > users · movies`, or `ratings < users`.
    public func validate() throws {
        for (name, value) in [("users", users), ("movies", movies)] where value < 1 || value > Self.maximumIdentifier {
            throw SyntheticError.invalidCount(name: name, value: value, expected: "a whole number from 1 to \(Self.maximumIdentifier)")
        }
        guard ratings >= 1 else {
            throw SyntheticError.invalidCount(name: "ratings", value: ratings, expected: "a whole number of at least 1")
        }
        let pairs = users.multipliedReportingOverflow(by: movies)
        if !pairs.overflow && ratings > pairs.partialValue {
            throw SyntheticError.tooManyRatings(ratings: ratings, users: users, movies: movies)
        }
        guard ratings >= users else {
            throw SyntheticError.tooFewRatings(ratings: ratings, users: users)
        }
    }
}

/// What a generation run wrote, for the CLI's summary and `--json` output.
public struct SyntheticSummary: Sendable, Equatable, Codable {
    /// The configuration that was generated.
    public var configuration: SyntheticConfiguration
    /// Path of the ratings file (`userId,movieId,rating,timestamp`).
    public var ratingsPath: String
    /// Path of the movies file (`movieId,title,genres`).
    public var moviesPath: String
    /// Size of the ratings file in bytes.
    public var ratingsBytes: Int
    /// Size of the movies file in bytes.
    public var moviesBytes: Int
    /// Number of rows per half-star, keyed by the rating as written ("0.5" … "5.0").
    public var histogram: [String: Int]
    /// Mean of all ratings: Σ r / R.
    public var meanRating: Double
    /// Fewest ratings of any user.
    public var minimumUserRatings: Int
    /// Most ratings of any user.
    public var maximumUserRatings: Int
    /// Number of distinct films that received at least one rating.
    public var ratedMovies: Int
    /// Most ratings of any film.
    public var maximumMovieRatings: Int
}
