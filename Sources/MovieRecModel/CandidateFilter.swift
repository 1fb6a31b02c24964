/// Which films a top-N list may hold (see ``Recommender/topN(_:count:explain:candidates:)``).
///
/// The filter is applied while the films are ranked, before the top-N cut, so asking for N films gives N that
/// pass it whenever that many exist.
public struct CandidateFilter: Sendable, Equatable {
    /// One flag per film index: `true` = may be listed; `nil` = every film.
    public var allowed: [Bool]?
    /// Also list films the user has rated (by default they are left out).
    public var includeRated: Bool

    /// Creates a filter.
    public init(allowed: [Bool]? = nil, includeRated: Bool = false) {
        self.allowed = allowed
        self.includeRated = includeRated
    }

    /// Every film the user has not rated: the default.
    public static let unrated = CandidateFilter()
}
