import Foundation

/// The accepted rows of a ``ParsedRatings`` ordered by (user rank, movie rank, file order), packed so that every
/// later pass reads memory sequentially.
///
/// A file already in that order (as `movierec generate` writes them) is detected in one pass and its rating and
/// timestamp columns are shared, not copied. Otherwise one pass in file order scatters each row into its user's
/// range (a stable counting sort), and each user's small contiguous range is then sorted by movie.
struct RankedRows {
    /// Per position: the rank of the row's movie.
    var movieRank: [Int32]
    /// Per position: the rating.
    var rating: [Double]
    /// Per position: the timestamp (or ``ParsedRatings/missingTimestamp``).
    var timestamp: [Int64]
    /// Positions `userStarts[r]..<userStarts[r + 1]` belong to the user of rank `r`.
    var userStarts: [Int]

    /// Number of rows.
    var count: Int { rating.count }

    /// Sorts `ratings`; `userRank[u]` / `movieRank[m]` give the rank of dense user `u` / movie `m`. Rows out of
    /// order are sorted in `parts` pieces on separate threads (by default one per core for large inputs); the
    /// result is the same for any number of parts.
    init(_ ratings: ParsedRatings, userRank: [Int32], movieRank: [Int32], parts requestedParts: Int? = nil) {
        let count = ratings.count
        let userCount = userRank.count
        var starts = [Int](repeating: 0, count: userCount + 1)
        var movies = [Int32](repeating: 0, count: count)
        var inOrder = true
        var previous = (user: Int32.min, movie: Int32.min)
        ratings.userIndex.withUnsafeBufferPointer { userIndex in
            ratings.movieIndex.withUnsafeBufferPointer { movieIndex in
                for row in 0..<count {
                    let user = userRank[Int(userIndex[row])]
                    let movie = movieRank[Int(movieIndex[row])]
                    starts[Int(user) + 1] += 1
                    movies[row] = movie
                    if user < previous.user || (user == previous.user && movie < previous.movie) { inOrder = false }
                    previous = (user, movie)
                }
            }
        }
        for rank in 0..<userCount { starts[rank + 1] += starts[rank] }
        userStarts = starts
        if inOrder {
            self.movieRank = movies
            rating = ratings.rating
            timestamp = ratings.timestamp
            return
        }
        let parts = max(1, min(requestedParts ?? (count >= 1 << 20 ? ProcessInfo.processInfo.activeProcessorCount : 1), 8))
        var sortedMovie = [Int32](repeating: 0, count: count)
        var sortedRating = [Double](repeating: 0, count: count)
        var sortedTimestamp = [Int64](repeating: 0, count: count)
        ratings.userIndex.withUnsafeBufferPointer { userIndex in
            // A stable counting sort by user: part p scatters rows rowCuts[p]..<rowCuts[p + 1], after the rows
            // of the same user from earlier parts.
            let rowCuts = (0...parts).map { count * $0 / parts }
            let partCounts = ParallelResults<[Int]>(count: parts)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                var counts = [Int](repeating: 0, count: userCount)
                for row in rowCuts[part]..<rowCuts[part + 1] { counts[Int(userRank[Int(userIndex[row])])] += 1 }
                partCounts.store(counts, at: part)
            }
            var next = Array(starts.dropLast())
            let partFills = ParallelResults<[Int]>(count: parts)
            for part in 0..<parts {
                partFills.store(next, at: part)
                for (rank, rows) in partCounts.take(part).enumerated() { next[rank] += rows }
            }
            movies.withUnsafeBufferPointer { movies in
            ratings.rating.withUnsafeBufferPointer { rating in
            ratings.timestamp.withUnsafeBufferPointer { timestamp in
            sortedMovie.withUnsafeMutableBufferPointer { sortedMovie in
            sortedRating.withUnsafeMutableBufferPointer { sortedRating in
            sortedTimestamp.withUnsafeMutableBufferPointer { sortedTimestamp in
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    var fill = partFills.take(part)
                    for row in rowCuts[part]..<rowCuts[part + 1] {
                        let rank = Int(userRank[Int(userIndex[row])])
                        let position = fill[rank]
                        sortedMovie[position] = movies[row]
                        sortedRating[position] = rating[row]
                        sortedTimestamp[position] = timestamp[row]
                        fill[rank] = position + 1
                    }
                }
                // Then by movie within each user: part p takes the users from the one holding row count·p/parts.
                let userCuts = (0...parts).map { part in
                    part == parts ? userCount : Self.firstUser(startingAtOrAfter: count * part / parts, starts: starts)
                }
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    Self.sortWithinUsers(userCuts[part]..<max(userCuts[part], userCuts[part + 1]), starts: starts,
                                         movie: sortedMovie, rating: sortedRating, timestamp: sortedTimestamp)
                }
            }
            }
            }
            }
            }
            }
        }
        movies = []
        self.movieRank = sortedMovie
        rating = sortedRating
        timestamp = sortedTimestamp
    }

    /// The smallest rank `r` with `starts[r] ≥ position` (`starts` ascending; at most `starts.count - 1`).
    private static func firstUser(startingAtOrAfter position: Int, starts: [Int]) -> Int {
        var low = 0
        var high = starts.count - 1
        while low < high {
            let middle = (low + high) / 2
            if starts[middle] >= position { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Sorts the range of each user in `users` by (movie, position), which keeps rows of the same movie in file
    /// order, and permutes ratings and timestamps to match.
    private static func sortWithinUsers(
        _ users: Range<Int>, starts: [Int], movie: UnsafeMutableBufferPointer<Int32>,
        rating: UnsafeMutableBufferPointer<Double>, timestamp: UnsafeMutableBufferPointer<Int64>
    ) {
        var keys: [UInt64] = []
        var ratingScratch: [Double] = []
        var timestampScratch: [Int64] = []
        for rank in users {
            let range = starts[rank]..<starts[rank + 1]
            var sorted = true
            for position in range.dropFirst() where movie[position - 1] > movie[position] { sorted = false; break }
            if sorted { continue }
            keys.removeAll(keepingCapacity: true)
            for position in range { keys.append(UInt64(movie[position]) << 32 | UInt64(position - range.lowerBound)) }
            keys.sort()
            ratingScratch.removeAll(keepingCapacity: true)
            ratingScratch.append(contentsOf: rating[range])
            timestampScratch.removeAll(keepingCapacity: true)
            timestampScratch.append(contentsOf: timestamp[range])
            for (offset, key) in keys.enumerated() {
                let position = range.lowerBound + offset
                let source = Int(key & 0xFFFF_FFFF)
                movie[position] = Int32(truncatingIfNeeded: key >> 32)
                rating[position] = ratingScratch[source]
                timestamp[position] = timestampScratch[source]
            }
        }
    }

    /// Whether a rating with timestamp `candidate` replaces the current one with timestamp `current`: when it is
    /// newer or equal (so on a tie the later row wins); ``ParsedRatings/missingTimestamp`` is older than any time.
    static func replaces(_ candidate: Int64, _ current: Int64) -> Bool { candidate >= current }

    /// Indices of `ids` in canonical order: canonical integers (no sign, no leading zero) by value first, then
    /// all other ids by Unicode order. New database ids are assigned in this order, so they do not depend on the
    /// order of rows in a file.
    static func canonicalOrder(of ids: [String]) -> [Int] {
        let integers = ids.map { id -> Int? in
            guard let value = Int(id), value >= 0, String(value) == id else { return nil }
            return value
        }
        return ids.indices.sorted { left, right in
            switch (integers[left], integers[right]) {
            case let (l?, r?): return l < r
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return ids[left] < ids[right]
            }
        }
    }

    /// `rank[i]` = position of `i` in `order` (the inverse permutation).
    static func ranks(of order: [Int]) -> [Int32] {
        var rank = [Int32](repeating: 0, count: order.count)
        for (position, index) in order.enumerated() { rank[index] = Int32(position) }
        return rank
    }
}
