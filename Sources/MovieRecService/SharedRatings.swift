import Foundation

/// Ratings shared by several replicas of the server (PostgreSQL with `movierec serve --ratings-source`): rating
/// writes go there, and a user's recommendations fold in the ratings read from there.
///
/// Implementations throw ``ServiceError`` `.ratingsSourceUnavailable` when the source cannot be reached (the
/// server answers 503 with `Retry-After` to writes, and reads from the ratings it saw last).
public protocol SharedRatingsSource: Sendable {
    /// The source's name for messages (no secrets).
    var name: String { get }
    /// Stores user `user`'s rating of `movie` at `timestamp` (Unix seconds) in one statement; an older timestamp
    /// than the stored one changes nothing (newest wins, as in a file import). Returns whether a row changed.
    func upsertRating(user: String, movie: String, rating: Float, timestamp: Int64) async throws -> Bool
    /// Deletes user `user`'s rating of `movie` in one statement. Returns whether a row was deleted.
    func deleteRating(user: String, movie: String) async throws -> Bool
    /// User `user`'s current ratings (movie external id, rating), empty for a user without any.
    func ratings(ofUser user: String) async throws -> [(movie: String, rating: Float)]
}

/// A user as a request sees them: folded in from the shared ratings (`fresh`), or, when the shared source
/// cannot be reached, from the ratings last seen or the trained model (`fresh == false`).
public struct CurrentUser: Sendable {
    /// The user, ready for recommendations.
    public let user: ResolvedUser
    /// Whether the user's ratings were read from the shared source for this request.
    public let fresh: Bool
}
