import Foundation

/// A ratings file sorted by (user, movie) with integer ids, parsed chunk by chunk while the importing thread
/// writes the chunk before into a brand-new database.
///
/// New database ids follow external-id order over the whole file, so no row can be written before every id is
/// known. ``scan(_:plan:parts:)`` therefore first reads only the two id fields of each line (on all cores),
/// which fixes the id tables and checks that the file is in (user, movie) order; ``forEachChunk(_:)`` then
/// parses the rows on a second thread, at most ``queuedChunks`` chunks ahead of the writer, so memory stays flat.
///
/// The outcome equals that of parsing the whole file first: the same rows, rejects and line numbers, and under
/// ``ErrorPolicy/abort`` the same first error. The one case the id pass cannot settle alone (under
/// ``ErrorPolicy/skip``, an id that occurs only in skipped rows, which must not be created) throws ``Restart``,
/// and the importer starts over on the serial path.
final class RatingStream: @unchecked Sendable {
    /// Thrown when the streamed rows would differ from the serial path; the caller restarts without streaming.
    struct Restart: Error {}

    /// Bytes of the file parsed per chunk.
    static let chunkBytes = 8 << 20
    /// Parsed chunks waiting for the writer, at most.
    static let queuedChunks = 2

    /// The file.
    let mapped: MappedFile
    /// Format, rules and where the data begins.
    let plan: ParsePlan
    /// Every user id of the file, in order of first appearance (the indices of the parsed chunks).
    let users: ExternalIDTable
    /// Every movie id of the file, in order of first appearance.
    let movies: ExternalIDTable
    /// Data lines with integer ids (an upper bound of the accepted rows).
    let lineCount: Int
    /// Bytes per chunk.
    let chunkBytes: Int
    /// Data rows read so far (accepted + rejected).
    private(set) var rowsRead = 0
    /// Rows skipped so far, in file order.
    private(set) var rejects: [RejectedRow] = []

    private init(mapped: MappedFile, plan: ParsePlan, scan: IDScan, chunkBytes: Int) {
        self.mapped = mapped
        self.plan = plan
        users = scan.users
        movies = scan.movies
        lineCount = scan.rows
        self.chunkBytes = chunkBytes
    }

    /// Scans the ids of `mapped` in `parts` pieces (one per core by default, the result is the same for any
    /// number); `nil` when the file cannot be streamed: not a `user,movie,...` layout with a one-byte delimiter,
    /// an id that is not a canonical integer (or a line that is neither blank nor starts with two such ids), or
    /// rows out of (user, movie) order.
    static func scan(_ mapped: MappedFile, plan: ParsePlan, parts: Int? = nil,
                     chunkBytes: Int = RatingStream.chunkBytes) -> RatingStream? {
        guard let delimiter = plan.rules.fastDelimiter, mapped.bytes.count > plan.bodyStart else { return nil }
        let count = max(1, parts ?? min(ProcessInfo.processInfo.activeProcessorCount, 8))
        let cuts = ParsedRatings.chunkBounds(mapped.bytes, from: plan.bodyStart, chunks: count)
        let results = ParallelResults<IDScan>(count: cuts.count - 1)
        DispatchQueue.concurrentPerform(iterations: cuts.count - 1) { part in
            results.store(IDScan(mapped.bytes, from: cuts[part], to: cuts[part + 1], delimiter: delimiter), at: part)
        }
        var merged = results.take(0)
        for part in 1..<results.count {
            guard merged.inOrder else { return nil }
            merged.append(results.take(part))
        }
        guard merged.inOrder, merged.rows > 0 else { return nil }
        return RatingStream(mapped: mapped, plan: plan, scan: merged, chunkBytes: chunkBytes)
    }

