import Foundation

/// The one error type of `MovieRecNumerics`.
///
/// Every error names the argument or field that was wrong (`field`), the offending value, where it
/// sits (`position`, e.g. the index of a triplet or of an entry in `columnIndices`), and what was expected.
public struct NumericsError: Error, CustomStringConvertible, LocalizedError, Sendable, Equatable {
    /// The category of failure.
    public enum Kind: String, Sendable, Equatable {
        /// Array lengths or shapes do not agree (e.g. `values.count != columnIndices.count`).
        case shapeMismatch
        /// A row or column index lies outside the matrix.
        case indexOutOfRange
        /// A compressed-sparse-row structure is malformed (unsorted columns, bad row pointers, ...).
        case invalidSparseStructure
        /// The same (row, column) pair occurs twice.
        case duplicateEntry
        /// A numeric parameter (rank, oversampling, ...) is outside its allowed range.
        case invalidParameter
    }

    /// The category of failure.
    public let kind: Kind
    /// The argument or field that holds the bad value, e.g. `"columnIndices"` or `"rank"`.
    public let field: String
    /// The index of the bad entry inside `field`, when it is an array.
    public let position: Int?
    /// The offending value, rendered as text.
    public let value: String
    /// What a valid value would have looked like.
    public let expected: String

    /// Creates an error describing a bad `value` in `field` (at `position`) and what was `expected`.
    public init(_ kind: Kind, field: String, position: Int? = nil, value: String, expected: String) {
        self.kind = kind
        self.field = field
        self.position = position
        self.value = value
        self.expected = expected
    }

    /// A one-line message for an end user, e.g.
    /// `duplicate entry: triplet 7 (row 3, column 2) but expected each (row, column) pair at most once`.
    public var description: String {
        let location = position.map { "\(field)[\($0)]" } ?? field
        let what: String
        switch kind {
        case .shapeMismatch: what = "shape mismatch"
        case .indexOutOfRange: what = "index out of range"
        case .invalidSparseStructure: what = "invalid sparse matrix"
        case .duplicateEntry: what = "duplicate entry"
        case .invalidParameter: what = "invalid parameter"
        }
        return "\(what): \(location) is \(value), but expected \(expected)"
    }

    /// Same as ``description``.
    public var errorDescription: String? { description }
}
