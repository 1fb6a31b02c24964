import Foundation
import GRDB
import GRDBSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings of one import.
public struct ImportOptions: Sendable {
    /// Layout of the ratings file.
    public var format: RatingsFormat
    /// An optional movie catalogue to import alongside.
    public var moviesFile: String?
    /// Layout of the movie file.
    public var moviesFormat: MoviesFormat
    /// Allowed rating range; `nil` uses the format's default (MovieLens 0.5–5 or 1–5, generic CSV unbounded).
    public var bounds: ClosedRange<Double>?
    /// What to do with malformed rows.
    public var onError: ErrorPolicy
    /// How ids and titles are decoded (``TextEncoding/auto``: UTF-8, latin-1 for u.item and movies.dat).
    public var encoding: TextEncoding
    /// An optional MovieLens `links.csv` (`movieId,imdbId,tmdbId`): each listed movie of the store gets its IMDb
    /// and TMDb ids (see ``RatingStore/movieLinks()``).
    public var linksFile: String?
    /// Whether the file is merged into the stored ratings or replaces them (see ``ImportMode``).
    public var mode: ImportMode

    /// Creates import settings.
    public init(
        format: RatingsFormat = .auto, moviesFile: String? = nil, moviesFormat: MoviesFormat = .auto,
        bounds: ClosedRange<Double>? = nil, onError: ErrorPolicy = .abort, encoding: TextEncoding = .auto,
        linksFile: String? = nil, mode: ImportMode = .merge
    ) {
        self.mode = mode
        self.format = format
        self.moviesFile = moviesFile
        self.moviesFormat = moviesFormat
        self.bounds = bounds
        self.onError = onError
        self.encoding = encoding
        self.linksFile = linksFile
    }
}

/// Where an import is, for progress display.
public struct ImportProgress: Sendable {
    /// The stage of the import.
    public enum Phase: String, Sendable {
        /// Reading the ratings file; `completed`/`total` are bytes.
        case parsing
        /// Writing ratings into SQLite; `completed`/`total` are rows.
        case writing
    }

    /// Current stage.
    public let phase: Phase
    /// Units done in this stage.
    public let completed: Int
    /// Units in this stage.
    public let total: Int
    /// Rating rows handled so far in this stage.
    public let rows: Int
}

/// What an import did. Every data row read lands in exactly one bucket:
/// `read = inserted + updated + unchanged + skipped`.
///
/// - `inserted`: created a rating for a (user, movie) pair that had none;
/// - `updated`: replaced the pair's rating (stored earlier, or by an earlier row of the same file) because its
///   timestamp is newer or equal (on a tie the later row wins) and its value or timestamp differs;
/// - `unchanged`: identical to the pair's current rating, or older than it (so it was not applied);
/// - `skipped`: malformed and skipped under ``ErrorPolicy/skip``.
///
/// Under ``ImportMode/replace`` a pair's newest row is `inserted` (the store lacked the pair), `updated` (its
/// rating or timestamp differs from the stored one, older or not) or `unchanged` (identical: kept), and every
/// other row of the same pair is `unchanged`; `removed` counts the stored pairs the file lacks, deleted.
public struct ImportSummary: Sendable, Equatable, Codable {
    /// The ratings file.
    public var file: String
    /// The format used.
    public let format: String
    /// The database written.
    public let database: String
    /// Whether the import created the database.
    public let createdDatabase: Bool
    /// Data rows read.
    public let read: Int
    /// Rows that created a rating.
    public let inserted: Int
    /// Rows that replaced a rating.
    public let updated: Int
    /// Rows that changed nothing (duplicates or older than the stored rating).
    public let unchanged: Int
    /// Malformed rating rows skipped.
    public let skipped: Int
    /// Stored ratings deleted because the file lacks their pair (``ImportMode/replace`` only; 0 otherwise).
    public var removed = 0
    /// Rows of the movie file read (0 without one).
    public let moviesRead: Int
    /// Malformed movie rows skipped.
    public let moviesSkipped: Int
    /// Rows of the links file read (0 without one).
    public var linksRead = 0
    /// Links stored on a movie of the store.
    public var linksApplied = 0
    /// Links whose movie id is not in the store (neither rated nor in a movie file): not stored.
    public var linksUnknownMovie = 0
    /// Malformed rows of the links file skipped.
    public var linksSkipped = 0
    /// Wall-clock seconds, parse to commit.
    public let seconds: Double
    /// `read / seconds`.
    public let rowsPerSecond: Double
    /// Users in the store afterwards.
    public let users: Int
    /// Movies in the store afterwards.
    public let movies: Int
    /// Ratings in the store afterwards.
    public let ratings: Int
    /// The store's ratings version afterwards.
    public let ratingsVersion: Int64
    /// Path of the rejects file, when rows were skipped.
    public let rejectsFile: String?
    /// The first skipped rows (at most 5), for display.
    public let firstRejects: [String]

