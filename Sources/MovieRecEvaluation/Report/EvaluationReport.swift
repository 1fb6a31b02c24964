import Foundation

/// Renders evaluation results as a readable table or as a ``JSONValue``.
///
/// JSON keys: `rmse`, `mae`, `precisionAt<K>`, `recallAt<K>`, `ndcgAt<K>`, `mapAt<K>`, `hitRateAt<K>`,
/// `coverage`, `users` (users evaluated by the top-N protocol), `testRatings`, `testUsers`,
/// `coldTestRatings` (see ``SplitMetrics/figures(k:)``). With several folds these top-level figures are
/// means, and `mean`, `standardDeviation` and `folds` (one object per fold) are added. A figure a
/// predictor does not produce is `null`.
public struct EvaluationReport: Sendable {
    /// What was evaluated, in words (files or database and split).
    public let description: String
    /// The top-N cut-off.
    public let k: Int
    /// The relevance threshold.
    public let relevance: Float
    /// The seed of the splits and of the sweep's validation carve-out.
    public let seed: UInt64

    /// Creates a report description.
    public init(description: String, k: Int, relevance: Float, seed: UInt64) {
        self.description = description
        self.k = k
        self.relevance = relevance
        self.seed = seed
    }

    // MARK: - Evaluation and comparison

    /// The JSON of an evaluation: the figures of the last variant (the full model) at the top level, and
    /// with more than one variant a `variants` array with each variant's figures and `name`.
    /// - Parameter perSplit: for each split, the figures of each variant (in the order of `variants`).
    /// - Throws: ``EvaluationError`` when there is no split.
    public func json(variants: [ModelVariant], perSplit: [[SplitMetrics]], seconds: Double) throws -> JSONValue {
        var pairs = header(splits: perSplit.count)
        let entries = try variants.indices.map { index in try entry(perSplit.map { $0[index] }) }
        pairs += entries.last ?? []
        if variants.count > 1 {
            pairs.append(("variants", .array(zip(variants, entries).map { variant, fields in
                .object([("name", .string(variant.rawValue))] + fields)
            })))
        }
        pairs.append(("seconds", .number(seconds)))
        return .object(pairs)
    }

