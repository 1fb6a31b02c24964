/// Mean and sample standard deviation of one figure measured on several folds (or seeds).
///
/// For values x₁ … xₙ:
///
///     mean = (1/n) · Σᵢ xᵢ
///     s    = √( Σᵢ (xᵢ − mean)² / (n − 1) )      (sample standard deviation, n ≥ 2)
public struct FoldStatistics: Equatable, Sendable {
    /// The number of values summarised.
    public let count: Int
    /// The arithmetic mean of the values.
    public let mean: Double
    /// The sample standard deviation (divisor n − 1), or `nil` for a single value.
    public let standardDeviation: Double?

    /// Summarises the given values.
    /// - Throws: ``EvaluationError`` when `values` is empty or contains a non-finite number.
    public init(_ values: [Double]) throws {
        guard !values.isEmpty else {
            throw EvaluationError.emptyInput("fold values", expected: "at least one value")
        }
        if let bad = values.first(where: { !$0.isFinite }) {
            throw EvaluationError.invalidValue("fold value", bad, expected: "a finite number")
        }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        count = values.count
        self.mean = mean
        if values.count < 2 {
            standardDeviation = nil
        } else {
            let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            standardDeviation = (squares / (n - 1)).squareRoot()
        }
    }
}