    private enum CodingKeys: String, CodingKey {
        case file, format, database, createdDatabase, read, inserted, updated, unchanged, skipped, removed, moviesRead,
             moviesSkipped, linksRead, linksApplied, linksUnknownMovie, linksSkipped, seconds, rowsPerSecond, users,
             movies, ratings, ratingsVersion, rejectsFile, firstRejects
    }

    /// Writes every field; `seconds` and `rowsPerSecond` to 6 significant digits.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(file, forKey: .file)
        try container.encode(format, forKey: .format)
        try container.encode(database, forKey: .database)
        try container.encode(createdDatabase, forKey: .createdDatabase)
        try container.encode(read, forKey: .read)
        try container.encode(inserted, forKey: .inserted)
        try container.encode(updated, forKey: .updated)
        try container.encode(unchanged, forKey: .unchanged)
        try container.encode(skipped, forKey: .skipped)
        try container.encode(removed, forKey: .removed)
        try container.encode(moviesRead, forKey: .moviesRead)
        try container.encode(moviesSkipped, forKey: .moviesSkipped)
        try container.encode(linksRead, forKey: .linksRead)
        try container.encode(linksApplied, forKey: .linksApplied)
        try container.encode(linksUnknownMovie, forKey: .linksUnknownMovie)
        try container.encode(linksSkipped, forKey: .linksSkipped)
        try container.encode(StoreStatistics.rounded(seconds), forKey: .seconds)
        try container.encode(StoreStatistics.rounded(rowsPerSecond), forKey: .rowsPerSecond)
        try container.encode(users, forKey: .users)
        try container.encode(movies, forKey: .movies)
        try container.encode(ratings, forKey: .ratings)
        try container.encode(ratingsVersion, forKey: .ratingsVersion)
        try container.encodeIfPresent(rejectsFile, forKey: .rejectsFile)
        try container.encode(firstRejects, forKey: .firstRejects)
    }
}

/// Imports a ratings file (and optionally a movie catalogue) into a ``RatingStore`` database.
///
/// The whole file is parsed and validated first, so with ``ErrorPolicy/abort`` a bad row leaves the database
/// untouched. Rows are then sorted in memory by (user, movie), duplicate pairs are resolved (newer timestamp wins,
/// ties go to the later row), and the result is written in one transaction with 64-row `INSERT` statements bound
/// through the SQLite C API.
///
/// A brand-new database fed a file already sorted by (user, movie) with integer ids (MovieLens files, and those
/// `movierec generate` writes) is instead written while the file is parsed (see ``RatingStream``): a quick pass
/// over the id fields first fixes the ids, then each chunk is parsed on a second thread while the previous one is
/// written. The database, the counts, the rejects file and the first error are the same as on the serial path,
/// and a bad row still leaves no database, as the temporary file is removed.
///
/// - A brand-new database is built in `<db>.importing` with `journal_mode=OFF, synchronous=OFF`, fsynced, and
///   linked into place only on success (a crash leaves no database, never a half-written one).
/// - An existing database is changed in one transaction with its rollback journal, so a crash or `kill -9` rolls
///   back to the state before the import.
///
/// ```swift
/// let summary = try RatingsImporter(databasePath: "movierec.sqlite").run(ratingsFile: "ratings.csv")
/// ```
public struct RatingsImporter: Sendable {
    /// The database to import into (created when missing).
    public let databasePath: String
    /// The import settings.
    public let options: ImportOptions

