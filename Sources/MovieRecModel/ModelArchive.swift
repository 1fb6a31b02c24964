import MovieRecNumerics

/// A trained model as flat `Float` arrays plus a `Codable` header, for saving as BLOBs.
///
/// The ratings are not included: ``TrainedModel/init(archive:ratings:)`` takes the same ``RatingData``
/// again and checks it against the header's counts. Restoring copies arrays only (no SVD), so it takes
/// milliseconds; predictions of the restored model are identical to the original's.
public struct ModelArchive: Sendable, Equatable {
    /// Shapes and parameters.
    public struct Header: Codable, Sendable, Equatable {
        /// Layout version of the arrays (currently 1).
        public var formatVersion: Int
        /// The training parameters.
        public var parameters: ModelParameters
        /// Users in the training data.
        public var userCount: Int
        /// Films in the training data.
        public var movieCount: Int
        /// Ratings in the training data.
        public var ratingCount: Int
        /// μ.
        public var globalMean: Float
        /// k, the residual SVD rank.
        public var rank: Int
        /// k_w, the watch SVD rank.
        public var watchRank: Int
    }

    /// The current layout version.
    public static let formatVersion = 1

    /// Shapes and parameters.
    public var header: Header
    /// b_u (`userCount`) followed by b_i (`movieCount`).
    public var biases: [Float]
    /// σ (k), then `U_k·S_k` (`userCount × k`, row-major), then `V_k` (`movieCount × k`).
    public var latentFactors: [Float]
    /// `s` (`movieCount`), then σ_w (`k_w`), then `y` (`userCount × k_w`), then `V_w` (`movieCount × k_w`).
    public var watchFactors: [Float]

    /// Creates an archive from its parts.
    public init(header: Header, biases: [Float], latentFactors: [Float], watchFactors: [Float]) {
        self.header = header
        self.biases = biases
        self.latentFactors = latentFactors
        self.watchFactors = watchFactors
    }
}

extension TrainedModel {
    /// The model as an archive (see ``ModelArchive``).
    public func encode() -> ModelArchive {
        let header = ModelArchive.Header(formatVersion: ModelArchive.formatVersion, parameters: parameters,
                                         userCount: userCount, movieCount: movieCount,
                                         ratingCount: ratings.byUser.nonzeroCount, globalMean: baseline.globalMean,
                                         rank: factors.rank, watchRank: watchFactors.rank)
        return ModelArchive(header: header, biases: baseline.userBias + baseline.movieBias,
                            latentFactors: factors.singularValues + factors.userVectors.values
                                + factors.movieVectors.values,
                            watchFactors: watchFactors.columnScale + watchFactors.singularValues
                                + watchFactors.userVectors.values
                                + watchFactors.movieVectors.values)
    }

    /// Restores a model saved with ``encode()``; `ratings` must be the data it was trained on.
    ///
    /// - Throws: ``ModelError`` `.invalidArchive` when the format version, the counts or an array length
    ///   do not match, and the errors of ``RatingMatrix/init(_:)`` for malformed ratings.
    public init(archive: ModelArchive, ratings data: RatingData) throws {
        let header = archive.header
        func require(_ condition: Bool, _ field: String, _ value: Any, _ expected: String) throws {
            guard condition else { throw ModelError(.invalidArchive, field: field, value: "\(value)", expected: expected) }
        }
        try require(header.formatVersion == ModelArchive.formatVersion, "header.formatVersion", header.formatVersion,
                    "version \(ModelArchive.formatVersion) (retrain the model)")
        try header.parameters.validate()
        let ratings = try RatingMatrix(data)
        let (users, movies, k, kw) = (header.userCount, header.movieCount, header.rank, header.watchRank)
        try require(users == ratings.userCount && movies == ratings.movieCount
                    && header.ratingCount == ratings.byUser.nonzeroCount, "header counts",
                    "\(users) users, \(movies) films, \(header.ratingCount) ratings",
                    "the ratings given: \(ratings.userCount) users, \(ratings.movieCount) films, "
                        + "\(ratings.byUser.nonzeroCount) ratings (the model is stale: retrain it)")
        try require(k >= 1 && kw >= 1, "header.rank/watchRank", "\(k)/\(kw)", "ranks of at least 1")
        try require(archive.biases.count == users + movies, "biases.count", archive.biases.count,
                    "\(users + movies) (users + films)")
        try require(archive.latentFactors.count == k + (users + movies) * k, "latentFactors.count",
                    archive.latentFactors.count, "\(k + (users + movies) * k) = k + (users + films)·k")
        try require(archive.watchFactors.count == movies + kw + (users + movies) * kw, "watchFactors.count",
                    archive.watchFactors.count,
                    "\(movies + kw + (users + movies) * kw) = films + k_w + (users + films)·k_w")
        let baseline = Baseline(globalMean: header.globalMean, userBias: Array(archive.biases[0..<users]),
                                movieBias: Array(archive.biases[users...]))
        let latent = archive.latentFactors
        let factors = LatentFactors(singularValues: Array(latent[0..<k]),
                                    userVectors: DenseMatrix(rows: users, columns: k,
                                                             values: Array(latent[k..<(k + users * k)])),
                                    movieVectors: DenseMatrix(rows: movies, columns: k,
                                                              values: Array(latent[(k + users * k)...])),
                                    movieSimilarityExponent: header.parameters.movieSimilarityExponent)
        let watch = archive.watchFactors
        let userStart = movies + kw
        let watchFactors = WatchFactors(userVectors: DenseMatrix(rows: users, columns: kw,
                                                                 values: Array(watch[userStart..<(userStart + users * kw)])),
                                        movieVectors: DenseMatrix(rows: movies, columns: kw,
                                                                  values: Array(watch[(userStart + users * kw)...])),
                                        singularValues: Array(watch[movies..<userStart]),
                                        columnScale: Array(watch[0..<movies]))
        self.init(parameters: header.parameters, ratings: ratings, baseline: baseline, factors: factors,
                  watchFactors: watchFactors)
    }
}
