import MovieRecModel

/// Evaluates the full model at several values of one parameter and chooses one on validation data.
///
/// For every split, a validation split is carved out of its train rows
/// (``RowSplit/validation(carvedFrom:of:seed:)``): the model is fitted on the rest of train and scored
/// on the validation rows. The chosen value is the one with the best mean validation score of the
/// selection metric over the splits (the first such value on a tie). The test rows play no part in the
/// choice; each value's test figures (model fitted on the whole train part) are reported beside it.
/// Values that differ only in the blend weights or the ranking knobs (K_r, τ_r, λ, the rating margin) share one
/// trained model: the ranking is rebuilt on it (``TrainedModel/reconfigured(_:)``) instead of retraining the SVDs.
public struct ParameterSweep: Sendable {
    /// The parameter swept.
    public let parameter: TunableParameter
    /// The values tried, in the order given.
    public let values: [Double]
    /// The figure the value is chosen by.
    public let metric: SelectionMetric
    /// The seed of the validation carve-out.
    public let validationSeed: UInt64

    /// Describes a sweep.
    /// - Throws: ``EvaluationError`` when `values` is empty, holds a value twice, or a value is not
    ///   acceptable for the parameter.
    public init(parameter: TunableParameter, values: [Double], metric: SelectionMetric? = nil,
                validationSeed: UInt64 = 42) throws {
        guard !values.isEmpty else {
            throw EvaluationError.emptyInput("sweep values", expected: "at least one value, as name=v1,v2,...")
        }
        if let repeated = values.enumerated().first(where: { values[..<$0.offset].contains($0.element) }) {
            throw EvaluationError.invalidValue(
                "sweep value of \(parameter.name)", repeated.element, expected: "each value once")
        }
        for value in values { _ = try parameter.setting(value, in: ModelParameters()) }
        self.parameter = parameter
        self.values = values
        self.metric = metric ?? parameter.defaultMetric
        self.validationSeed = validationSeed
    }

    /// Runs the sweep with `runner` (its parameters are the base every value modifies) on `splits`.
    public func run(runner: EvaluationRunner, splits: [RowSplit],
                    progress: (String) -> Void = { _ in }) throws -> SweepResult {
        try run(folds: splits.map { EvaluationFold(runner: runner, split: $0) }, progress: progress)
    }

    /// Runs the sweep on `folds` (each scored by its own runner, whose parameters are the base every
    /// value modifies).
    /// - Parameter progress: called before each fit with a short description (`"rank=50: split 2/5"`).
    /// - Throws: what training or scoring throws, or ``EvaluationError`` when there is no fold or the
    ///   selection metric cannot be measured on a validation split (for example no user with a
    ///   relevant item).
    public func run(folds: [EvaluationFold], progress: (String) -> Void = { _ in }) throws -> SweepResult {
        guard !folds.isEmpty else {
            throw EvaluationError.emptyInput("splits", expected: "at least one train/test split")
        }
        let validations = folds.map { fold in
            RowSplit.validation(carvedFrom: fold.split.train, of: fold.runner.dataset.rows, seed: validationSeed)
        }
        var cachedKey: ModelParameters?
        var cachedFits: [(validation: FittedSplit, test: FittedSplit)] = []
        var settings: [SweepSetting] = []
        for value in values {
            let parameters = try parameter.setting(value, in: folds[0].runner.settings.parameters)
            let key = Self.trainingKey(parameters)
            if key != cachedKey {
                cachedFits = try folds.indices.map { index in
                    progress("\(parameter.name)=\(Self.format(value)): split \(index + 1)/\(folds.count)")
                    let runner = folds[index].runner
                    return (try runner.fit(validations[index], parameters: parameters, level: .model),
                            try runner.fit(folds[index].split, parameters: parameters, level: .model))
                }
                cachedKey = key
            }
            var validation: [SplitMetrics] = []
            var test: [SplitMetrics] = []
            for (fold, fits) in zip(folds, cachedFits) {
                validation += try fold.runner.score(fits.validation, variants: [.fullModel], parameters: parameters)
                test += try fold.runner.score(fits.test, variants: [.fullModel], parameters: parameters)
            }
            let scores = validation.compactMap(metric.value(of:))
            guard scores.count == validation.count else {
                throw EvaluationError.emptyInput(
                    "validation \(metric.rawValue)", expected: "validation rows to measure it (for top-N metrics, users with a relevant held-out rating)")
            }
            settings.append(SweepSetting(value: value, parameters: parameters, validation: validation, test: test,
                                         validationScore: scores.reduce(0, +) / Double(scores.count)))
        }
        var chosen = 0
        for index in settings.indices.dropFirst() {
            let (candidate, best) = (settings[index].validationScore, settings[chosen].validationScore)
            if metric.lowerIsBetter ? candidate < best : candidate > best { chosen = index }
        }
        return SweepResult(parameter: parameter, metric: metric, settings: settings, chosenIndex: chosen)
    }

