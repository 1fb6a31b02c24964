/// Everything one benchmark run measured; written as JSON by `movierec benchmark --out`.
///
/// Times are wall-clock seconds or milliseconds from a monotonic clock; `loadAverages` holds the
/// one-minute load average of the machine when each step ended (other processes competing for the CPU
/// make a step slower, so a figure measured under load should be rerun).
struct BenchmarkReport: Codable {
    /// Number of ratings in the generated set.
    var ratings: Int
    /// Number of users in the generated set.
    var users: Int
    /// Number of films in the generated set.
    var movies: Int
    /// Seed of the generator and of the sampled users.
    var seed: UInt64
    /// Rank k of the residual SVD used (64, or less for a tiny set).
    var rank: Int
    /// Rank k_w of the watch SVD used for ranking.
    var watchRank: Int
    /// Power iterations q of both randomized SVDs.
    var powerIterations: Int
    /// Oversampling p of both randomized SVDs.
    var oversampling: Int
    /// Power-step blocks in the SVDs' Rayleigh–Ritz space (``TruncatedSVD/krylovBlocks``).
    var krylovBlocks: Int
    /// Worker threads of the numeric kernels.
    var threads: Int
    /// The `--param name=value` settings measured, beyond the defaults (empty: the defaults).
    var parameterSettings: [String] = []
    /// True when the batch top 10 of every user was skipped (`--skip-batch`).
    var skippedBatch = false
    /// True when the cached database was reused instead of importing (`importSeconds` is then 0).
    var reusedDatabase: Bool
    /// Seconds to import the generated CSV into a fresh database.
    var importSeconds: Double
    /// Imported rows per second (0 when the database was reused).
    var importRowsPerSecond: Double
    /// Seconds to read every rating from SQLite into dense index arrays.
    var loadSeconds: Double
    /// Seconds of `Model.train`: sparse matrices, baseline, residual SVD, watch SVD.
    var trainSeconds: Double
    /// CPU seconds (all threads) of `Model.train`: its cost even on a busy machine.
    var trainCPUSeconds: Double?
    /// Seconds of each training stage, by stage name.
    var trainStageSeconds: [String: Double]
    /// Share of the true K_r nearest users that the ranking neighbour index built in `train` holds (1 = exact),
    /// over 200 users.
    var rankingNeighbourRecall: Double?
    /// Share of a new user's true K_r nearest users that the walk on the neighbour index finds (200 users' keys).
    var newUserNeighbourRecall: Double?
    /// Seconds of the rank-k residual SVD alone, run by itself on the residual matrix.
    var svdSeconds: Double
    /// CPU seconds (all threads) of the residual SVD alone.
    var svdCPUSeconds: Double
    /// ‖A − U S Vᵀ‖_F / ‖A‖_F of that SVD, from ‖A‖² − 2·Σ s_i·u_iᵀ(A v_i) + Σ s_i².
    var svdRelativeResidual: Double
    /// Number of users timed one call at a time for `recommend` and `similar`.
    var sampledUsers: Int
    /// Median latency of one top-10 `recommend` call with explanations, in milliseconds.
    var recommendP50Ms: Double
    /// 99th-percentile latency of one top-10 `recommend` call with explanations, in milliseconds.
    var recommendP99Ms: Double
    /// The top-10 `recommend` calls with explanations by the user's number of ratings (the cost of a list grows with
    /// it): one entry per class that holds sampled users.
    var recommendByActivity: [ActivityClass]?
    /// The slowest 1 % of those calls (at least one): how many, and the rating counts of their users (the other
    /// slow class, users most of whose best films are predicted below the rating floor, is not told apart here).
    var recommendSlowest: SlowestCalls?
    /// Median latency of one top-10 `recommend` call without explanations (predicted ratings only), in ms.
    var recommendPlainP50Ms: Double
    /// 99th-percentile latency of one top-10 `recommend` call without explanations, in milliseconds.
    var recommendPlainP99Ms: Double
    /// Median latency of one 10-most-similar-users call, in milliseconds.
    var similarP50Ms: Double
    /// 99th-percentile latency of one 10-most-similar-users call, in milliseconds.
    var similarP99Ms: Double
    /// Seconds to compute the top 10 of every user in batch.
    var recommendAllSeconds: Double
    /// `recommendAllSeconds` per user, in milliseconds.
    var recommendAllMsPerUser: Double
    /// CPU milliseconds (all threads) per user of the batch top 10: its cost even on a busy machine.
    var recommendAllCPUMsPerUser: Double?
    /// Peak resident memory of the whole process, in bytes (from the operating system).
    var peakRSSBytes: Int
    /// One-minute load average when each step ended, by step name.
    var loadAverages: [String: Double]
}

/// Latencies of the sampled users whose rating counts fall in one class.
struct ActivityClass: Codable {
    /// The class, e.g. "100–999 ratings".
    var label: String
    /// Sampled users in it.
    var users: Int
    /// Median latency, in milliseconds.
    var p50Ms: Double
    /// 99th-percentile latency, in milliseconds.
    var p99Ms: Double
}

/// What the slowest calls have in common.
struct SlowestCalls: Codable {
    /// How many calls (1 % of the sample, at least one).
    var calls: Int
    /// The fastest of them, in milliseconds.
    var fromMs: Double
    /// Median rating count of their users.
    var medianRatings: Int
    /// Users with at least 1,000 ratings among them.
    var usersWithThousandRatings: Int
}
