import ArgumentParser
import Foundation
import MovieRecEvaluation
import MovieRecModel
import MovieRecService
import MovieRecStore

/// `movierec evaluate`: rating and top-N accuracy on a train/test pair of files or on splits of the database,
/// optionally side by side with simpler predictors (`--compare`) or over a parameter sweep (`--sweep`).
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure rating (RMSE, MAE) and top-N (P/R/nDCG/MAP/HitRate@K, coverage) accuracy.",
        discussion: """
            Data: --train FILE --test FILE (any ratings format import reads; parsed in memory, no database is \
            touched; repeat both for several pairs, e.g. the 5 folds of a cross-validation), or splits of the database: --folds K (random K-fold) or --split user-holdout (20 % of each \
            user's ratings at random) or --split time (each user's latest 20 %), with --seed.

            Every test rating is scored; a user or film unknown to train is predicted from the baseline terms that \
            are known. Top-N protocol: catalog = films in train; candidates = catalog films the user did not rate in \
            train; relevant = the user's test films rated >= --relevance; users without a relevant film are skipped.

            --compare adds, on the same split: global mean, baseline only, most popular (by train count, ties to \
            the film first in id order), SVD only, user attention only, film attention only. --sweep name=v1,v2,... tries \
            values of a parameter, chooses one on a validation split carved out of train (never the test rows) and \
            shows every value's test figures; --plot FILE.svg draws them. Parameters: \
            \(TunableParameter.all.map(\.name).joined(separator: ", ")). The rank is lowered to \
            min(train users, train films) on small data.

            Examples:
              movierec evaluate --train fold1.train.csv --test fold1.test.csv
              movierec evaluate --train f1.train.csv --test f1.test.csv \\
                  --train f2.train.csv --test f2.test.csv
              movierec evaluate --folds 5 --seed 42 --compare --db movies.sqlite
              movierec evaluate --split user-holdout --sweep rank=10,20,50,100 \\
                  --plot rank.svg --json
            """
    )

    @Option(help: ArgumentHelp("Train on this ratings file (with --test; repeatable, pairs in order).", valueName: "file"))
    var train: [String] = []

    @Option(help: ArgumentHelp("Score this ratings file (with --train; repeatable).", valueName: "file"))
    var test: [String] = []

    @Option(help: ArgumentHelp("Format of --train/--test: auto, movielens-csv, ml-100k, ml-1m or csv (with the column options below, as for import).", valueName: "format"))
    var inputFormat = RatingsFormatChoice.auto

    @OptionGroup var columns: RatingColumnOptions

    @Option(help: ArgumentHelp("Random K-fold cross-validation on the database.", valueName: "K"))
    var folds: Int?

    @Option(help: ArgumentHelp("One split of the database: user-holdout or time.", valueName: "kind"))
    var split: SplitChoice?

    @Option(help: ArgumentHelp("Seed of the folds, the holdout and the sweep's validation split.", valueName: "S"))
    var seed: UInt64 = 42

    @Option(name: .customLong("k"), help: ArgumentHelp("Top-N cut-off K.", valueName: "N"))
    var cutoff = 10

    @Option(help: ArgumentHelp("Minimum test rating of a relevant film.", valueName: "rating"))
    var relevance: Float = 4.0

    @Flag(help: "Compare the model with six simpler predictors on the same split.")
    var compare = false

    @Option(help: ArgumentHelp("Try several values of one parameter, e.g. rank=10,20,50,100.", valueName: "name=v1,v2,..."))
    var sweep: String?

    @Option(help: ArgumentHelp("Metric the sweep is chosen by: rmse, mae, ndcg, map, precision or recall (default: rmse for rating parameters, ndcg for ranking ones).", valueName: "metric"))
    var select: SelectionMetric?

    @Option(help: ArgumentHelp("Draw the sweep as an SVG chart in this file.", valueName: "file.svg"))
    var plot: String?

    @Option(name: .customLong("param"), help: ArgumentHelp("Set a model parameter, e.g. --param rank=50 (repeatable).", valueName: "name=value"))
    var parameterSettings: [String] = []

    @Flag(help: "Fit the model's blend weights α on a validation slice of each train part (a second training run).")
    var fitBlend = false

    @Option(help: ArgumentHelp("Worker threads (default: all processors; results do not depend on it).", valueName: "n"))
    var threads: Int?

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        let sources = [!train.isEmpty || !test.isEmpty, folds != nil, split != nil].filter { $0 }.count
        guard sources == 1 else {
            throw ValidationError("Give exactly one of --train/--test, --folds K or --split user-holdout|time.")
        }
        if train.count != test.count {
            throw ValidationError("--train and --test go together: give as many --test files as --train files.")
        }
        if compare && sweep != nil {
            throw ValidationError("--compare and --sweep cannot be combined.")
        }
        if plot != nil && sweep == nil {
            throw ValidationError("--plot draws a sweep: add --sweep name=v1,v2,...")
        }
        if select != nil && sweep == nil {
            throw ValidationError("--select chooses a sweep's value: add --sweep name=v1,v2,...")
        }
        if let threads, threads < 1 {
            throw ValidationError("--threads must be at least 1.")
        }
    }

    func run() throws {
        let started = DispatchTime.now().uptimeNanoseconds
        let progress = FoldProgress(enabled: stderrIsTerminal && !output.quiet)
        defer { progress.finish() }
        progress.show("loading ratings...")
        let source = try loadSource()
        let settings = EvaluationSettings(
            k: cutoff, relevanceThreshold: relevance, parameters: try modelParameters(),
            threadCount: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let folds = try zip(source.datasets, source.splits).map { dataset, split in
            EvaluationFold(runner: try EvaluationRunner(dataset: dataset, settings: settings), split: split)
        }
        let report = EvaluationReport(description: source.description, k: cutoff, relevance: relevance, seed: seed)
        if let sweep {
            let (parameter, values) = try Self.parseSweep(sweep)
            let result = try ParameterSweep(parameter: parameter, values: values, metric: select, validationSeed: seed)
                .run(folds: folds) { progress.show($0) }
            progress.finish()
            if let plot {
                try result.chart(k: cutoff).render().write(toFile: plot, atomically: true, encoding: .utf8)
            }
            let seconds = Self.seconds(since: started)
            if output.json {
                try printJSON(try report.json(sweep: result, seconds: seconds))
            } else {
                print(try report.text(sweep: result, seconds: seconds))
                if let plot { print("  chart       \(plot)") }
            }
            return
        }
        let variants = compare ? ModelVariant.allCases : [.fullModel]
        var perSplit: [[SplitMetrics]] = []
        for (index, fold) in folds.enumerated() {
            progress.show(folds.count > 1 ? "fold \(index + 1)/\(folds.count): training and scoring..."
                                          : "training and scoring...")
            perSplit.append(try fold.runner.evaluate(split: fold.split, variants: variants))
        }
        progress.finish()
        let seconds = Self.seconds(since: started)
        if output.json {
            try printJSON(try report.json(variants: variants, perSplit: perSplit, seconds: seconds))
        } else {
            print(try report.text(variants: variants, perSplit: perSplit, seconds: seconds))
        }
    }

    /// The model parameters: defaults changed by each `--param name=value`.
    private func modelParameters() throws -> ModelParameters {
        var parameters = ModelParameters()
        parameters.seed = seed
        parameters.fitsBlend = fitBlend
        return try TunableParameter.applying(parameterSettings, to: parameters)
    }

    /// `rank=10,20,50` → the parameter and its values.
    static func parseSweep(_ text: String) throws -> (TunableParameter, [Double]) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        let values = parts.count == 2 ? parts[1].split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) } : []
        guard parts.count == 2, !values.isEmpty, values.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--sweep expects name=v1,v2,... with numbers, not '\(text)'.")
        }
        return (try TunableParameter.named(parts[0]), values.compactMap { $0 })
    }

    /// The rows and splits to evaluate, from the two files or from the database.
    private func loadSource() throws -> EvaluationSource {
        if !train.isEmpty {
            let format = try ratingsFormat()
            let bounds = try columns.bounds(format: format)
            var datasets: [EvaluationDataset] = []
            var splits: [RowSplit] = []
            var described: [String] = []
            for (trainFile, testFile) in zip(train, test) {
                let trainTable = RatingTable(try ParsedRatings(contentsOf: trainFile, format: format, bounds: bounds))
                let testTable = RatingTable(try ParsedRatings(contentsOf: testFile, format: format, bounds: bounds))
                let pair = try EvaluationSource(train: trainTable, test: testTable)
                datasets += pair.datasets
                splits += pair.splits
                described.append("train \(trainFile) (\(groupedDigits(trainTable.count)) ratings), "
                                 + "test \(testFile) (\(groupedDigits(testTable.count)) ratings)")
            }
            return EvaluationSource(datasets: datasets, splits: splits, description: described.count == 1
                                    ? described[0]
                                    : "\(described.count) train/test pairs:\n    " + described.joined(separator: "\n    "))
        }
        let path = database.resolvedPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("No database at \(path): import ratings first (movierec import FILE --db \(path)), "
                                  + "or evaluate files with --train/--test.")
        }
        let table = try RatingStore(path: path, createIfMissing: false).loadRatings()
        let dataset = try EvaluationSource.dataset(table)
        let rowCount = dataset.rows.count
        if let folds {
            let splits = try RowSplit.kFold(rowCount: rowCount, folds: folds, seed: seed)
            return EvaluationSource(datasets: Array(repeating: dataset, count: splits.count), splits: splits,
                                    description: "\(path): \(folds)-fold cross-validation (seed \(seed)), \(groupedDigits(rowCount)) ratings")
        }
        if split == .time {
            return EvaluationSource(datasets: [dataset], splits: [RowSplit.timeSplit(of: dataset.rows)],
                                    description: "\(path): time split (each user's latest 20 % as test), \(groupedDigits(rowCount)) ratings")
        }
        return EvaluationSource(datasets: [dataset], splits: [RowSplit.perUserHoldout(of: dataset.rows, seed: seed)],
                                description: "\(path): per-user 20 % holdout (seed \(seed)), \(groupedDigits(rowCount)) ratings")
    }

    private func ratingsFormat() throws -> RatingsFormat {
        try columns.format(inputFormat: inputFormat)
    }

    private static func seconds(since start: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}

/// A one-line status on stderr (`fold 2/5: training and scoring...`), drawn only on a terminal.
final class FoldProgress {
    private let enabled: Bool
    private var drew = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ message: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + message).utf8))
        drew = true
    }

    func finish() {
        guard drew else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drew = false
    }
}
