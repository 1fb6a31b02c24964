import ArgumentParser
import Foundation

/// `movierec benchmark`: measures import, load, training and queries on a generated ML-25M-shaped set.
struct BenchmarkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Measure import, load, training and recommendation speed on a generated data set.",
        discussion: """
        Generates (once; cached under --cache) a MovieLens-shaped set of N ratings by 0.0065·N users of \
        0.0025·N films (162,500 users and 62,500 films at the default 25 M), then measures in this one \
        process with a monotonic clock: the import into a fresh database, loading the ratings from SQLite, \
        training (baseline, rank-64 residual SVD, watch SVD), the residual SVD alone with its relative \
        residual, top-10 recommendations with explanations and 10 most similar users for 2,000 random \
        users one call at a time (p50, p99), the top 10 of every user in batch, and the peak resident \
        memory. Prints a table and, with --out, writes the figures as JSON.

        Examples:
          movierec benchmark --ratings 1000000 --out bench-1m.json
          # load + train alone (e.g. under /usr/bin/time -v):
          movierec benchmark --reuse-database --train-only
          # a real data set:
          movierec benchmark --ratings-file ratings.csv --movies-file movies.csv
          # the SVD alone, as Scripts/compare-peers.sh runs it:
          movierec benchmark --svd-only --ratings-file ratings.csv --rank 64 --json
        """
    )

    @Option(name: .long, help: ArgumentHelp("Number of ratings to generate.", valueName: "N"))
    var ratings = 25_000_000

    @Option(name: .long, help: ArgumentHelp("Seed of the generator and of the sampled users.", valueName: "S"))
    var seed: UInt64 = 42

    @Option(name: .long, help: ArgumentHelp("Write the figures as JSON to this file.", valueName: "file.json"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Directory for the generated files and database.", valueName: "dir"))
    var cache = "bench-cache"

    @Option(name: .long, help: ArgumentHelp("Users timed one call at a time for recommend and similar.", valueName: "n"))
    var sampledUsers = 2000

    @Option(name: .long, help: ArgumentHelp("Measure this ratings file (any format import accepts) instead of a generated set.", valueName: "file"))
    var ratingsFile: String?

    @Option(name: .long, help: ArgumentHelp("The movie file that goes with --ratings-file.", valueName: "file"))
    var moviesFile: String?

    @Flag(name: .long, help: "Only time the rank-k SVD of the raw rating matrix of --ratings-file (the peers' matrix).")
    var svdOnly = false

    @Option(name: .long, help: ArgumentHelp("Rank of --svd-only.", valueName: "k"))
    var rank = 64

    @Option(name: .long, help: ArgumentHelp("Power iterations of --svd-only (default: the model's).", valueName: "q"))
    var powerIterations: Int?

    @Flag(name: .long, help: "Reuse the cached database instead of importing again (imports when there is none).")
    var reuseDatabase = false

    @Flag(name: .long, help: "Stop after training: measures load + train alone.")
    var trainOnly = false

    @Flag(name: .long, help: "Skip the batch top 10 of every user: the per-call latencies alone.")
    var skipBatch = false

    @Option(name: .customLong("param"), help: ArgumentHelp("Set a model parameter, as evaluate --param does, e.g. --param rater-scan-limit=160 (repeatable).", valueName: "name=value"))
    var parameterSettings: [String] = []

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard ratings >= 1000 else {
            throw ValidationError("--ratings must be at least 1000 (got \(ratings)).")
        }
        if svdOnly && ratingsFile == nil {
            throw ValidationError("--svd-only needs --ratings-file.")
        }
        if let powerIterations, powerIterations < 0 {
            throw ValidationError("--power-iterations must be at least 0 (got \(powerIterations)).")
        }
        guard rank >= 1 else { throw ValidationError("--rank must be at least 1 (got \(rank)).") }
        guard sampledUsers >= 1 else {
            throw ValidationError("--sampled-users must be at least 1 (got \(sampledUsers)).")
        }
    }

    func run() throws {
        let quiet = output.quiet
        if svdOnly, let ratingsFile {
            let report = try BenchmarkRun.svdOnly(file: ratingsFile, rank: rank, powerIterations: powerIterations)
            if output.json {
                try printJSON(report)
            } else {
                print(String(format: "rank-%d SVD (q = %d) of %d × %d (%d ratings): %.2f s (%.2f CPU s), relative residual %.6f (load %.2f s)",
                             report.rank, report.powerIterations, report.users, report.movies, report.ratings,
                             report.svdSeconds, report.svdCPUSeconds, report.svdRelativeResidual, report.loadSeconds))
            }
            return
        }
        let run = BenchmarkRun(ratings: ratings, seed: seed, cacheDirectory: cache, reuseDatabase: reuseDatabase,
                               stopAfterTraining: trainOnly, sampledUsers: sampledUsers, ratingsFile: ratingsFile,
                               moviesFile: moviesFile, parameterSettings: parameterSettings, skipsBatch: skipBatch, log: { if !quiet { printError($0) } })
        let report = try run.run()
        if let out {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: out))
        }
        if output.json {
            try printJSON(report)
        } else {
            print(report.table(trainOnly: trainOnly))
        }
    }
}
