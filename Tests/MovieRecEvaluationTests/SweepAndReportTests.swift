import Foundation
import MovieRecModel
import Testing
@testable import MovieRecEvaluation

@Suite("Parameter sweeps and reports")
struct SweepAndReportTests {
    private func runner() throws -> EvaluationRunner {
        try EvaluationRunner(dataset: try RunnerFixture.dataset(),
                             settings: EvaluationSettings(parameters: RunnerFixture.parameters))
    }

    @Test("An absurd value loses on validation; the choice ignores the test rows")
    func sweepChoosesOnValidation() throws {
        let runner = try runner()
        let sweep = try ParameterSweep(parameter: try TunableParameter.named("svd-weight"), values: [40, 0.25])
        #expect(sweep.metric == .rmse)
        let result = try sweep.run(runner: runner, splits: [RunnerFixture.split])
        #expect(result.chosen.value == 0.25)
        #expect(result.settings.map(\.value) == [40, 0.25])
        #expect(result.settings[0].validationScore > result.settings[1].validationScore)
        // The validation score is the full model's RMSE on the validation carve-out of train.
        let validation = RowSplit.validation(carvedFrom: RunnerFixture.split.train, of: RunnerFixture.rows, seed: 42)
        #expect(Set(validation.train + validation.test) == Set(RunnerFixture.split.train))
        var parameters = RunnerFixture.parameters
        parameters.svdWeight = 40
        let direct = try EvaluationRunner(dataset: runner.dataset, settings: EvaluationSettings(parameters: parameters))
            .evaluate(split: validation)
        #expect(result.settings[0].validationScore == direct[0].rating?.rootMeanSquaredError)

        // Same train rows, test ratings turned upside down: the same validation scores and choice,
        // different test figures.
        let flipped = RunnerFixture.rows.enumerated().map { index, row in
            RunnerFixture.split.test.contains(index)
                ? RatingRow(user: row.user, item: row.item, rating: 6 - row.rating, timestamp: row.timestamp) : row
        }
        let other = try EvaluationRunner(
            dataset: try EvaluationDataset(rows: flipped, userCount: 9, itemCount: 11), settings: runner.settings)
        let otherResult = try sweep.run(runner: other, splits: [RunnerFixture.split])
        #expect(otherResult.settings.map(\.validationScore) == result.settings.map(\.validationScore))
        #expect(otherResult.chosenIndex == result.chosenIndex)
        #expect(otherResult.settings[1].test != result.settings[1].test)
    }

    @Test("Ranking knobs share one trained model per split, with the figures of a separate training per value")
    func rankingKnobsReuseTheTrainedModel() throws {
        let runner = try runner()
        for (name, values) in [("attention-ranking-weight", [0, 0.5, 1]), ("ranking-neighbours", [2, 5]),
                               ("ranking-temperature", [0.25, 2])] {
            let parameter = try TunableParameter.named(name)
            let settings = try values.map { try parameter.setting($0, in: RunnerFixture.parameters) }
            let keys = settings.map(ParameterSweep.trainingKey)
            #expect(keys.allSatisfy { $0 == keys[0] }, "\(name): one training key")
            let result = try ParameterSweep(parameter: parameter, values: values).run(runner: runner,
                                                                                    splits: [RunnerFixture.split])
            for (setting, parameters) in zip(result.settings, settings) {
                let direct = try EvaluationRunner(dataset: runner.dataset, settings: EvaluationSettings(parameters: parameters))
                    .evaluate(split: RunnerFixture.split)
                #expect(setting.test[0].ranking == direct[0].ranking, "\(name)=\(setting.value)")
            }
        }
    }

    @Test("A ranking parameter is chosen by validation nDCG; a sweep chart has one line per metric")
    func rankingSweepAndChart() throws {
        let sweep = try ParameterSweep(parameter: try TunableParameter.named("rank"), values: [1, 3])
        #expect(sweep.metric == .rmse)
        let watch = try ParameterSweep(parameter: try TunableParameter.named("watch-rank"), values: [1, 2])
        #expect(watch.metric == .ndcg)
        let result = try watch.run(runner: try runner(), splits: [RunnerFixture.split, RunnerFixture.split])
        let best = result.settings.map(\.validationScore).max()!
        #expect(result.chosen.validationScore == best)
        #expect(result.settings.allSatisfy { $0.test.count == 2 && $0.validation.count == 2 })
        let chart = try result.chart(k: 10)
        #expect(chart.series.map(\.name) == ["test P@10", "test R@10", "test nDCG@10", "test MAP@10", "validation ndcg"])
        #expect(chart.series.allSatisfy { $0.points.map(\.x) == [1, 2] })
        #expect(try chart.render().contains("<svg"))
    }

