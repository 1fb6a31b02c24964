/// Streaming accuracy of rating predictions: root mean squared error and mean absolute error.
///
/// Over n pairs (pᵢ, aᵢ) of predicted and actual ratings:
///
///     RMSE = √( (1/n) · Σᵢ (pᵢ − aᵢ)² )
///     MAE  = (1/n) · Σᵢ |pᵢ − aᵢ|
///
/// Sums are kept in `Double`. Accumulators of disjoint parts can be combined with ``merge(_:)``.
public struct RatingMetrics: Equatable, Sendable {
    /// The number of (predicted, actual) pairs added so far.
    public private(set) var count: Int = 0
    /// Σᵢ (pᵢ − aᵢ)² over the pairs added so far.
    public private(set) var sumOfSquaredErrors: Double = 0
    /// Σᵢ |pᵢ − aᵢ| over the pairs added so far.
    public private(set) var sumOfAbsoluteErrors: Double = 0

    /// An empty accumulator.
    public init() {}

    /// Adds one pair of a predicted rating and the actual rating.
    public mutating func add(predicted: Double, actual: Double) {
        let error = predicted - actual
        count += 1
        sumOfSquaredErrors += error * error
        sumOfAbsoluteErrors += abs(error)
    }

    /// Adds the pairs counted by another accumulator (for example one per thread or per fold).
    public mutating func merge(_ other: RatingMetrics) {
        count += other.count
        sumOfSquaredErrors += other.sumOfSquaredErrors
        sumOfAbsoluteErrors += other.sumOfAbsoluteErrors
    }

    /// RMSE = √( Σ (p − a)² / n ), or `nil` when no pair was added.
    public var rootMeanSquaredError: Double? {
        count == 0 ? nil : (sumOfSquaredErrors / Double(count)).squareRoot()
    }

    /// MAE = Σ |p − a| / n, or `nil` when no pair was added.
    public var meanAbsoluteError: Double? {
        count == 0 ? nil : sumOfAbsoluteErrors / Double(count)
    }
}
