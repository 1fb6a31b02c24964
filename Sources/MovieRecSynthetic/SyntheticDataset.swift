import MovieRecNumerics
import Dispatch
import Foundation

/// Generates a MovieLens-shaped data set and writes `ratings.csv` and `movies.csv` into `directory`
/// (created if missing; files are written under a temporary name and renamed into place when complete).
///
/// `ratings.csv` has the header `userId,movieId,rating,timestamp`, LF line endings, rows sorted by user then
/// film, exactly `configuration.ratings` rows, each (user, film) pair at most once, every user `1…N` present,
/// ratings on the half-star grid 0.5…5, and timestamps (1996–2024, seconds since 1970) that increase along
/// each user's rows and never precede the film's release year. `movies.csv` has `movieId,title,genres`.
///
/// The output depends only on the configuration: it is byte-identical for any `threads`.
///
/// ```swift
/// let summary = try generateSyntheticDataset(
///     SyntheticConfiguration(users: 2_000, movies: 400, ratings: 120_000, seed: 7),
///     into: URL(fileURLWithPath: "data/demo"))
/// ```
public func generateSyntheticDataset(
    _ configuration: SyntheticConfiguration,
    into directory: URL,
    threads: Int = ProcessInfo.processInfo.activeProcessorCount
) throws -> SyntheticSummary {
    try configuration.validate()
    let model = SyntheticModel(configuration: configuration)
    try makeDirectory(directory.path)

    let moviesURL = directory.appendingPathComponent("movies.csv")
    var moviesFile = try OutputFile(finalPath: moviesURL.path)
    try moviesFile.write(model.histories.catalog.csvBytes())
    let moviesBytes = try moviesFile.finish()

    let ratingsURL = directory.appendingPathComponent("ratings.csv")
    var ratingsFile = try OutputFile(finalPath: ratingsURL.path)
    var histogram = [Int](repeating: 0, count: RatingScale.labels.count)
    var movieCounts = [Int](repeating: 0, count: configuration.movies)
    let ratingsBytes: Int
    do {
        try ratingsFile.write(Array("userId,movieId,rating,timestamp\n".utf8))
        let blocks = model.userBlocks()
        let width = max(1, threads)
        // Waves of `width` blocks are generated concurrently while the previous wave is written, in block order.
        var written = [SyntheticModel.Block]()
        var writeError: Error?
        var waveStart = 0
        while waveStart < blocks.count || !written.isEmpty {
            let wave = Array(blocks[waveStart..<min(blocks.count, waveStart + width)])
            let toWrite = written
            var results = [SyntheticModel.Block?](repeating: nil, count: wave.count)
            results.withUnsafeMutableBufferPointer { slots in
                DispatchQueue.concurrentPerform(iterations: wave.count + 1) { index in
                    if index < wave.count {
                        slots[index] = model.generate(users: wave[index])
                        return
                    }
                    do {
                        for block in toWrite { try ratingsFile.write(block.bytes) }
                    } catch {
                        writeError = error
                    }
                }
            }
            if let writeError { throw writeError }
            for block in toWrite {
                for level in histogram.indices { histogram[level] += block.histogram[level] }
                for movie in movieCounts.indices { movieCounts[movie] += Int(block.movieCounts[movie]) }
            }
            written = results.compactMap { $0 }
            waveStart += wave.count
        }
        ratingsBytes = try ratingsFile.finish()
    } catch {
        ratingsFile.discard()
        throw error
    }

    let total = histogram.reduce(0, +)
    let sum = histogram.enumerated().reduce(0.0) { $0 + Double($1.element) * 0.5 * Double($1.offset + 1) }
    return SyntheticSummary(
        configuration: configuration,
        ratingsPath: ratingsURL.path,
        moviesPath: moviesURL.path,
        ratingsBytes: ratingsBytes,
        moviesBytes: moviesBytes,
        histogram: Dictionary(uniqueKeysWithValues: zip(RatingScale.labels, histogram)),
        meanRating: total > 0 ? sum / Double(total) : 0,
        minimumUserRatings: model.histories.userCounts.min() ?? 0,
        maximumUserRatings: model.histories.userCounts.max() ?? 0,
        ratedMovies: movieCounts.filter { $0 > 0 }.count,
        maximumMovieRatings: movieCounts.max() ?? 0
    )
}

/// A seed for random stream `stream`, item `index`, derived from the user's seed by splitmix64-style mixing,
/// so every part of the output (catalogue, activity, each user) has its own independent, reproducible stream.
func streamSeed(_ seed: UInt64, stream: UInt64, index: UInt64) -> UInt64 {
    var z = seed ^ (stream &* 0xD1B5_4A32_D192_ED03) ^ (index &* 0x9E37_79B9_7F4A_7C15)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Appends the decimal digits of `value` to `bytes`.
func appendDecimal(_ value: Int, to bytes: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
        let count = writeDecimal(value, to: buffer.baseAddress!)
        bytes.append(contentsOf: buffer.prefix(count))
    }
}

