import MovieRecNumerics

/// A trained model as flat `Float` arrays plus a `Codable` header, for saving as BLOBs.
///
/// The ratings are not included: ``TrainedModel/init(archive:ratings:)`` takes the same ``RatingData``
/// again and checks it against the header's counts. Restoring copies arrays only (no SVD), so it takes
/// milliseconds; predictions of the restored model are identical to the original's.
///
/// Each array is a concatenation of the model's own arrays (``ModelArchive/Header/segmentLengths(_:)``):
/// ``TrainedModel/archiveSegments(_:)`` and ``TrainedModel/init(header:segments:ratings:)`` give and take
/// them piece by piece, so a store can write and read a large model without whole extra copies.
public struct ModelArchive: Sendable, Equatable {
    /// Shapes and parameters.
    public struct Header: Codable, Sendable, Equatable {
        /// Layout version of the arrays and header (``ModelArchive/formatVersion``; version 1 had no ranking
        /// neighbour index, version 2 no rated-film ranking knobs in its parameters, version 5 no ranking
        /// normalizers; an older archive does not restore, and the store asks to retrain).
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
    public static let formatVersion = 6

    /// Shapes and parameters.
    public var header: Header
    /// b_u (`userCount`) followed by b_i (`movieCount`).
    public var biases: [Float]
    /// σ (k), then `U_k·S_k` (`userCount × k`, row-major), then `V_k` (`movieCount × k`).
    public var latentFactors: [Float]
    /// `s` (`movieCount`), then σ_w (`k_w`), then `y` (`userCount × k_w`), then `V_w` (`movieCount × k_w`), then the
    /// ranking neighbour index: its user indices as floats (exact below 2²⁴ users) and its cosines
    /// (`userCount × width` each, width = `min(K_r, userCount − 1)`), then the users' ranking normalizers W̄ and Ī
    /// (`userCount` each).
    public var watchFactors: [Float]

    /// Creates an archive from its parts.
    public init(header: Header, biases: [Float], latentFactors: [Float], watchFactors: [Float]) {
        self.header = header
        self.biases = biases
        self.latentFactors = latentFactors
        self.watchFactors = watchFactors
    }
}

extension ModelArchive {
    /// One of the three arrays of an archive.
    public enum Field: String, CaseIterable, Sendable {
        /// ``ModelArchive/biases``.
        case biases
        /// ``ModelArchive/latentFactors``.
        case latentFactors
        /// ``ModelArchive/watchFactors``.
        case watchFactors
    }

    /// The array `field`.
    public subscript(field: Field) -> [Float] {
        switch field {
        case .biases: return biases
        case .latentFactors: return latentFactors
        case .watchFactors: return watchFactors
        }
    }

    /// The largest number of values one array may hold: 2³¹ − 1 bytes of Float32, SQLite's limit on a BLOB.
    public static let maximumFieldCount = Int(Int32.max) / MemoryLayout<Float>.size
}

extension ModelArchive.Header {
    /// Throws ``ModelError`` `.invalidArchive` unless the header describes a model this version can restore:
    /// the current format version, valid parameters, at least one user, film and rating, ranks of at least 1,
    /// and arrays of at most ``ModelArchive/maximumFieldCount`` values (so ``segmentLengths(_:)`` cannot overflow).
    public func validate() throws {
        func require(_ condition: Bool, _ field: String, _ value: Any, _ expected: String) throws {
            guard condition else {
                throw ModelError(.invalidArchive, field: "header.\(field)", value: "\(value)", expected: expected)
            }
        }
        try require(formatVersion == ModelArchive.formatVersion, "formatVersion", formatVersion,
                    "version \(ModelArchive.formatVersion) (retrain the model)")
        try parameters.validate()
        let limit = ModelArchive.maximumFieldCount
        try require((1...limit).contains(userCount) && (1...limit).contains(movieCount) && ratingCount >= 1,
                    "userCount/movieCount/ratingCount", "\(userCount)/\(movieCount)/\(ratingCount)",
                    "at least one user, film and rating")
        try require((1...limit).contains(rank) && (1...limit).contains(watchRank), "rank/watchRank",
                    "\(rank)/\(watchRank)", "ranks of at least 1")
        // In Double: the counts are at most 2²⁹ each, so the products are exact enough to compare and cannot trap.
        let width = Double(userCount) + Double(movieCount)
        let neighbours = Double(RankingNeighbourIndex.width(count: parameters.rankingNeighbours, userCount: userCount))
        let largest = max(Double(rank) + width * Double(rank),
                          Double(movieCount) + Double(watchRank) + width * Double(watchRank)
                            + 2 * Double(userCount) * neighbours + 2 * Double(userCount))
        try require(userCount < 1 << 24, "userCount", userCount, "fewer than 2²⁴ users (neighbour indices are stored as floats)")
        try require(largest <= Double(limit), "rank/watchRank", "\(rank)/\(watchRank)",
                    "factor arrays of at most \(limit) values each (a smaller rank)")
    }