    /// The parameters with the ranking knobs set to their defaults and the blend weights (which do not affect
    /// training unless fitted) set to 1: values with one key share one trained model.
    static func trainingKey(_ parameters: ModelParameters) -> ModelParameters {
        var key = parameters
        let defaults = ModelParameters()
        key.rankingNeighbours = defaults.rankingNeighbours
        key.rankingTemperature = defaults.rankingTemperature
        key.attentionRankingWeight = defaults.attentionRankingWeight
        key.predictedRatingMargin = defaults.predictedRatingMargin
        key.movieRankingWeight = defaults.movieRankingWeight
        key.movieRankingTemperature = defaults.movieRankingTemperature
        key.movieRankingDepth = defaults.movieRankingDepth
        guard !parameters.fitsBlend else { return key }
        key.svdWeight = 1
        key.userAttentionWeight = 1
        key.movieAttentionWeight = 1
        return key
    }

    /// A value as written on the command line (`50`, `0.25`).
    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}

/// One split and the runner (dataset and settings) that scores it.
public struct EvaluationFold: Sendable {
    /// The runner holding the split's rows and the settings.
    public let runner: EvaluationRunner
    /// The train/test split of the runner's rows.
    public let split: RowSplit

    /// Pairs a runner with a split of its rows.
    public init(runner: EvaluationRunner, split: RowSplit) {
        self.runner = runner
        self.split = split
    }
}

/// One value of a sweep and its figures.
public struct SweepSetting: Sendable {
    /// The parameter value.
    public let value: Double
    /// The full parameters used.
    public let parameters: ModelParameters
    /// The full model's figures on each validation split.
    public let validation: [SplitMetrics]
    /// The full model's figures on each test split.
    public let test: [SplitMetrics]
    /// The mean of the selection metric over the validation splits.
    public let validationScore: Double
}

/// The outcome of a ``ParameterSweep``.
public struct SweepResult: Sendable {
    /// The parameter swept.
    public let parameter: TunableParameter
    /// The figure the value was chosen by.
    public let metric: SelectionMetric
    /// Each value's figures, in the order the values were given.
    public let settings: [SweepSetting]
    /// The position of the chosen value in ``settings``.
    public let chosenIndex: Int

    /// The chosen setting.
    public var chosen: SweepSetting { settings[chosenIndex] }

    /// A line chart against the parameter value: the test figures (mean over splits) of the selection
    /// metric's kind — RMSE and MAE for a rating metric, P, R, nDCG and MAP@K for a ranking metric, so
    /// the y axis fits their range — and the validation selection metric. The x axis is logarithmic
    /// when all values are positive and span a factor of 8 or more.
    /// - Throws: ``EvaluationError`` when a split has no figures.
    public func chart(k: Int) throws -> SVGChart {
        let names = metric.lowerIsBetter
            ? [("rmse", "RMSE"), ("mae", "MAE")]
            : [("precisionAt\(k)", "P@\(k)"), ("recallAt\(k)", "R@\(k)"), ("ndcgAt\(k)", "nDCG@\(k)"),
               ("mapAt\(k)", "MAP@\(k)")]
        let summaries = try settings.map { try FigureSummary.summarise($0.test.map { $0.figures(k: k) }) }
        var series: [SVGChart.Series] = names.compactMap { key, label in
            let points = zip(settings, summaries).compactMap { setting, summary -> SVGChart.Point? in
                summary.first { $0.name == key }?.mean.map { SVGChart.Point(x: setting.value, y: $0) }
            }
            return points.isEmpty ? nil : SVGChart.Series(name: "test " + label, points: points)
        }
        series.append(SVGChart.Series(
            name: "validation \(metric.rawValue)",
            points: settings.map { SVGChart.Point(x: $0.value, y: $0.validationScore) }))
        let sorted = values.sorted()
        let logarithmic = sorted.first! > 0 && sorted.last! / sorted.first! >= 8
        return SVGChart(
            title: "movierec: sweep of \(parameter.name) (chosen \(ParameterSweep.format(chosen.value)) by validation \(metric.rawValue))",
            xLabel: parameter.name, yLabel: "metric", series: series.map { item in
                SVGChart.Series(name: item.name, points: item.points.sorted { $0.x < $1.x })
            }, xScale: logarithmic ? .logarithmic : .linear, width: 860)
    }

    private var values: [Double] { settings.map(\.value) }
}
