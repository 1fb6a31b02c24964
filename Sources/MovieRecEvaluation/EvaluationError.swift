import Foundation

/// The single error type of MovieRecEvaluation.
///
/// It names the parameter or input that was wrong, the value that was given and what was expected,
/// so a message like `invalid fold count 1: expected an integer between 2 and the number of rows (10)`
/// tells the user exactly what to change.
public struct EvaluationError: Error, CustomStringConvertible, LocalizedError, Equatable, Sendable {
    /// What kind of problem the error reports.
    public enum Kind: Equatable, Sendable {
        /// A parameter (K, fold count, threshold, chart size, ...) is outside its valid range.
        case invalidParameter
        /// An input collection (rows, values, series, points) is empty where data is required.
        case emptyInput
        /// An input value (a data point, a rating) is not usable (not finite, not positive on a log axis, ...).
        case invalidValue
    }

    /// What kind of problem this is.
    public let kind: Kind
    /// The name of the parameter, input or field concerned, in words (for example `"fold count"`).
    public let field: String
    /// The offending value as text (empty when there is no single value, for example an empty list).
    public let value: String
    /// What would have been accepted, in words.
    public let expected: String

    /// Creates an error; prefer the static factory functions.
    public init(kind: Kind, field: String, value: String, expected: String) {
        self.kind = kind
        self.field = field
        self.value = value
        self.expected = expected
    }

    /// A parameter outside its valid range.
    static func invalidParameter(_ field: String, _ value: some CustomStringConvertible, expected: String) -> Self {
        Self(kind: .invalidParameter, field: field, value: value.description, expected: expected)
    }

    /// An empty input where data is required.
    static func emptyInput(_ field: String, expected: String) -> Self {
        Self(kind: .emptyInput, field: field, value: "", expected: expected)
    }

    /// An unusable input value.
    static func invalidValue(_ field: String, _ value: some CustomStringConvertible, expected: String) -> Self {
        Self(kind: .invalidValue, field: field, value: value.description, expected: expected)
    }

    /// A one-line message for an end user.
    public var description: String {
        switch kind {
        case .invalidParameter:
            return "invalid \(field) \(value): expected \(expected)"
        case .emptyInput:
            return "no \(field) given: expected \(expected)"
        case .invalidValue:
            return "unusable \(field) \(value): expected \(expected)"
        }
    }

    /// The same text as ``description``, for `localizedDescription`.
    public var errorDescription: String? { description }
}