    /// Rows per multi-row `INSERT` statement.
    static let rowsPerStatement = 64

    /// Page size of databases created by an import. 64 KiB pages (the largest SQLite allows) make the bulk write
    /// about 12 % cheaper than 4 KiB pages and the commit several times faster; the ratings table is read and
    /// written in key order, so large pages cost nothing elsewhere.
    static let pageSize = 65_536

    /// Page cache of a brand-new database, in KiB (16 MiB, instead of the 256 MiB of other bulk writes). Without
    /// a journal, dirty pages spill straight into the file as the sorted rows fill them; a small cache reuses the
    /// same (warm) memory rather than faulting in fresh pages, and leaves less to write at commit: at 25 M rows
    /// 0.4 s (about 4 %) faster on average over 10 paired runs, less system time, the same peak memory.
    static let newDatabaseCacheKiB = 16_384

    /// Bytes per chunk when a sorted file is parsed while it is written (see ``RatingStream``); tests lower it
    /// to get many chunks from a small file.
    var streamChunkBytes = RatingStream.chunkBytes

    /// Creates an importer for `databasePath`.
    public init(databasePath: String, options: ImportOptions = ImportOptions()) {
        self.databasePath = databasePath
        self.options = options
    }

    /// Path of the temporary file a brand-new database is built in.
    public var temporaryPath: String { databasePath + ".importing" }
    /// Path of the rejects file written under ``ErrorPolicy/skip``.
    public var rejectsPath: String { databasePath + ".rejects.csv" }

