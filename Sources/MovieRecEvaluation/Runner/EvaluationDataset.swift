/// The rating rows an evaluation draws its splits from, with users and items as dense indices.
///
/// Splits (``RowSplit``) are row indices into ``rows``. Users and items need not all occur in a
/// split's train rows: the runner fits the model on the train rows only and treats the others as
/// unknown. Item indices double as the tie-breaking order of rankings (a lower index wins a tie), so
/// the command line numbers items in canonical external-id order (numeric ids by value).
public struct EvaluationDataset: Sendable {
    /// All rating rows.
    public let rows: [RatingRow]
    /// Number of users; user indices lie in `0..<userCount`.
    public let userCount: Int
    /// Number of items; item indices lie in `0..<itemCount`.
    public let itemCount: Int

    /// Checks and stores the rows.
    /// - Throws: ``EvaluationError`` when there is no row, a user or item index is outside its range,
    ///   or a rating is not finite.
    public init(rows: [RatingRow], userCount: Int, itemCount: Int) throws {
        guard !rows.isEmpty else {
            throw EvaluationError.emptyInput("rating rows", expected: "at least one rating")
        }
        for (index, row) in rows.enumerated() {
            guard row.user >= 0, Int(row.user) < userCount else {
                throw EvaluationError.invalidValue(
                    "user index of row \(index)", row.user, expected: "an index in 0..<\(userCount)")
            }
            guard row.item >= 0, Int(row.item) < itemCount else {
                throw EvaluationError.invalidValue(
                    "item index of row \(index)", row.item, expected: "an index in 0..<\(itemCount)")
            }
            guard row.rating.isFinite else {
                throw EvaluationError.invalidValue("rating of row \(index)", row.rating, expected: "a finite rating")
            }
        }
        self.rows = rows
        self.userCount = userCount
        self.itemCount = itemCount
    }
}
