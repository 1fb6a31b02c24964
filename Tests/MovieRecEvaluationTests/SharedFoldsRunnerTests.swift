import Foundation
import Testing
@testable import MovieRecEvaluation

/// The runner on the shared ml-latest-small files, against figures measured independently with other
/// software (issue 4: Surprise 1.1.5 `BaselineOnly`, the protocol's most-popular reference).
/// Raw MovieLens ids are the row indices, so ties go to the smaller movieId as in the references.
@Suite("Evaluation runner on the shared folds", .enabled(if: movieLensDirectory != nil, "shared/data/ml-latest-small not found next to the repository; skipping"))
struct SharedFoldsRunnerTests {
    /// The rows of a train file followed by its test file, as a dataset and the split between them.
    private func pair(_ train: String, _ test: String) throws -> (EvaluationDataset, RowSplit) {
        let directory = try #require(movieLensDirectory)
        let trainRows = try readRatings(directory.appendingPathComponent(train))
        let rows = trainRows + (try readRatings(directory.appendingPathComponent(test)))
        let dataset = try EvaluationDataset(rows: rows, userCount: Int(rows.map(\.user).max()!) + 1,
                                            itemCount: Int(rows.map(\.item).max()!) + 1)
        return (dataset, RowSplit(train: Array(trainRows.indices), test: Array(trainRows.count..<rows.count)))
    }

    @Test("Baseline only over the 5 folds: Surprise BaselineOnly's mean RMSE 0.8727 and MAE 0.6728")
    func baselineMatchesSurprise() throws {
        var rmse: [Double] = []
        var mae: [Double] = []
        for fold in 1...5 {
            let (dataset, split) = try pair("folds/fold\(fold).train.csv", "folds/fold\(fold).test.csv")
            let runner = try EvaluationRunner(dataset: dataset, settings: EvaluationSettings(threadCount: 2))
            let metrics = try #require(try runner.evaluate(split: split, variants: [.baselineOnly])[0].rating)
            #expect(metrics.count == split.test.count)   // rows with unknown users or films count too
            rmse.append(try #require(metrics.rootMeanSquaredError))
            mae.append(try #require(metrics.meanAbsoluteError))
        }
        #expect(abs(rmse.reduce(0, +) / 5 - 0.8727) < 0.00006)
        #expect(abs(mae.reduce(0, +) / 5 - 0.6728) < 0.00006)
    }

    @Test("Most popular on the top-N holdout through the runner: the protocol's reference figures")
    func mostPopularThroughRunner() throws {
        let (dataset, split) = try pair("topn/train.csv", "topn/test.csv")
        let runner = try EvaluationRunner(dataset: dataset, settings: EvaluationSettings())
        let summary = try #require(try runner.evaluate(split: split, variants: [.mostPopular])[0].ranking)
        #expect(summary.evaluatedUsers == 595)
        #expect(abs(summary.precision - 0.1178) < 0.00005)
        #expect(abs(summary.recall - 0.1505) < 0.00005)
        #expect(abs(summary.ndcg - 0.1582) < 0.00005)
        #expect(abs(summary.meanAveragePrecision - 0.0882) < 0.00005)
    }
}