/// Writes the decimal digits of `value` (with a leading "-" when negative) at `destination`, which must have
/// room for 20 bytes, and returns how many bytes were written.
@inline(__always)
func writeDecimal(_ value: Int, to destination: UnsafeMutablePointer<UInt8>) -> Int {
    var rest = value.magnitude
    var start = 0
    if value < 0 {
        destination[0] = UInt8(ascii: "-")
        start = 1
    }
    var digits = 1
    var probe = rest
    while probe >= 10 {
        probe /= 10
        digits += 1
    }
    var position = start + digits - 1
    repeat {
        destination[position] = UInt8(ascii: "0") + UInt8(rest % 10)
        rest /= 10
        position -= 1
    } while rest > 0
    return start + digits
}

/// The parts of the model that decide who rates what and when: the catalogue, the popularity sampler and
/// the per-user counts. Read-only after `init`, so users can be generated concurrently.
struct UserHistories: Sendable {
    /// First allowed rating time: 1996-01-01 00:00 UTC.
    static let firstTime: Int64 = 820_454_400
    /// Last allowed rating time: 2024-12-31 23:59:59 UTC.
    static let lastTime: Int64 = 1_735_689_599

    let configuration: SyntheticConfiguration
    let catalog: MovieCatalog
    let sampler: PopularitySampler
    let userCounts: [Int]
    /// Smallest catalogue prefix holding 10 % of the popularity mass (a user's era must reach at least it).
    private let massFloorPrefix: Int

    init(configuration: SyntheticConfiguration) {
        self.configuration = configuration
        catalog = MovieCatalog(movies: configuration.movies, seed: configuration.seed)
        sampler = PopularitySampler(weights: catalog.popularity)
        userCounts = UserActivity.counts(
            users: configuration.users, movies: configuration.movies,
            ratings: configuration.ratings, seed: configuration.seed)
        massFloorPrefix = (sampler.cumulativeMass.firstIndex { $0 >= 0.1 } ?? (configuration.movies - 1)) + 1
    }

    /// Calls `body(movie, time, score, wholeStars)` for each of `user`'s ratings in ascending film order:
    /// draws the user's traits, session times and era from the user's own stream, picks films released before
    /// the era starts (at least min(M, 1.25·n) of them and 10 % of the popularity mass), then scores each film.
    func forEachRating(
        of user: Int,
        workspace: inout PopularitySampler.Workspace,
        picks: inout [Int32],
        offsets: inout [Double],
        body: (_ movie: Int, _ time: Int64, _ score: Float, _ wholeStars: Bool) -> Void
    ) {
        var rng = SeededGenerator(seed: streamSeed(configuration.seed, stream: 3, index: UInt64(user)))
        let profile = UserProfile(catalog: catalog, using: &rng)
        let n = userCounts[user]
        UserProfile.sessionOffsets(count: n, into: &offsets, using: &rng)
        let span = offsets.last ?? 0

        let neededPrefix = max(min(configuration.movies, n + n / 4), massFloorPrefix)
        let earliestStart = max(Double(Self.firstTime), Double(catalog.releaseTimes[neededPrefix - 1]))
        let latestStart = Double(Self.lastTime) - span - Double(n)
        let drawn = Double(Self.firstTime) + rng.nextUniform() * max(0, latestStart - Double(Self.firstTime))
        let startTime = Int64(max(drawn, earliestStart))
        let eligible = upperBound(catalog.releaseTimes, startTime)
        let room = Double(Self.lastTime - startTime - Int64(n))
        let factor = span > room ? room / span : 1

        sampler.draw(n, eligible: eligible, into: &picks, workspace: &workspace, using: &rng)
        picks.sort()
        var previous = startTime - 1
        for (k, pick) in picks.enumerated() {
            let movie = Int(pick)
            let time = max(previous + 1, startTime + Int64(offsets[k] * factor))
            previous = time
            let wholeStars = profile.wholeStarsOnly || time < RatingScale.halfStarsIntroduced
            body(movie, time, profile.score(movie: movie, catalog: catalog, using: &rng), wholeStars)
        }
    }
}

/// Everything shared by all users: their histories and the rating thresholds.
struct SyntheticModel: Sendable {
    /// Users are generated in blocks of at least this many ratings (fixed, so output is thread-count independent).
    static let ratingsPerBlock = 1 << 17
    /// Longest possible row: two 10-digit ids, "x.y", a 10-digit timestamp, three commas and a newline.
    static let maximumRowLength = 38

    let histories: UserHistories
    let scale: RatingScale

    /// Builds the histories, then calibrates the thresholds on the latent scores of up to 1,000 users
    /// spread evenly over the ids (at most 200,000 scores), generated exactly as in the output.
    init(configuration: SyntheticConfiguration) {
        let histories = UserHistories(configuration: configuration)
        var workspace = histories.sampler.makeWorkspace()
        var picks = [Int32](), offsets = [Double](), scores = [Double]()
        let step = max(1, configuration.users / 1_000)
        for user in stride(from: 0, to: configuration.users, by: step) where scores.count < 200_000 {
            histories.forEachRating(of: user, workspace: &workspace, picks: &picks, offsets: &offsets) { _, _, score, _ in
                scores.append(Double(score))
            }
        }
        self.histories = histories
        scale = RatingScale(sampleScores: scores)
    }

