import Foundation
import MovieRecEvaluation
import MovieRecStore

/// The splits an evaluation runs on, each with its dataset, and a description for the report.
public struct EvaluationSource: Sendable {
    /// The dataset of each split (one per train/test file pair; the database's for all its splits).
    public let datasets: [EvaluationDataset]
    /// The splits, parallel to `datasets`.
    public let splits: [RowSplit]
    /// What was evaluated, in words (files and counts, or the database and the kind of split).
    public let description: String

    /// Splits and datasets as given.
    public init(datasets: [EvaluationDataset], splits: [RowSplit], description: String) {
        self.datasets = datasets
        self.splits = splits
        self.description = description
    }

    /// A train file and a test file in one index space: train users and films first (in the train table's
    /// canonical order), then those only in the test file. The split is "the train rows" / "the test rows".
    public init(train: RatingTable, test: RatingTable) throws {
        var users: [String: Int32] = [:]
        var items: [String: Int32] = [:]
        for id in train.userExternalIDs + test.userExternalIDs where users[id] == nil { users[id] = Int32(users.count) }
        for id in train.movieExternalIDs + test.movieExternalIDs where items[id] == nil { items[id] = Int32(items.count) }
        var rows: [RatingRow] = []
        rows.reserveCapacity(train.count + test.count)
        for table in [train, test] {
            for t in 0..<table.count {
                rows.append(RatingRow(user: users[table.userExternalIDs[Int(table.userIndex[t])]]!,
                                      item: items[table.movieExternalIDs[Int(table.movieIndex[t])]]!,
                                      rating: table.rating[t], timestamp: table.timestamp[t]))
            }
        }
        datasets = [try EvaluationDataset(rows: rows, userCount: users.count, itemCount: items.count)]
        splits = [RowSplit(train: Array(0..<train.count), test: Array(train.count..<rows.count))]
        description = ""
    }

    /// The rows of a database table (its dense indices follow database ids, i.e. import order of ids).
    public static func dataset(_ table: RatingTable) throws -> EvaluationDataset {
        try EvaluationDataset(
            rows: (0..<table.count).map { t in
                RatingRow(user: table.userIndex[t], item: table.movieIndex[t], rating: table.rating[t],
                          timestamp: table.timestamp[t])
            },
            userCount: table.userIDs.count, itemCount: table.movieIDs.count)
    }
}
