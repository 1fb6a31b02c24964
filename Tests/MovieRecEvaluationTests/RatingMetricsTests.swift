import Testing
@testable import MovieRecEvaluation

@Suite("Rating metrics and fold statistics")
struct RatingMetricsTests {
    @Test("RMSE and MAE match a hand computation")
    func rmseAndMAEByHand() throws {
        // Errors −0.5, 1, 0, 2: Σe² = 0.25 + 1 + 0 + 4 = 5.25, Σ|e| = 3.5, n = 4.
        var metrics = RatingMetrics()
        for (predicted, actual) in [(3.5, 4.0), (2.0, 1.0), (5.0, 5.0), (4.0, 2.0)] {
            metrics.add(predicted: predicted, actual: actual)
        }
        #expect(metrics.count == 4)
        #expect(try #require(metrics.rootMeanSquaredError) == (5.25 / 4).squareRoot())
        #expect(abs(try #require(metrics.rootMeanSquaredError) - 1.145_643_923_738_96) < 1e-12)
        #expect(try #require(metrics.meanAbsoluteError) == 0.875)
    }

    @Test("Merging two accumulators equals adding all pairs to one")
    func mergeMatchesSingleAccumulator() {
        var whole = RatingMetrics()
        var first = RatingMetrics()
        var second = RatingMetrics()
        let pairs = [(3.5, 4.0), (2.0, 1.0), (5.0, 5.0), (4.0, 2.0), (1.5, 3.0)]
        for (index, pair) in pairs.enumerated() {
            whole.add(predicted: pair.0, actual: pair.1)
            if index < 2 { first.add(predicted: pair.0, actual: pair.1) } else { second.add(predicted: pair.0, actual: pair.1) }
        }
        first.merge(second)
        #expect(first == whole)
        #expect(whole.meanAbsoluteError == 5.0 / 5)
    }

    @Test("No pairs gives no RMSE or MAE")
    func emptyAccumulator() {
        let metrics = RatingMetrics()
        #expect(metrics.rootMeanSquaredError == nil)
        #expect(metrics.meanAbsoluteError == nil)
    }

    @Test("Mean and sample standard deviation across folds")
    func foldStatistics() throws {
        // mean 2.5; squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5, divided by n − 1 = 3.
        let statistics = try FoldStatistics([1, 2, 3, 4])
        #expect(statistics.count == 4)
        #expect(statistics.mean == 2.5)
        #expect(abs(try #require(statistics.standardDeviation) - 1.290_994_448_735_805_6) < 1e-12)

        let single = try FoldStatistics([0.87])
        #expect(single.mean == 0.87)
        #expect(single.standardDeviation == nil)
    }

    @Test("Fold statistics reject empty and non-finite input")
    func foldStatisticsErrors() {
        #expect(throws: EvaluationError.self) { try FoldStatistics([]) }
        #expect(throws: EvaluationError.self) { try FoldStatistics([1, .nan]) }
        do {
            _ = try FoldStatistics([])
        } catch {
            #expect(error.localizedDescription == "no fold values given: expected at least one value")
        }
    }
}
