import Foundation
import MovieRecEvaluation
import MovieRecModel
import MovieRecNumerics
import MovieRecStore
import MovieRecSynthetic

/// One benchmark run: generate (or reuse) an ML-25M-shaped data set, then import, load, train, time the
/// SVD alone, and time recommendations, all in this process.
struct BenchmarkRun {
    /// Number of ratings to generate.
    var ratings: Int
    /// Seed of the generator and of the sampled users.
    var seed: UInt64
    /// Directory holding the generated files and the database, one sub-directory per (size, seed).
    var cacheDirectory: String
    /// Reuse the cached database instead of importing again (imports when there is none).
    var reuseDatabase: Bool
    /// Stop after training (to measure load + train alone, e.g. under `/usr/bin/time -v`).
    var stopAfterTraining: Bool
    /// Users timed one call at a time for `recommend` and `similar`.
    var sampledUsers = 2000
    /// A ratings file to measure instead of a generated set (any format `import` accepts), e.g. ml-latest-small.
    var ratingsFile: String? = nil
    /// Its movie file, if any.
    var moviesFile: String? = nil
    /// `name=value` settings applied to the measured parameters (``TunableParameter/applying(_:to:)``).
    var parameterSettings: [String] = []
    /// Skip the batch top 10 of every user (its figures stay 0): the per-call latencies alone, in a quarter of the time.
    var skipsBatch = false
    /// Called with a line of progress text as each step starts.
    var log: (String) -> Void

    /// Users of an ML-25M-shaped set of `ratings` ratings: 0.0065 per rating (162,500 at 25 M), at least 1,000.
    static func userCount(ratings: Int) -> Int { max(1000, Int((0.0065 * Double(ratings)).rounded())) }

    /// Films of an ML-25M-shaped set: 0.0025 per rating (62,500 at 25 M), at least 500 and at most
    /// 100,000 (catalogues grow far slower than ratings; ML-32M has 87,585 films).
    static func movieCount(ratings: Int) -> Int { min(100_000, max(500, Int((0.0025 * Double(ratings)).rounded()))) }

    /// The model settings measured: the defaults with rank 64 (capped at the matrix size).
    static func parameters(users: Int, movies: Int) -> ModelParameters {
        var parameters = ModelParameters()
        parameters.rank = min(64, users, movies)
        parameters.watchRank = min(parameters.watchRank, users, movies)
        return parameters
    }

