import MovieRecNumerics

extension RowSplit {
    /// Random K-fold partition of `rowCount` rows.
    ///
    /// The row indices 0..<rowCount are shuffled with a generator seeded by `seed` and cut into
    /// `folds` contiguous pieces; the first `rowCount % folds` pieces get one extra row, so test
    /// sizes differ by at most 1. Fold f tests on piece f and trains on all other rows, so every
    /// row is in exactly one test fold.
    /// - Throws: ``EvaluationError`` unless 2 ≤ `folds` ≤ `rowCount`.
    public static func kFold(rowCount: Int, folds: Int, seed: UInt64) throws -> [RowSplit] {
        guard folds >= 2, folds <= rowCount else {
            throw EvaluationError.invalidParameter(
                "fold count", folds, expected: "an integer between 2 and the number of rows (\(rowCount))")
        }
        var generator = SeededGenerator(seed: seed)
        var order = Array(0..<rowCount)
        generator.shuffle(&order)
        let base = rowCount / folds
        let extra = rowCount % folds
        var pieces: [ArraySlice<Int>] = []
        var start = 0
        for fold in 0..<folds {
            let size = base + (fold < extra ? 1 : 0)
            pieces.append(order[start..<start + size])
            start += size
        }
        return pieces.indices.map { fold in
            let train = pieces.indices.filter { $0 != fold }.flatMap { pieces[$0] }
            return RowSplit(train: train, test: Array(pieces[fold]))
        }
    }

    /// The number of test rows for a user with `ratingCount` rows: ⌊n/5⌋ (20 %, rounded down) but at
    /// least 1 — except a user with a single rating, who keeps it in train (a user with no
    /// training rating cannot be scored).
    static func heldOutCount(ratingCount n: Int) -> Int {
        n < 2 ? 0 : max(1, n / 5)
    }

    /// Per-user random holdout: for each user, n_test = max(1, ⌊n_u/5⌋) of their rows chosen
    /// uniformly at random go to test, the rest to train.
    ///
    /// Users are processed in ascending user index, each user's rows in ascending row order, with
    /// one generator seeded by `seed` used sequentially. A user with a single rating keeps it in
    /// train. This is the procedure of the shared top-N split, with this module's generator instead
    /// of numpy's (so it does not reproduce those files).
    /// - Parameters:
    ///   - rows: all rating rows.
    ///   - indices: the row indices to split (for example a train set); all rows when `nil`.
    ///   - seed: the random seed.
    public static func perUserHoldout(of rows: [RatingRow], among indices: [Int]? = nil, seed: UInt64) -> RowSplit {
        var generator = SeededGenerator(seed: seed)
        var test: [Int] = []
        for userRows in rowsByUser(rows, among: indices) {
            let count = heldOutCount(ratingCount: userRows.count)
            test.append(contentsOf: generator.sample(userRows, count: count))
        }
        return complement(of: test, in: indices ?? Array(rows.indices))
    }

    /// Per-user time split: each user's latest n_test = max(1, ⌊n_u/5⌋) rows by timestamp go to
    /// test (a user with a single rating keeps it in train). Among equal timestamps a later row
    /// index counts as later. Needs no seed.
    /// - Parameters:
    ///   - rows: all rating rows.
    ///   - indices: the row indices to split; all rows when `nil`.
    public static func timeSplit(of rows: [RatingRow], among indices: [Int]? = nil) -> RowSplit {
        var test: [Int] = []
        for userRows in rowsByUser(rows, among: indices) {
            let count = heldOutCount(ratingCount: userRows.count)
            let latestFirst = userRows.sorted { (rows[$0].timestamp, $0) > (rows[$1].timestamp, $1) }
            test.append(contentsOf: latestFirst.prefix(count))
        }
        return complement(of: test, in: indices ?? Array(rows.indices))
    }

    /// Carves a validation set out of a training set, for choosing parameters without touching
    /// the test rows: a ``perUserHoldout(of:among:seed:)`` of `train`. In the result `train` holds
    /// the rows to fit on and `test` the validation rows; both are subsets of `train`.
    public static func validation(carvedFrom train: [Int], of rows: [RatingRow], seed: UInt64) -> RowSplit {
        perUserHoldout(of: rows, among: train, seed: seed)
    }

    /// Row indices grouped by user: users in ascending index, rows ascending within a user.
    private static func rowsByUser(_ rows: [RatingRow], among indices: [Int]?) -> [[Int]] {
        var groups: [Int32: [Int]] = [:]
        for index in (indices ?? Array(rows.indices)).sorted() {
            groups[rows[index].user, default: []].append(index)
        }
        return groups.sorted { $0.key < $1.key }.map(\.value)
    }

    /// The split whose test part is `test` and whose train part is the rest of `all`.
    private static func complement(of test: [Int], in all: [Int]) -> RowSplit {
        let held = Set(test)
        return RowSplit(train: all.filter { !held.contains($0) }, test: test)
    }
}