    /// Parses the file chunk by chunk on another thread and passes each chunk, in file order, to `body` on the
    /// calling thread; chunk indices are those of ``users`` and ``movies``.
    /// - Throws: the first bad row's ``StoreError`` under ``ErrorPolicy/abort``; ``Restart`` when the stream
    ///   cannot give the serial result; whatever `body` throws (the parsing thread then stops).
    func forEachChunk(_ body: (ParsedChunk) throws -> Void) throws {
        let cuts = ParsedRatings.chunkBounds(mapped.bytes, from: plan.bodyStart,
                                             chunks: max(1, (mapped.bytes.count - plan.bodyStart) / chunkBytes))
        let rowsPerByte = Double(lineCount) / Double(max(mapped.bytes.count - plan.bodyStart, 1))
        let channel = BoundedChannel<ParsedChunk>(capacity: Self.queuedChunks)
        let (mapped, plan, users, movies) = (mapped, plan, users, movies)
        // Under skip, whether some id occurs only in skipped rows; written by the parsing thread before it leaves.
        nonisolated(unsafe) var unusedIDs = false
        let parsing = DispatchGroup()
        DispatchQueue.global().async(group: parsing) {
            var usedUsers = [Bool](repeating: false, count: plan.rules.policy == .skip ? users.externalIDs.count : 0)
            var usedMovies = [Bool](repeating: false, count: usedUsers.isEmpty ? 0 : movies.externalIDs.count)
            var lineOffset = plan.linesBefore
            for part in 0..<(cuts.count - 1) {
                let capacity = Int(Double(cuts[part + 1] - cuts[part]) * rowsPerByte * 1.02) + 16
                var chunk = ParsedChunk(mapped.bytes, from: cuts[part], to: cuts[part + 1], rules: plan.rules,
                                        capacity: capacity, users: users, movies: movies, progress: nil)
                chunk.rebaseRejects(lineOffset: lineOffset)
                lineOffset += chunk.lineCount
                if !usedUsers.isEmpty {
                    for user in chunk.userIndex { usedUsers[Int(user)] = true }
                    for movie in chunk.movieIndex { usedMovies[Int(movie)] = true }
                }
                let stop = plan.rules.policy == .abort && !chunk.rejects.isEmpty
                guard channel.send(chunk), !stop else { break }
            }
            unusedIDs = usedUsers.contains(false) || usedMovies.contains(false)
            channel.finish()
        }
        defer {
            channel.cancel()
            parsing.wait()
        }
        while let chunk = channel.receive() {
            rowsRead += chunk.rowsRead
            rejects += chunk.rejects
            if plan.rules.policy == .abort, let bad = chunk.rejects.first { throw bad.error }
            // Every id of an accepted row was seen by the id pass, so the tables never grow; checked anyway.
            guard chunk.users.externalIDs.count == users.externalIDs.count,
                  chunk.movies.externalIDs.count == movies.externalIDs.count else { throw Restart() }
            try body(chunk)
        }
        parsing.wait()
        if unusedIDs { throw Restart() }
    }
}

/// The id fields of a line-aligned byte range: the user and movie tables in order of first appearance, the
/// number of rows, and whether the (user, movie) pairs are in ascending order.
struct IDScan {
    var users = ExternalIDTable()
    var movies = ExternalIDTable()
    /// Lines starting with two ids.
    var rows = 0
    /// Whether all pairs are in ascending (user, movie) order (equal pairs allowed) and every line is blank or
    /// starts with two canonical integer ids; the scan stops at the first line where that fails.
    var inOrder = true
    /// The first and last pair of the range (when `rows > 0`).
    var first = (user: -1, movie: -1)
    var last = (user: -1, movie: -1)

    init(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, delimiter: UInt8) {
        guard let bytes = buffer.baseAddress else { return }
        var position = start
        while position < end {
            let lineStart = position
            if let user = ParsedChunk.canonicalInteger(bytes, &position, end, delimiter),
               let movie = ParsedChunk.canonicalInteger(bytes, &position, end, delimiter) {
                if user < last.user || (user == last.user && movie < last.movie) {
                    inOrder = false
                    return
                }
                if rows == 0 { first = (user, movie) }
                if user != last.user { _ = users.index(integer: user) }
                _ = movies.index(integer: movie)
                last = (user, movie)
                rows += 1
            } else {
                position = lineStart
            }
            let lineEnd: Int
            if let found = memchr(bytes + position, 0x0A, end - position) {
                lineEnd = bytes.distance(to: found.assumingMemoryBound(to: UInt8.self))
            } else {
                lineEnd = end
            }
            if position == lineStart {
                let contentEnd = lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd
                guard ParsedRatings.isBlank(bytes, lineStart, contentEnd) else {
                    inOrder = false
                    return
                }
            }
            position = lineEnd + 1
        }
    }

    /// Appends the scan of the next range.
    mutating func append(_ next: IDScan) {
        guard next.inOrder else {
            inOrder = false
            return
        }
        guard next.rows > 0 else { return }
        if rows > 0, next.first.user < last.user || (next.first.user == last.user && next.first.movie < last.movie) {
            inOrder = false
            return
        }
        for id in next.users.externalIDs { _ = users.index(externalID: id) }
        for id in next.movies.externalIDs { _ = movies.index(externalID: id) }
        rows += next.rows
        last = next.last
        if first.user < 0 { first = next.first }
    }
}

/// A first-in, first-out queue between one producing and one consuming thread, holding at most `capacity`
/// items: ``send(_:)`` waits while it is full, ``receive()`` while it is empty.
final class BoundedChannel<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var items: [Element] = []
    private var finished = false
    private var cancelled = false

    /// An empty channel holding at most `capacity` items.
    init(capacity: Int) { self.capacity = capacity }

    /// Queues `item`; `false` (dropping it) once the consumer has cancelled.
    func send(_ item: Element) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// No more items will be sent.
    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next item, or `nil` once the producer finished and the queue is empty (or after ``cancel()``).
    func receive() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished && !cancelled { condition.wait() }
        guard !cancelled, !items.isEmpty else { return nil }
        condition.broadcast()
        return items.removeFirst()
    }

    /// The consumer stops: queued items are dropped and a waiting producer returns.
    func cancel() {
        condition.lock()
        cancelled = true
        items = []
        condition.broadcast()
        condition.unlock()
    }
}