    @Test("A spectrum chart has one bar per singular value at x = 1…k")
    func spectrumChart() throws {
        let chart = SVGChart.spectrum(singularValues: [12.481, 9.5086, 1.3456], title: "σ")
        #expect(chart.style == .bar)
        #expect(chart.series.count == 1)
        #expect(chart.series[0].points == [.init(x: 1, y: Double(Float(12.481))), .init(x: 2, y: Double(Float(9.5086))),
                                           .init(x: 3, y: Double(Float(1.3456)))])
        #expect(try chart.render().contains("<path"))
    }

    @Test("Sweep and parameter names are checked")
    func sweepValidation() throws {
        #expect(throws: EvaluationError.self) { try TunableParameter.named("rnak") }
        let rank = try TunableParameter.named("rank")
        #expect(throws: EvaluationError.self) { try ParameterSweep(parameter: rank, values: [10, 2.5]) }
        #expect(throws: EvaluationError.self) { try ParameterSweep(parameter: rank, values: [10, 10]) }
        #expect(throws: EvaluationError.self) { try ParameterSweep(parameter: rank, values: []) }
        #expect(try TunableParameter.named("neighbors").name == "neighbours")
        let changed = try TunableParameter.named("temperature").setting(0.5, in: ModelParameters())
        #expect(changed.temperature == 0.5)
        #expect(try TunableParameter.named("film-weight").value(in: ModelParameters()) == Double(ModelParameters().movieAttentionWeight))
    }

    @Test("Fold summaries: mean and sample standard deviation per figure, nil where a figure is missing")
    func figureSummaries() throws {
        let summary = try FigureSummary.summarise([
            [NamedFigure("rmse", 1.0), NamedFigure("ndcgAt10", nil)],
            [NamedFigure("rmse", 2.0), NamedFigure("ndcgAt10", nil)],
            [NamedFigure("rmse", 4.0), NamedFigure("ndcgAt10", nil)],
        ])
        #expect(summary[0].mean == 7.0 / 3)
        // Σ (x − 7/3)² = 16/9 + 1/9 + 25/9 = 42/9; / (n − 1) = 7/3.
        #expect(abs(summary[0].standardDeviation! - (7.0 / 3).squareRoot()) < 1e-12)
        #expect(summary[1].mean == nil && summary[1].standardDeviation == nil)
        #expect(summary[1].values == [nil, nil, nil])
        #expect(throws: EvaluationError.self) { try FigureSummary.summarise([]) }
    }

    @Test("JSON: figure keys use K; with folds the means, standard deviations and per-fold values")
    func reportJSON() throws {
        let runner = try EvaluationRunner(dataset: try RunnerFixture.dataset(),
                                          settings: EvaluationSettings(k: 5, parameters: RunnerFixture.parameters))
        let folds = try RowSplit.kFold(rowCount: RunnerFixture.rows.count, folds: 2, seed: 7)
        let perSplit = try folds.map { try runner.evaluate(split: $0, variants: ModelVariant.allCases) }
        let report = EvaluationReport(description: "fixture", k: 5, relevance: 4, seed: 7)
        let data = try JSONEncoder().encode(try report.json(variants: ModelVariant.allCases, perSplit: perSplit, seconds: 1))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["rmse", "mae", "precisionAt5", "recallAt5", "ndcgAt5", "mapAt5", "hitRateAt5", "coverage", "users",
                    "testRatings", "mean", "standardDeviation", "folds", "variants", "seconds"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        let perFold = try #require(object["folds"] as? [[String: Any]])
        #expect(perFold.count == 2)
        let rmse = perSplit.map { $0.last!.rating!.rootMeanSquaredError! }
        let written = perFold.compactMap { $0["rmse"] as? Double }   // JSON text keeps ~16 digits
        #expect(written.count == 2 && zip(written, rmse).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(abs(try #require(object["rmse"] as? Double) - (rmse[0] + rmse[1]) / 2) < 1e-12)
        let sd = try #require((object["standardDeviation"] as? [String: Any])?["rmse"] as? Double)
        #expect(abs(sd - abs(rmse[0] - rmse[1]) / 2.0.squareRoot()) < 1e-12)
        let variants = try #require(object["variants"] as? [[String: Any]])
        #expect(variants.map { $0["name"] as? String } == ModelVariant.allCases.map(\.rawValue))
        #expect(variants[2]["rmse"] is NSNull)        // most popular predicts no rating
        #expect(variants[0]["ndcgAt5"] is NSNull)     // the global mean ranks nothing
        #expect(object["testRatings"] as? Double == Double(RunnerFixture.rows.count) / 2)

        let text = try report.text(variants: ModelVariant.allCases, perSplit: perSplit, seconds: 1)
        for variant in ModelVariant.allCases { #expect(text.contains(variant.rawValue)) }
    }
}
