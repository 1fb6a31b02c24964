/// One rating, with users and items as dense internal indices.
public struct RatingRow: Equatable, Hashable, Sendable {
    /// The user's dense index.
    public var user: Int32
    /// The item's dense index.
    public var item: Int32
    /// The rating given (for MovieLens 0.5 … 5.0 in half stars).
    public var rating: Float
    /// When the rating was given, in seconds since 1970-01-01 UTC.
    public var timestamp: Int64

    /// Creates a rating row.
    public init(user: Int32, item: Int32, rating: Float, timestamp: Int64) {
        self.user = user
        self.item = item
        self.rating = rating
        self.timestamp = timestamp
    }
}

/// A train/test partition of a list of rating rows, as row indices.
///
/// Both arrays are sorted ascending and disjoint; together they hold every row index of the
/// partitioned set exactly once.
public struct RowSplit: Equatable, Sendable {
    /// Indices of the rows used for training (ascending).
    public let train: [Int]
    /// Indices of the rows held out for testing (ascending).
    public let test: [Int]

    /// Creates a split; both index lists are sorted ascending.
    public init(train: [Int], test: [Int]) {
        self.train = train.sorted()
        self.test = test.sorted()
    }
}