    /// Runs the import. `progress` is called from the importing thread now and then.
    /// - Throws: ``StoreError`` for unreadable or invalid input (database unchanged) or database failures.
    public func run(ratingsFile: String, progress: ((ImportProgress) -> Void)? = nil) throws -> ImportSummary {
        let started = DispatchTime.now().uptimeNanoseconds
        let exists = FileManager.default.fileExists(atPath: databasePath)
        try checkWritable(exists: exists)
        var batch = try readBatch(ratingsFile, streaming: !exists, progress: progress)
        let counts: ImportBatch.Counts
        if exists {
            let queue = try RatingStore.openQueue(path: databasePath, bulkWriting: true)
            do {
                counts = try queue.write { db in try batch.apply(to: db, started: started, progress: progress) }
            } catch {
                throw StoreError.wrapping(error, database: databasePath, while: "importing")
            }
        } else {
            do {
                counts = try createDatabase(&batch, started: started, progress: progress)
            } catch is RatingStream.Restart {
                batch = try readBatch(ratingsFile, streaming: false, progress: progress)
                counts = try createDatabase(&batch, started: started, progress: progress)
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let catalogue = batch.catalogue
        let rejects = batch.rejects + (catalogue?.rejects ?? []) + (batch.links?.rejects ?? [])
        var summary = ImportSummary(
            file: ratingsFile, format: batch.format.description, database: databasePath, createdDatabase: !exists,
            read: batch.rowsRead, inserted: counts.inserted, updated: counts.updated,
            unchanged: counts.unchanged, skipped: batch.rejects.count,
            moviesRead: catalogue?.rowsRead ?? 0, moviesSkipped: catalogue?.rejects.count ?? 0, seconds: seconds,
            rowsPerSecond: seconds > 0 ? Double(batch.rowsRead) / seconds : 0,
            users: counts.users, movies: counts.movies, ratings: counts.ratings, ratingsVersion: counts.ratingsVersion,
            rejectsFile: rejects.isEmpty ? nil : rejectsPath,
            firstRejects: rejects.prefix(5).map { "\($0.file):\($0.line): field \($0.field): \($0.reason)" })
        summary.removed = counts.removed
        if let links = batch.links {
            summary.linksRead = links.rowsRead
            summary.linksSkipped = links.rejects.count
            summary.linksApplied = counts.linksApplied
            summary.linksUnknownMovie = counts.linksUnknownMovie
        }
        return summary
    }

    /// Reads the ratings file (and the movie file alongside). With `streaming`, a file that ``RatingStream``
    /// accepts is only scanned for its ids here and parsed while it is written; any other file is parsed in
    /// full, and its rejects are written (under skip). The mapping of the file is released before writing unless
    /// the batch streams from it.
    /// - Throws: ``StoreError`` for unreadable or invalid input, the ratings file's errors first.
    private func readBatch(_ ratingsFile: String, streaming: Bool, progress: ((ImportProgress) -> Void)?) throws -> ImportBatch {
        let mapped = try MappedFile(path: ratingsFile)
        let options = options
        let fileName = (ratingsFile as NSString).lastPathComponent
        let catalogue = BackgroundTask {
            try options.moviesFile.map {
                try ParsedMovies(contentsOf: $0, format: options.moviesFormat, policy: options.onError,
                                 encoding: options.encoding)
            }
        }
        let links = BackgroundTask {
            try options.linksFile.map { try ParsedLinks(contentsOf: $0, policy: options.onError) }
        }
        // A file the plan rejects is left to the full parse, which throws the same error in its place.
        if streaming,
           let plan = try? ParsePlan(mapped: mapped, format: options.format, bounds: options.bounds, policy: options.onError,
                                     encoding: options.encoding),
           let stream = RatingStream.scan(mapped, plan: plan, chunkBytes: streamChunkBytes) {
            progress?(ImportProgress(phase: .parsing, completed: mapped.bytes.count, total: mapped.bytes.count,
                                     rows: stream.lineCount))
            // A bad movie file throws only after the ratings file's errors: the serial path keeps that order.
            // (`Result`, not `try?`: with no movie file the catalogue is a successful `nil`.)
            if case .success(let movies) = Result(catching: { try catalogue.value() }),
               case .success(let parsedLinks) = Result(catching: { try links.value() }) {
                // Hashed during the write, on the core the parsing thread leaves idle.
                var batch = ImportBatch(source: .streamed(stream), catalogue: movies,
                                        checksum: BackgroundTask { mapped.checksum() }, fileName: fileName)
                batch.links = parsedLinks
                return batch  // a brand-new database: replacing its (no) ratings is merging
            }
        }
        // The checksum and the movie file are read alongside the ratings; errors keep their sequential order
        // (ratings file first).
        let checksum = BackgroundTask { mapped.checksum() }
        let parsed: ParsedRatings
        do {
            parsed = try ParsedRatings(mapped: mapped, format: options.format, bounds: options.bounds,
                                       policy: options.onError, encoding: options.encoding) { bytes, rows in
                progress?(ImportProgress(phase: .parsing, completed: bytes, total: mapped.bytes.count, rows: rows))
            }
        } catch {
            _ = try? catalogue.value()
            _ = try? links.value()
            _ = try checksum.value()
            throw error
        }
        // Awaited here so that the mapping of the file is released before the sort needs the memory.
        _ = try checksum.value()
        var batch = ImportBatch(source: .parsed(parsed), catalogue: try catalogue.value(), checksum: checksum,
                                fileName: fileName)
        batch.links = try links.value()
        batch.replacing = options.mode == .replace
        try writeRejects(of: batch)
        return batch
    }

    /// Fails early, before parsing, when the database cannot be written.
    private func checkWritable(exists: Bool) throws {
        if exists {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: databasePath, isDirectory: &isDirectory)
            guard !isDirectory.boolValue, access(databasePath, W_OK) == 0 else {
                throw StoreError(.unwritableDatabase, file: databasePath,
                                 reason: isDirectory.boolValue ? "the database path is a directory" : "the database is not writable",
                                 expected: "a writable SQLite file")
            }
            return
        }
        let directory = (databasePath as NSString).deletingLastPathComponent
        let parent = directory.isEmpty ? "." : directory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError(.unwritableDatabase, file: databasePath, reason: "the directory \(parent) does not exist",
                             expected: "a database path in an existing directory")
        }
        guard access(parent, W_OK) == 0 else {
            throw StoreError(.unwritableDatabase, file: databasePath, reason: "the directory \(parent) is not writable",
                             expected: "a database path in a writable directory")
        }
    }