    /// A readable table: one column per figure (a row per variant) when comparing, otherwise one row
    /// per figure (with a column per fold, the mean and the standard deviation when there are folds).
    /// - Throws: ``EvaluationError`` when there is no split.
    public func text(variants: [ModelVariant], perSplit: [[SplitMetrics]], seconds: Double) throws -> String {
        var lines = [description]
        let folds = perSplit.count
        if variants.count > 1 {
            let columns = Self.metricColumns(k: k)
            lines.append("  " + "predictor".padding(toLength: 24, withPad: " ", startingAt: 0)
                         + columns.map { Self.cell($0.label, width: 9) }.joined())
            for (index, variant) in variants.enumerated() {
                let summary = try FigureSummary.summarise(perSplit.map { $0[index].figures(k: k) })
                let cells = columns.map { column in
                    Self.cell(Self.number(summary.first { $0.name == column.key }?.mean), width: 9)
                }
                lines.append("  " + variant.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0) + cells.joined())
            }
            if folds > 1 { lines.append("  (means over \(folds) folds; --json gives per-fold values and standard deviations)") }
            lines.append("  — = not produced by that predictor (see `movierec evaluate --help`)")
        } else {
            let summary = try FigureSummary.summarise(perSplit.map { $0[0].figures(k: k) })
            if folds > 1 {
                lines.append("  " + "".padding(toLength: 12, withPad: " ", startingAt: 0)
                             + (1...folds).map { Self.cell("fold \($0)", width: 9) }.joined()
                             + Self.cell("mean", width: 9) + Self.cell("sd", width: 9))
            }
            for column in Self.metricColumns(k: k) {
                guard let figure = summary.first(where: { $0.name == column.key }) else { continue }
                var line = "  " + column.label.padding(toLength: 12, withPad: " ", startingAt: 0)
                if folds > 1 {
                    line += figure.values.map { Self.cell(Self.number($0), width: 9) }.joined()
                    line += Self.cell(Self.number(figure.mean), width: 9)
                    line += Self.cell(Self.number(figure.standardDeviation), width: 9)
                } else {
                    line += Self.number(figure.mean)
                }
                lines.append(line)
            }
            let mean = { (name: String) in Int((summary.first { $0.name == name }?.mean ?? 0).rounded()) }
            let per = folds > 1 ? " (mean per fold)" : ""
            lines.append("  users       \(mean("users")) evaluated for top-N\(per); relevant = test rating ≥ "
                         + Self.number(Double(relevance), digits: 1))
            lines.append("  test        \(mean("testRatings")) ratings of \(mean("testUsers")) users\(per), "
                         + "\(mean("coldTestRatings")) of them with a user or film unknown to train (baseline terms only)")
        }
        lines.append(String(format: "  time        %.2f s", seconds))
        return lines.joined(separator: "\n")
    }

    // MARK: - Sweeps

    /// The JSON of a sweep: `sweep.parameter`, `sweep.metric`, `sweep.chosen` (the value) and
    /// `sweep.settings`, one object per value with `value`, `chosen`, `validationScore`, `validation`
    /// (mean figures over the validation splits) and `test` (figures as for an evaluation).
    public func json(sweep result: SweepResult, seconds: Double) throws -> JSONValue {
        let settings = try result.settings.enumerated().map { index, setting -> JSONValue in
            let validation = try FigureSummary.summarise(setting.validation.map { $0.figures(k: k) })
            return .object([
                ("value", .number(setting.value)),
                ("chosen", .bool(index == result.chosenIndex)),
                ("validationScore", .number(setting.validationScore)),
                ("validation", .object(validation.map { ($0.name, .optional($0.mean)) })),
                ("test", .object(try entry(setting.test))),
            ])
        }
        var pairs = header(splits: result.chosen.test.count)
        pairs.append(("sweep", .object([
            ("parameter", .string(result.parameter.name)),
            ("metric", .string(result.metric.rawValue)),
            ("chosen", .number(result.chosen.value)),
            ("settings", .array(settings)),
        ])))
        pairs.append(("seconds", .number(seconds)))
        return .object(pairs)
    }

    /// A table with one row per value: the validation score it was chosen by, then its test figures;
    /// the chosen value is marked with `*`.
    public func text(sweep result: SweepResult, seconds: Double) throws -> String {
        let folds = result.chosen.test.count
        var lines = [description]
        lines.append("Sweep of \(result.parameter.name), chosen by validation \(result.metric.rawValue) "
                     + "(validation: 20 % of each user's train ratings, seed \(seed); the test rows are not used to choose)")
        let columns = Self.metricColumns(k: k)
        lines.append("    " + result.parameter.name.padding(toLength: 20, withPad: " ", startingAt: 0)
                     + Self.cell("val \(result.metric.rawValue)", width: 12) + "  |"
                     + columns.map { Self.cell($0.label, width: 9) }.joined())
        for (index, setting) in result.settings.enumerated() {
            let summary = try FigureSummary.summarise(setting.test.map { $0.figures(k: k) })
            let mark = index == result.chosenIndex ? "  * " : "    "
            lines.append(mark + ParameterSweep.format(setting.value).padding(toLength: 20, withPad: " ", startingAt: 0)
                         + Self.cell(Self.number(setting.validationScore), width: 12) + "  |"
                         + columns.map { column in
                             Self.cell(Self.number(summary.first { $0.name == column.key }?.mean), width: 9)
                         }.joined())
        }
        lines.append("  * = chosen: \(result.parameter.name) = \(ParameterSweep.format(result.chosen.value))"
                     + (folds > 1 ? "; test figures are means over \(folds) folds" : ""))
        lines.append(String(format: "  time        %.2f s", seconds))
        return lines.joined(separator: "\n")
    }

    // MARK: - Parts

    private func header(splits: Int) -> [(String, JSONValue)] {
        [("data", .string(description)), ("k", .number(Double(k))), ("relevance", .number(Double(relevance))),
         ("seed", .number(Double(seed))), ("splits", .number(Double(splits)))]
    }

    /// One predictor's figures over the splits: the values (means with several splits), plus `mean`,
    /// `standardDeviation` and `folds` with several splits.
    private func entry(_ splits: [SplitMetrics]) throws -> [(String, JSONValue)] {
        let figures = splits.map { $0.figures(k: k) }
        let summary = try FigureSummary.summarise(figures)
        var pairs = summary.map { ($0.name, JSONValue.optional($0.mean)) }
        if splits.count > 1 {
            pairs.append(("mean", .object(summary.map { ($0.name, .optional($0.mean)) })))
            pairs.append(("standardDeviation", .object(summary.map { ($0.name, .optional($0.standardDeviation)) })))
            pairs.append(("folds", .array(figures.enumerated().map { index, fold in
                .object([("fold", .number(Double(index + 1)))] + fold.map { ($0.name, .optional($0.value)) })
            })))
        }
        return pairs
    }

    /// The metric columns of tables: key and short label.
    private static func metricColumns(k: Int) -> [(key: String, label: String)] {
        [("rmse", "RMSE"), ("mae", "MAE"), ("precisionAt\(k)", "P@\(k)"), ("recallAt\(k)", "R@\(k)"),
         ("ndcgAt\(k)", "nDCG@\(k)"), ("mapAt\(k)", "MAP@\(k)"), ("hitRateAt\(k)", "Hit@\(k)"), ("coverage", "cover")]
    }

    /// `value` with `digits` decimals, or an em dash for `nil`.
    private static func number(_ value: Double?, digits: Int = 4) -> String {
        guard let value else { return "—" }
        return String(format: "%.\(digits)f", value)
    }

    /// `text` right-aligned in `width` characters.
    private static func cell(_ text: String, width: Int) -> String {
        String(repeating: " ", count: max(1, width - text.count)) + text
    }
}
