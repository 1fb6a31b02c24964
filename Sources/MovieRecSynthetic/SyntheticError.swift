import Foundation

/// Everything that can go wrong while generating a synthetic data set.
public enum SyntheticError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// A requested count is out of range (`name` is the option, `value` what was given).
    case invalidCount(name: String, value: Int, expected: String)
    /// More ratings were requested than there are distinct (user, film) pairs: `ratings > users · movies`.
    case tooManyRatings(ratings: Int, users: Int, movies: Int)
    /// Fewer ratings than users were requested, so not every user could rate a film.
    case tooFewRatings(ratings: Int, users: Int)
    /// The output directory or a file in it could not be created or written.
    case cannotWrite(path: String, reason: String)

    /// A message for the person who ran the command, saying what was wrong and what is accepted.
    public var description: String {
        switch self {
        case let .invalidCount(name, value, expected):
            return "invalid --\(name) \(value): expected \(expected)"
        case let .tooManyRatings(ratings, users, movies):
            let pairs = users.multipliedReportingOverflow(by: movies)
            let limit = pairs.overflow ? "more than \(Int.max)" : "\(pairs.partialValue)"
            return "cannot make \(ratings) ratings: \(users) users × \(movies) films allow at most \(limit) "
                + "distinct (user, film) pairs; lower --ratings or raise --users/--movies"
        case let .tooFewRatings(ratings, users):
            return "cannot make \(ratings) ratings for \(users) users: every user needs at least one rating, "
                + "so --ratings must be at least --users"
        case let .cannotWrite(path, reason):
            return "cannot write \(path): \(reason)"
        }
    }

    /// Same as `description`, for Foundation's error reporting.
    public var errorDescription: String? { description }
}