    /// Consecutive ranges of user indices with at least `ratingsPerBlock` ratings each (the last may have fewer).
    func userBlocks() -> [Range<Int>] {
        var blocks = [Range<Int>]()
        var start = 0
        var inBlock = 0
        for (user, count) in histories.userCounts.enumerated() {
            inBlock += count
            if inBlock >= Self.ratingsPerBlock {
                blocks.append(start..<(user + 1))
                start = user + 1
                inBlock = 0
            }
        }
        if start < histories.userCounts.count { blocks.append(start..<histories.userCounts.count) }
        return blocks
    }

    /// The CSV rows of a block of users, with its rating histogram and ratings per film.
    struct Block {
        var bytes: [UInt8]
        var histogram: [Int]
        var movieCounts: [Int32]
    }

    /// Generates the rows of users `users` (indices; ids are index + 1).
    func generate(users: Range<Int>) -> Block {
        var workspace = histories.sampler.makeWorkspace()
        var picks = [Int32]()
        var offsets = [Double]()
        let labels = RatingScale.labels.map { Array($0.utf8) }
        var histogram = [Int](repeating: 0, count: labels.count)
        var movieCounts = [Int32](repeating: 0, count: histories.configuration.movies)
        let capacity = users.reduce(0) { $0 + histories.userCounts[$1] } * Self.maximumRowLength
        var bytes = [UInt8](repeating: 0, count: capacity)
        let length = bytes.withUnsafeMutableBufferPointer { buffer -> Int in
            let base = buffer.baseAddress!
            var position = 0
            for user in users {
                histories.forEachRating(of: user, workspace: &workspace, picks: &picks, offsets: &offsets) { movie, time, score, wholeStars in
                    let level = scale.level(of: score, wholeStars: wholeStars)
                    histogram[level] += 1
                    movieCounts[movie] += 1
                    position += writeDecimal(user + 1, to: base + position)
                    base[position] = UInt8(ascii: ",")
                    position += 1 + writeDecimal(movie + 1, to: base + position + 1)
                    base[position] = UInt8(ascii: ",")
                    base[position + 1] = labels[level][0]
                    base[position + 2] = labels[level][1]
                    base[position + 3] = labels[level][2]
                    base[position + 4] = UInt8(ascii: ",")
                    position += 5 + writeDecimal(Int(time), to: base + position + 5)
                    base[position] = UInt8(ascii: "\n")
                    position += 1
                }
            }
            return position
        }
        bytes.removeLast(bytes.count - length)
        return Block(bytes: bytes, histogram: histogram, movieCounts: movieCounts)
    }
}

/// Number of elements ≤ `value` in ascending `sorted`.
private func upperBound<T: Comparable>(_ sorted: [T], _ value: T) -> Int {
    var low = 0, high = sorted.count
    while low < high {
        let middle = (low + high) / 2
        if sorted[middle] <= value { low = middle + 1 } else { high = middle }
    }
    return low
}

/// Creates `path` and any missing parents (like `mkdir -p`), reporting the first component that fails
/// with the system's reason ("Not a directory", "Permission denied", …).
private func makeDirectory(_ path: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for component in path.split(separator: "/") {
        prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + component
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: prefix, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw SyntheticError.cannotWrite(path: path, reason: "\(prefix) exists and is not a directory")
            }
            continue
        }
        guard mkdir(prefix, 0o755) == 0 || errno == EEXIST else {
            throw SyntheticError.cannotWrite(path: path, reason: "cannot create directory \(prefix): \(String(cString: strerror(errno)))")
        }
    }
}

/// A file written under `<path>.partial` and renamed to `path` by `finish()`, so a reader never sees half a file.
struct OutputFile {
    private let finalPath: String
    private let partialPath: String
    private var handle: UnsafeMutablePointer<FILE>?
    private var written = 0

    init(finalPath: String) throws {
        self.finalPath = finalPath
        partialPath = finalPath + ".partial"
        guard let handle = fopen(partialPath, "wb") else {
            throw SyntheticError.cannotWrite(path: finalPath, reason: String(cString: strerror(errno)))
        }
        self.handle = handle
    }

    /// Appends `bytes` to the file.
    mutating func write(_ bytes: [UInt8]) throws {
        let count = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, handle) }
        guard count == bytes.count else {
            throw SyntheticError.cannotWrite(path: finalPath, reason: String(cString: strerror(errno)))
        }
        written += count
    }

    /// Closes and deletes the partial file after a failure.
    mutating func discard() {
        if let handle { fclose(handle) }
        handle = nil
        unlink(partialPath)
    }

    /// Closes the file and renames it into place; returns its size in bytes.
    mutating func finish() throws -> Int {
        let closed = fclose(handle)
        handle = nil
        guard closed == 0, rename(partialPath, finalPath) == 0 else {
            throw SyntheticError.cannotWrite(path: finalPath, reason: String(cString: strerror(errno)))
        }
        return written
    }
}