    /// The lengths of the consecutive pieces of array `field` (their sum is its length), for a header that
    /// passed ``validate()``:
    /// - `biases`: b_u (`userCount`), b_i (`movieCount`);
    /// - `latentFactors`: σ (k), `U_k·S_k` (`userCount·k`), `V_k` (`movieCount·k`);
    /// - `watchFactors`: `s` (`movieCount`), σ_w (k_w), `y` (`userCount·k_w`), `V_w` (`movieCount·k_w`), the
    ///   ranking neighbours' indices and cosines (`userCount·width` each), the users' W̄ and Ī (`userCount` each).
    public func segmentLengths(_ field: ModelArchive.Field) -> [Int] {
        switch field {
        case .biases: return [userCount, movieCount]
        case .latentFactors: return [rank, userCount * rank, movieCount * rank]
        case .watchFactors:
            let neighbours = userCount * RankingNeighbourIndex.width(count: parameters.rankingNeighbours,
                                                                     userCount: userCount)
            return [movieCount, watchRank, userCount * watchRank, movieCount * watchRank, neighbours, neighbours,
                    userCount, userCount]
        }
    }
}

extension TrainedModel {
    /// The header of ``encode()``.
    public var archiveHeader: ModelArchive.Header {
        ModelArchive.Header(formatVersion: ModelArchive.formatVersion, parameters: parameters,
                            userCount: userCount, movieCount: movieCount, ratingCount: ratings.byUser.nonzeroCount,
                            globalMean: baseline.globalMean, rank: factors.rank, watchRank: watchFactors.rank)
    }

    /// The pieces of array `field` of ``encode()``, in the order and with the lengths of
    /// ``ModelArchive/Header/segmentLengths(_:)``: the model's own arrays, shared, not copied, so a large model
    /// can be written out piece by piece without a second copy in memory.
    public func archiveSegments(_ field: ModelArchive.Field) -> [[Float]] {
        switch field {
        case .biases: return [baseline.userBias, baseline.movieBias]
        case .latentFactors: return [factors.singularValues, factors.userVectors.values, factors.movieVectors.values]
        case .watchFactors:
            return [watchFactors.columnScale, watchFactors.singularValues, watchFactors.userVectors.values,
                    watchFactors.movieVectors.values, rankingNeighbours.users.map(Float.init), rankingNeighbours.cosines,
                    rankingNormalizers.meanWatch, rankingNormalizers.meanMovies]
        }
    }

    /// The model as an archive (see ``ModelArchive``): each array is its ``archiveSegments(_:)`` joined.
    public func encode() -> ModelArchive {
        func joined(_ field: ModelArchive.Field) -> [Float] { Array(archiveSegments(field).joined()) }
        return ModelArchive(header: archiveHeader, biases: joined(.biases), latentFactors: joined(.latentFactors),
                            watchFactors: joined(.watchFactors))
    }