    /// Runs every step and returns the report (with `stopAfterTraining`, the later figures are 0).
    func run() throws -> BenchmarkReport {
        let users = Self.userCount(ratings: ratings)
        let movies = Self.movieCount(ratings: ratings)
        let given = self.ratingsFile.map { URL(fileURLWithPath: $0) }
        let directory = URL(fileURLWithPath: cacheDirectory).appendingPathComponent(
            given.map { "file-" + $0.deletingPathExtension().lastPathComponent } ?? "ratings-\(ratings)-seed-\(seed)")
        let ratingsFile = given?.path ?? directory.appendingPathComponent("ratings.csv").path
        let moviesFile = given == nil ? directory.appendingPathComponent("movies.csv").path : self.moviesFile
        let databasePath = directory.appendingPathComponent("benchmark.sqlite").path
        var loads: [String: Double] = [:]
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        if given == nil && !FileManager.default.fileExists(atPath: ratingsFile) {
            log("Generating \(ratings) ratings by \(users) users of \(movies) films into \(directory.path)")
            let configuration = SyntheticConfiguration(users: users, movies: movies, ratings: ratings, seed: seed)
            let (_, seconds) = try Stopwatch.time { try generateSyntheticDataset(configuration, into: directory) }
            log(String(format: "  generated in %.1f s", seconds))
        }

        var importSeconds = 0.0
        var importRate = 0.0
        let reused = reuseDatabase && FileManager.default.fileExists(atPath: databasePath)
        if !reused {
            for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: databasePath + suffix) }
            log("Importing \(ratingsFile)")
            let options = ImportOptions(moviesFile: moviesFile)
            let (summary, seconds) = try Stopwatch.time {
                try RatingsImporter(databasePath: databasePath, options: options).run(ratingsFile: ratingsFile)
            }
            importSeconds = seconds
            importRate = Double(summary.read) / seconds
            loads["import"] = SystemProbe.loadAverage()
        }

        log("Loading the ratings from SQLite")
        let (data, loadSeconds) = try Stopwatch.time { () throws -> RatingData in
            // What training loads: no timestamps (the model does not use them).
            let table = try RatingStore(path: databasePath, createIfMissing: false).loadRatings(includeTimestamps: false)
            return RatingData(userCount: table.userIDs.count, movieCount: table.movieIDs.count,
                              userIndex: table.userIndex, movieIndex: table.movieIndex, rating: table.rating)
        }
        loads["load"] = SystemProbe.loadAverage()

        let parameters = try TunableParameter.applying(parameterSettings,
                                                       to: Self.parameters(users: data.userCount, movies: data.movieCount))
        log("Training (rank \(parameters.rank), watch rank \(parameters.watchRank))")
        var stageSeconds: [String: Double] = [:]
        var stage: (name: String, watch: Stopwatch)?
        let trainWatch = Stopwatch()
        let trainCPUBefore = SystemProbe.processCPUSeconds()
        // Consumed, so the load's arrays are freed once the model has its own sparse matrices.
        let model = try Model.train(data: consume data, parameters: parameters) { next in
            if let stage { stageSeconds[stage.name] = stage.watch.seconds }
            stage = (next.rawValue, Stopwatch())
        }
        if let stage { stageSeconds[stage.name] = stage.watch.seconds }
        let trainSeconds = trainWatch.seconds
        let trainCPUSeconds = SystemProbe.processCPUSeconds() - trainCPUBefore
        loads["train"] = SystemProbe.loadAverage()

        var report = BenchmarkReport(
            ratings: model.ratings.byUser.nonzeroCount, users: model.userCount, movies: model.movieCount, seed: seed,
            rank: parameters.rank,
            watchRank: model.watchFactors.rank, powerIterations: parameters.powerIterations,
            oversampling: parameters.oversampling,
            krylovBlocks: TruncatedSVD(rank: parameters.rank).krylovBlocks, threads: ParallelOptions.default.threadCount,
            parameterSettings: parameterSettings, reusedDatabase: reused,
            importSeconds: importSeconds, importRowsPerSecond: importRate, loadSeconds: loadSeconds,
            trainSeconds: trainSeconds, trainStageSeconds: stageSeconds, svdSeconds: 0, svdCPUSeconds: 0, svdRelativeResidual: 0,
            sampledUsers: 0, recommendP50Ms: 0, recommendP99Ms: 0, recommendPlainP50Ms: 0, recommendPlainP99Ms: 0, similarP50Ms: 0, similarP99Ms: 0,
            recommendAllSeconds: 0, recommendAllMsPerUser: 0, peakRSSBytes: 0, loadAverages: loads)
        report.trainCPUSeconds = trainCPUSeconds
        report.rankingNeighbourRecall = model.rankingNeighbourRecall(sample: 200)
        report.newUserNeighbourRecall = model.newUserNeighbourRecall(sample: 200)
        if stopAfterTraining {
            report.peakRSSBytes = SystemProbe.peakResidentBytes()
            return report
        }

        log("Timing the residual SVD alone")
        try measureSVD(model: model, parameters: parameters, into: &report)

        log("Timing recommend and similar for \(sampledUsers) users")
        try measureQueries(model: model, into: &report)

        if skipsBatch {
            report.skippedBatch = true
            report.peakRSSBytes = SystemProbe.peakResidentBytes()
            return report
        }
        log("Top 10 for every user")
        let recommender = Recommender(model: model)
        let allCPUBefore = SystemProbe.processCPUSeconds()
        let (all, allSeconds) = Stopwatch.time { recommender.topNForAllUsers(count: 10) }
        report.recommendAllCPUMsPerUser = (SystemProbe.processCPUSeconds() - allCPUBefore) * 1000 / Double(model.userCount)
        precondition(all.count == model.userCount)
        report.recommendAllSeconds = allSeconds
        report.recommendAllMsPerUser = allSeconds * 1000 / Double(model.userCount)
        report.loadAverages["recommendAll"] = SystemProbe.loadAverage()
        report.peakRSSBytes = SystemProbe.peakResidentBytes()
        return report
    }

    /// Times the rank-k truncated SVD of the training residuals `A = R − baseline` by itself, and its
    /// relative residual ‖A − U S Vᵀ‖_F / ‖A‖_F computed without forming `U S Vᵀ` as
    /// `√(‖A‖² − 2·Σ s_i·u_iᵀ(A v_i) + Σ s_i²) / ‖A‖`.
    private func measureSVD(model: TrainedModel, parameters: ModelParameters, into report: inout BenchmarkReport) throws {
        let baseline = model.baseline
        let residuals = model.ratings.byUser.mapValues { u, i, r in r - baseline.estimate(user: u, movie: i) }
        let svd = TruncatedSVD(rank: parameters.rank, oversampling: parameters.oversampling,
                               powerIterations: parameters.powerIterations, seed: parameters.seed)
        let timed = try Self.timeSVD(svd, of: residuals)
        report.svdSeconds = timed.seconds
        report.svdCPUSeconds = timed.cpuSeconds
        report.svdRelativeResidual = timed.relativeResidual
        report.loadAverages["svd"] = SystemProbe.loadAverage()
    }

    /// Times `svd.decompose(a)` and computes its relative residual ‖A − U S Vᵀ‖_F / ‖A‖_F without forming
    /// `U S Vᵀ`: ‖A − U S Vᵀ‖² = ‖A‖² − 2·Σ s_i·u_iᵀ(A v_i) + Σ s_i² (U, V orthonormal) — the formula
    /// `Scripts/compare-peers.sh` uses for scikit-learn and scipy.
    static func timeSVD(_ svd: TruncatedSVD, of a: CSRMatrix) throws
        -> (seconds: Double, cpuSeconds: Double, relativeResidual: Double) {
        let cpuBefore = SystemProbe.processCPUSeconds()
        let (result, seconds) = try Stopwatch.time { try svd.decompose(a) }
        let cpuSeconds = SystemProbe.processCPUSeconds() - cpuBefore
        let av = a.multiplied(by: result.v)          // columns A v_i
        let k = result.singularValues.count
        var normSquared = 0.0
        for x in a.values { normSquared += Double(x) * Double(x) }
        var cross = 0.0
        var spectrum = 0.0
        for i in 0..<k {
            let s = Double(result.singularValues[i])
            var projection = 0.0
            for r in 0..<av.rows { projection += Double(result.u.values[r * k + i]) * Double(av.values[r * k + i]) }
            cross += s * projection
            spectrum += s * s
        }
        let residual = normSquared > 0 ? (max(normSquared - 2 * cross + spectrum, 0) / normSquared).squareRoot() : 0
        return (seconds, cpuSeconds, residual)
    }

    /// What `benchmark --svd-only` prints: the rank-k SVD of the raw rating matrix of a file (missing = 0, no
    /// centring) — the same matrix the peers script gives scikit-learn's `randomized_svd` and scipy's `svds`.
    struct SVDOnlyReport: Encodable {
        /// Ratings in the file.
        var ratings: Int
        /// Matrix shape: users × rated films.
        var users: Int
        /// Films with at least one rating.
        var movies: Int
        /// Rank k.
        var rank: Int
        /// Seconds to parse the file into the sparse matrix.
        var loadSeconds: Double
        /// Seconds of the truncated SVD alone.
        var svdSeconds: Double
        /// CPU seconds (all threads) of the truncated SVD: its cost even on a busy machine.
        var svdCPUSeconds: Double
        /// Power iterations q used.
        var powerIterations: Int
        /// Power-step blocks in the Rayleigh–Ritz space.
        var krylovBlocks: Int
        /// ‖A − U S Vᵀ‖_F / ‖A‖_F.
        var svdRelativeResidual: Double
        /// Peak resident memory of the process.
        var peakRSSBytes: Int
    }

    /// Parses `file`, builds the raw users × films matrix (films nobody rated dropped) and times its SVD
    /// with the model's randomized-SVD settings (`powerIterations` overrides q).
    static func svdOnly(file: String, rank: Int, powerIterations: Int? = nil) throws -> SVDOnlyReport {
        let (matrix, loadSeconds) = try Stopwatch.time { () throws -> CSRMatrix in
            let table = RatingTable(try ParsedRatings(contentsOf: file))
            return try CSRMatrix(rows: table.userIDs.count, columns: table.movieIDs.count, rowIndices: table.userIndex,
                                 columnIndices: table.movieIndex, values: table.rating)
        }
        let defaults = ModelParameters()
        let svd = TruncatedSVD(rank: min(rank, matrix.rows, matrix.columns), oversampling: defaults.oversampling,
                               powerIterations: powerIterations ?? defaults.powerIterations, seed: defaults.seed)
        let timed = try timeSVD(svd, of: matrix)
        return SVDOnlyReport(ratings: matrix.nonzeroCount, users: matrix.rows, movies: matrix.columns,
                             rank: svd.rank, loadSeconds: loadSeconds, svdSeconds: timed.seconds,
                             svdCPUSeconds: timed.cpuSeconds, powerIterations: svd.powerIterations,
                             krylovBlocks: svd.krylovBlocks,
                             svdRelativeResidual: timed.relativeResidual, peakRSSBytes: SystemProbe.peakResidentBytes())
    }

    /// Times `recommend` (top 10 with explanations, then without) and `similar` (10 users) one call at a time for
    /// `sampledUsers` users drawn with the seed, after one warm-up call each.
    private func measureQueries(model: TrainedModel, into report: inout BenchmarkReport) throws {
        var generator = SeededGenerator(seed: seed)
        let users = (0..<sampledUsers).map { _ in Int(generator.next() % UInt64(model.userCount)) }
        let recommender = Recommender(model: model)
        _ = try recommender.topN(user: users[0], count: 10, explain: true)
        var recommendMs: [Double] = []
        for user in users {
            let watch = Stopwatch()
            let list = try recommender.topN(user: user, count: 10, explain: true)
            recommendMs.append(watch.milliseconds)
            precondition(list.count <= 10)   // shorter when the rating floor leaves fewer films
        }
        report.loadAverages["recommend"] = SystemProbe.loadAverage()
        var plainMs: [Double] = []
        for user in users {
            let watch = Stopwatch()
            _ = try recommender.topN(user: user, count: 10)
            plainMs.append(watch.milliseconds)
        }
        _ = try model.mostSimilarUsers(to: users[0], count: 10)
        var similarMs: [Double] = []
        for user in users {
            let watch = Stopwatch()
            let list = try model.mostSimilarUsers(to: user, count: 10)
            similarMs.append(watch.milliseconds)
            precondition(list.count == min(10, model.userCount - 1))
        }
        report.loadAverages["similar"] = SystemProbe.loadAverage()
        let (recommend, plain, similar) = (Percentiles(recommendMs), Percentiles(plainMs), Percentiles(similarMs))
        let activity = users.map { model.ratings.userRange($0).count }
        report.recommendByActivity = [("1–99 ratings", 1..<100), ("100–999 ratings", 100..<1000),
                                      ("1,000 ratings or more", 1000..<Int.max)].compactMap { label, range in
            let times = zip(activity, recommendMs).filter { range.contains($0.0) }.map(\.1)
            guard !times.isEmpty else { return nil }
            let percentiles = Percentiles(times)
            return ActivityClass(label: label, users: times.count, p50Ms: percentiles.value(50), p99Ms: percentiles.value(99))
        }
        let slowest = recommendMs.indices.sorted { recommendMs[$0] > recommendMs[$1] }.prefix(max(1, users.count / 100))
        let slowCounts = slowest.map { activity[$0] }.sorted()
        report.recommendSlowest = SlowestCalls(calls: slowest.count, fromMs: slowest.map { recommendMs[$0] }.min() ?? 0,
                                               medianRatings: slowCounts[slowCounts.count / 2],
                                               usersWithThousandRatings: slowCounts.filter { $0 >= 1000 }.count)
        report.recommendPlainP50Ms = plain.value(50)
        report.recommendPlainP99Ms = plain.value(99)
        report.sampledUsers = users.count
        report.recommendP50Ms = recommend.value(50)
        report.recommendP99Ms = recommend.value(99)
        report.similarP50Ms = similar.value(50)
        report.similarP99Ms = similar.value(99)
    }
}
