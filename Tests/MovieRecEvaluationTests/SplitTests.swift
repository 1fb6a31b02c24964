import Testing
@testable import MovieRecEvaluation

@Suite("Train/test splits")
struct SplitTests {
    /// Rows for users 0…6 with 1, 2, 4, 5, 9, 10 and 23 ratings, users interleaved in row order.
    private static let ratingCounts = [1, 2, 4, 5, 9, 10, 23]
    private static let rows: [RatingRow] = {
        var rows: [RatingRow] = []
        var remaining = ratingCounts
        var item: Int32 = 0
        while remaining.contains(where: { $0 > 0 }) {
            for user in remaining.indices where remaining[user] > 0 {
                remaining[user] -= 1
                item += 1
                rows.append(RatingRow(user: Int32(user), item: item % 17, rating: Float(item % 10) / 2 + 0.5, timestamp: Int64(item)))
            }
        }
        return rows
    }()

    /// Checks that `split` partitions exactly `all`.
    private func expectPartition(_ split: RowSplit, of all: [Int]) {
        #expect(Set(split.train).isDisjoint(with: split.test))
        #expect((split.train + split.test).sorted() == all.sorted())
        #expect(split.train == split.train.sorted())
        #expect(split.test == split.test.sorted())
    }

    @Test("K-fold: every row in exactly one test fold, sizes differ by at most 1")
    func kFoldPartition() throws {
        let folds = try RowSplit.kFold(rowCount: 103, folds: 5, seed: 7)
        #expect(folds.count == 5)
        #expect(folds.map(\.test.count) == [21, 21, 21, 20, 20])
        let allTests = folds.flatMap(\.test)
        #expect(allTests.count == 103)
        #expect(Set(allTests) == Set(0..<103))
        for fold in folds {
            expectPartition(fold, of: Array(0..<103))
        }
    }

    @Test("K-fold of the 100,836 MovieLens rows has the fold sizes of the shared folds README")
    func kFoldMovieLensSizes() throws {
        let folds = try RowSplit.kFold(rowCount: 100_836, folds: 5, seed: 42)
        #expect(folds.map(\.test.count) == [20_168, 20_167, 20_167, 20_167, 20_167])
        #expect(folds.map(\.train.count) == [80_668, 80_669, 80_669, 80_669, 80_669])
    }

    @Test("K-fold is deterministic for a seed and changes with the seed")
    func kFoldDeterminism() throws {
        let first = try RowSplit.kFold(rowCount: 50, folds: 4, seed: 1)
        let again = try RowSplit.kFold(rowCount: 50, folds: 4, seed: 1)
        let other = try RowSplit.kFold(rowCount: 50, folds: 4, seed: 2)
        #expect(first == again)
        #expect(first != other)
        // A shuffle, not the identity cut into pieces.
        #expect(first[0].test != Array(0..<13))
    }

    @Test("K-fold rejects fewer than 2 folds and more folds than rows")
    func kFoldErrors() {
        #expect(throws: EvaluationError.self) { try RowSplit.kFold(rowCount: 10, folds: 1, seed: 0) }
        #expect(throws: EvaluationError.self) { try RowSplit.kFold(rowCount: 3, folds: 4, seed: 0) }
    }

    @Test("Per-user holdout: max(1, n/5) test rows per user, single ratings stay in train")
    func perUserHoldoutProportions() {
        let rows = Self.rows
        let split = RowSplit.perUserHoldout(of: rows, seed: 42)
        expectPartition(split, of: Array(rows.indices))
        let testCounts = Self.ratingCounts.indices.map { user in split.test.filter { rows[$0].user == user }.count }
        #expect(testCounts == [0, 1, 1, 1, 1, 2, 4])
    }

    @Test("Per-user holdout is deterministic for a seed and changes with the seed")
    func perUserHoldoutDeterminism() {
        let rows = Self.rows
        #expect(RowSplit.perUserHoldout(of: rows, seed: 42) == RowSplit.perUserHoldout(of: rows, seed: 42))
        #expect(RowSplit.perUserHoldout(of: rows, seed: 42) != RowSplit.perUserHoldout(of: rows, seed: 43))
    }

    @Test("Validation rows are carved out of train only")
    func validationInsideTrain() {
        let rows = Self.rows
        let split = RowSplit.perUserHoldout(of: rows, seed: 5)
        let validation = RowSplit.validation(carvedFrom: split.train, of: rows, seed: 6)
        expectPartition(validation, of: split.train)
        #expect(Set(validation.test).isDisjoint(with: split.test))
        // Train counts per user are 1, 1, 3, 4, 8, 8, 19 → validation counts 0, 0, 1, 1, 1, 1, 3.
        let counts = Self.ratingCounts.indices.map { user in validation.test.filter { rows[$0].user == user }.count }
        #expect(counts == [0, 0, 1, 1, 1, 1, 3])
    }

    @Test("Time split takes each user's latest rows, ties broken by row order")
    func timeSplitByHand() {
        let timestamps: [Int64] = [100, 300, 200, 300, 50, 300, 10, 20, 30, 40]
        var rows = timestamps.map { RatingRow(user: 0, item: 1, rating: 4, timestamp: $0) }
        rows.append(RatingRow(user: 1, item: 2, rating: 3, timestamp: 999))  // row 10: single rating
        rows.append(RatingRow(user: 2, item: 3, rating: 5, timestamp: 5))    // row 11
        rows.append(RatingRow(user: 2, item: 4, rating: 2, timestamp: 1))    // row 12
        let split = RowSplit.timeSplit(of: rows)
        // User 0: n = 10 → 2 test rows; timestamp 300 at rows 1, 3, 5 → the two later rows 3 and 5.
        // User 1 keeps its single row; user 2: n = 2 → 1 test row, the later timestamp (row 11).
        #expect(split.test == [3, 5, 11])
        expectPartition(split, of: Array(rows.indices))
    }
}
