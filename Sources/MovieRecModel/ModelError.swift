import Foundation

/// The one error type of `MovieRecModel`.
///
/// Every error says what was wrong (`kind`), which argument or field held the bad value (`field`),
/// the value itself and what a valid value would have been.
public struct ModelError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// The category of failure.
    public enum Kind: String, Sendable, Equatable {
        /// A user index outside `0..<userCount`.
        case unknownUser
        /// A film index outside `0..<movieCount`.
        case unknownMovie
        /// The requested rank exceeds what the data supports.
        case rankTooLarge
        /// There is nothing to train on (no ratings, no users or no films).
        case emptyData
        /// The input arrays are malformed (different lengths, duplicate pairs, non-finite ratings).
        case invalidData
        /// A parameter is outside its allowed range.
        case invalidParameter
        /// A saved model does not match its header or the ratings it is restored with.
        case invalidArchive
        /// The numerics module rejected an operation (its message is kept in `value`).
        case numerics
    }

    /// The category of failure.
    public let kind: Kind
    /// The argument or field that holds the bad value, e.g. `"user"` or `"parameters.rank"`.
    public let field: String
    /// The offending value, rendered as text.
    public let value: String
    /// What a valid value would have looked like.
    public let expected: String

    /// Creates an error describing a bad `value` in `field` and what was `expected`.
    public init(_ kind: Kind, field: String, value: String, expected: String) {
        self.kind = kind
        self.field = field
        self.value = value
        self.expected = expected
    }

    /// A one-line message for an end user, e.g.
    /// `unknown user: user is 700, but expected a user index in 0..<610`.
    public var description: String {
        let what: String
        switch kind {
        case .unknownUser: what = "unknown user"
        case .unknownMovie: what = "unknown film"
        case .rankTooLarge: what = "rank too large"
        case .emptyData: what = "no data to train on"
        case .invalidData: what = "invalid rating data"
        case .invalidParameter: what = "invalid model parameter"
        case .invalidArchive: what = "invalid saved model"
        case .numerics: what = "numerical failure"
        }
        return "\(what): \(field) is \(value), but expected \(expected)"
    }

    /// Same as ``description``.
    public var errorDescription: String? { description }
}