    /// Restores a model saved with ``encode()``; `ratings` must be the data it was trained on.
    ///
    /// - Throws: ``ModelError`` `.invalidArchive` when the format version, the counts or an array length
    ///   do not match, and the errors of ``RatingMatrix/init(_:)`` for malformed ratings.
    public init(archive: ModelArchive, ratings data: RatingData) throws {
        let header = archive.header
        try header.validate()
        var segments: [ModelArchive.Field: [[Float]]] = [:]
        for field in ModelArchive.Field.allCases {
            let array = archive[field]
            let lengths = header.segmentLengths(field)
            let expected = lengths.reduce(0, +)
            guard array.count == expected else {
                throw ModelError(.invalidArchive, field: "\(field.rawValue).count", value: "\(array.count)",
                                 expected: "\(expected) = " + lengths.map(String.init).joined(separator: " + ")
                                    + " for \(header.userCount) users, \(header.movieCount) films, "
                                    + "k = \(header.rank), k_w = \(header.watchRank)")
            }
            var start = 0
            segments[field] = lengths.map { length in
                defer { start += length }
                return Array(array[start..<(start + length)])
            }
        }
        try self.init(header: header, segments: segments, ratings: data)
    }

    /// Restores a model from its header and the pieces of each array (as ``archiveSegments(_:)`` gives them);
    /// `ratings` must be the data it was trained on. The segments become the model's arrays without a copy.
    ///
    /// - Throws: ``ModelError`` `.invalidArchive` when the header is invalid (``ModelArchive/Header/validate()``),
    ///   its counts differ from the ratings', or a field is missing or has pieces of other lengths than
    ///   ``ModelArchive/Header/segmentLengths(_:)``; the errors of ``RatingMatrix/init(_:)`` for malformed ratings.
    public init(header: ModelArchive.Header, segments: [ModelArchive.Field: [[Float]]], ratings data: RatingData) throws {
        try header.validate()
        for field in ModelArchive.Field.allCases {
            let lengths = segments[field]?.map(\.count) ?? []
            guard lengths == header.segmentLengths(field) else {
                throw ModelError(.invalidArchive, field: "\(field.rawValue) pieces",
                                 value: lengths.map(String.init).joined(separator: ", "),
                                 expected: header.segmentLengths(field).map(String.init).joined(separator: ", "))
            }
        }
        let ratings = try RatingMatrix(data)
        let (users, movies, k, kw) = (header.userCount, header.movieCount, header.rank, header.watchRank)
        guard users == ratings.userCount && movies == ratings.movieCount
                && header.ratingCount == ratings.byUser.nonzeroCount else {
            throw ModelError(.invalidArchive, field: "header counts",
                             value: "\(users) users, \(movies) films, \(header.ratingCount) ratings",
                             expected: "the ratings given: \(ratings.userCount) users, \(ratings.movieCount) films, "
                                + "\(ratings.byUser.nonzeroCount) ratings (the model is stale: retrain it)")
        }
        let biases = segments[.biases] ?? [], latent = segments[.latentFactors] ?? []
        let watch = segments[.watchFactors] ?? []
        let baseline = Baseline(globalMean: header.globalMean, userBias: biases[0], movieBias: biases[1])
        let factors = LatentFactors(singularValues: latent[0],
                                    userVectors: DenseMatrix(rows: users, columns: k, values: latent[1]),
                                    movieVectors: DenseMatrix(rows: movies, columns: k, values: latent[2]),
                                    movieSimilarityExponent: header.parameters.movieSimilarityExponent)
        let watchFactors = WatchFactors(userVectors: DenseMatrix(rows: users, columns: kw, values: watch[2]),
                                        movieVectors: DenseMatrix(rows: movies, columns: kw, values: watch[3]),
                                        singularValues: watch[1], columnScale: watch[0])
        let width = RankingNeighbourIndex.width(count: header.parameters.rankingNeighbours, userCount: users)
        var neighbourUsers = [Int32](repeating: 0, count: watch[4].count)
        for (t, value) in watch[4].enumerated() {
            guard value >= 0, value < Float(users), value == value.rounded() else {
                throw ModelError(.invalidArchive, field: "watchFactors ranking neighbour \(t)", value: "\(value)",
                                 expected: "a user index in 0..<\(users)")
            }
            neighbourUsers[t] = Int32(value)
        }
        self.init(parameters: header.parameters, ratings: ratings, baseline: baseline, factors: factors,
                  watchFactors: watchFactors,
                  rankingNeighbours: RankingNeighbourIndex(width: width, users: neighbourUsers, cosines: watch[5]),
                  rankingNormalizers: RankingNormalizers(meanWatch: watch[6], meanMovies: watch[7]))
    }
}
