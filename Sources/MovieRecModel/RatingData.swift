import MovieRecNumerics

/// Ratings addressed by dense indices, the model's only input: rating `t` is `rating[t]`, given by user
/// `userIndex[t]` (in `0..<userCount`) to film `movieIndex[t]` (in `0..<movieCount`), in any order.
///
/// External ids (MovieLens `userId`/`movieId`) are mapped to these indices by the store.
public struct RatingData: Sendable, Equatable {
    /// Number of users; user indices lie in `0..<userCount`.
    public let userCount: Int
    /// Number of films; film indices lie in `0..<movieCount`.
    public let movieCount: Int
    /// The user of each rating.
    public let userIndex: [Int32]
    /// The film of each rating.
    public let movieIndex: [Int32]
    /// The rating value (e.g. 0.5…5 stars).
    public let rating: [Float]

    /// Stores the three parallel arrays; they are validated when a ``RatingMatrix`` is built from them.
    public init(userCount: Int, movieCount: Int, userIndex: [Int32], movieIndex: [Int32], rating: [Float]) {
        self.userCount = userCount
        self.movieCount = movieCount
        self.userIndex = userIndex
        self.movieIndex = movieIndex
        self.rating = rating
    }

    /// Number of ratings.
    public var count: Int { rating.count }
}

/// The ratings twice in compressed-sparse-row form: by user (row `u` = films rated by `u`) and its
/// transpose by film (row `i` = users who rated `i`), each with column indices sorted.
public struct RatingMatrix: Sendable {
    /// `users × movies`; row `u` holds user `u`'s ratings.
    public let byUser: CSRMatrix
    /// `movies × users`; row `i` holds the ratings of film `i`.
    public let byMovie: CSRMatrix

    /// Builds both orientations from `data`.
    ///
    /// - Throws: ``ModelError`` (`.emptyData`) when there are no users, films or ratings, and
    ///   (`.invalidData`) when the arrays differ in length, an index is out of range, a rating is not
    ///   finite or a (user, film) pair occurs twice.
    public init(_ data: RatingData) throws {
        guard data.userCount > 0, data.movieCount > 0, data.count > 0 else {
            throw ModelError(.emptyData, field: "ratings",
                             value: "\(data.count) ratings of \(data.userCount) users and \(data.movieCount) films",
                             expected: "at least one rating, one user and one film")
        }
        guard data.userIndex.count == data.count, data.movieIndex.count == data.count else {
            throw ModelError(.invalidData, field: "userIndex.count/movieIndex.count",
                             value: "\(data.userIndex.count)/\(data.movieIndex.count)",
                             expected: "both equal to rating.count = \(data.count)")
        }
        if let bad = data.rating.firstIndex(where: { !$0.isFinite }) {
            throw ModelError(.invalidData, field: "rating[\(bad)]", value: "\(data.rating[bad])",
                             expected: "a finite rating")
        }
        do {
            byUser = try CSRMatrix(rows: data.userCount, columns: data.movieCount, rowIndices: data.userIndex,
                                   columnIndices: data.movieIndex, values: data.rating)
        } catch let error as NumericsError {
            throw ModelError(.invalidData, field: "ratings", value: error.description,
                             expected: "user and film indices in range and each (user, film) pair at most once")
        }
        byMovie = byUser.transposed()
    }

    /// Number of users.
    public var userCount: Int { byUser.rows }
    /// Number of films.
    public var movieCount: Int { byUser.columns }

    /// The stored positions `p` of user `u`'s ratings (films `byUser.columnIndices[p]`, ratings `byUser.values[p]`).
    public func userRange(_ u: Int) -> Range<Int> { byUser.rowPointers[u]..<byUser.rowPointers[u + 1] }

    /// The stored positions `p` of film `i`'s ratings (users `byMovie.columnIndices[p]`, ratings `byMovie.values[p]`).
    public func movieRange(_ i: Int) -> Range<Int> { byMovie.rowPointers[i]..<byMovie.rowPointers[i + 1] }
}