    /// Builds the database in ``temporaryPath`` without a journal, then fsyncs it and links it into place.
    private func createDatabase(
        _ batch: inout ImportBatch, started: UInt64, progress: ((ImportProgress) -> Void)?
    ) throws -> ImportBatch.Counts {
        let temporary = temporaryPath
        let removeTemporary = { for suffix in ["", "-journal", "-wal", "-shm"] { unlink(temporary + suffix) } }
        removeTemporary()
        do {
            let queue = try RatingStore.openQueue(path: temporary, bulkWriting: true) { db in
                try db.execute(sql: """
                    PRAGMA page_size = \(Self.pageSize); PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
                    PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = MEMORY;
                    PRAGMA cache_size = -\(Self.newDatabaseCacheKiB)
                    """)
            }
            let counts = try queue.write { db in try batch.apply(to: db, started: started, progress: progress) }
            if case .streamed = batch.source { try writeRejects(of: batch) }
            try queue.close()
            // Built without a journal; from now on readers and later imports use write-ahead logging.
            let finished = try DatabaseQueue(path: temporary)
            try finished.writeWithoutTransaction { db in try RatingStore.enableWriteAheadLog(db) }
            try finished.close()
            try Self.fsync(path: temporary)
            // link() never replaces an existing file, so a database created meanwhile by another process survives;
            // file systems without hard links fall back to rename().
            if link(temporary, databasePath) == 0 {
                unlink(temporary)
            } else if errno == EEXIST {
                throw StoreError(.unwritableDatabase, file: databasePath,
                                 reason: "another process created the database during the import")
            } else if rename(temporary, databasePath) != 0 {
                throw StoreError(.unwritableDatabase, file: databasePath,
                                 reason: "cannot create the database: \(String(cString: strerror(errno)))")
            }
            try Self.fsync(path: (databasePath as NSString).deletingLastPathComponent.isEmpty
                           ? "." : (databasePath as NSString).deletingLastPathComponent)
            return counts
        } catch {
            removeTemporary()
            if error is RatingStream.Restart { throw error }
            throw StoreError.wrapping(error, database: databasePath, while: "creating the database")
        }
    }

    private static func fsync(path: String) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw StoreError(.database, file: path, reason: "cannot open for fsync: \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        #if canImport(Darwin)
        let result = fcntl(descriptor, F_FULLFSYNC)
        #else
        let result = Glibc.fsync(descriptor)
        #endif
        guard result == 0 else {
            throw StoreError(.database, file: path, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Under ``ErrorPolicy/skip``, writes the rejects of the ratings and movie files (see ``writeRejects(_:)``).
    private func writeRejects(of batch: ImportBatch) throws {
        if options.onError == .skip {
            try writeRejects(batch.rejects + (batch.catalogue?.rejects ?? []) + (batch.links?.rejects ?? []))
        }
    }

    /// Writes `line,field,reason,raw` rows (RFC 4180 quoted) to ``rejectsPath``; removes a stale file when empty.
    private func writeRejects(_ rejects: [RejectedRow]) throws {
        guard !rejects.isEmpty else {
            unlink(rejectsPath)
            return
        }
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var text = "file,line,field,reason,raw\n"
        for row in rejects {
            text += [quoted(row.file), String(row.line), row.field, quoted(row.reason), quoted(StoreError.escaped(row.raw))].joined(separator: ",") + "\n"
        }
        do {
            try text.write(toFile: rejectsPath, atomically: true, encoding: .utf8)
        } catch {
            throw StoreError(.unwritableDatabase, file: rejectsPath, reason: "cannot write the rejects file: \(error.localizedDescription)")
        }
    }
}

/// A computation started on another thread; ``value()`` waits for it and returns its result or rethrows.
final class BackgroundTask<Value>: @unchecked Sendable {
    private let done = DispatchGroup()
    private var result: Result<Value, Error>?

    init(_ work: @escaping @Sendable () throws -> Value) {
        done.enter()
        DispatchQueue.global().async {
            self.result = Result(catching: work)
            self.done.leave()
        }
    }

    func value() throws -> Value {
        done.wait()
        return try result!.get()
    }
}
