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

    /// Sorts `ratings`; `userRank[u]` / `movieRank[m]` give the rank of dense user `u` / movie `m`.
    init(_ ratings: ParsedRatings, userRank: [Int32], movieRank: [Int32]) {
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
        var sortedMovie = [Int32](repeating: 0, count: count)
        var sortedRating = [Double](repeating: 0, count: count)
        var sortedTimestamp = [Int64](repeating: 0, count: count)
        var fill = starts
        ratings.userIndex.withUnsafeBufferPointer { userIndex in
            for row in 0..<count {
                let rank = Int(userRank[Int(userIndex[row])])
                let position = fill[rank]
                sortedMovie[position] = movies[row]
                sortedRating[position] = ratings.rating[row]
                sortedTimestamp[position] = ratings.timestamp[row]
                fill[rank] = position + 1
            }
        }
        movies = []
        Self.sortWithinUsers(starts: starts, movie: &sortedMovie, rating: &sortedRating, timestamp: &sortedTimestamp)
        self.movieRank = sortedMovie
        rating = sortedRating
        timestamp = sortedTimestamp
    }

    /// Sorts each user's range by (movie, position), which keeps rows of the same movie in file order, and
    /// permutes ratings and timestamps to match.
    private static func sortWithinUsers(
        starts: [Int], movie: inout [Int32], rating: inout [Double], timestamp: inout [Int64]
    ) {
        var keys: [UInt64] = []
        var ratingScratch: [Double] = []
        var timestampScratch: [Int64] = []
        for rank in 0..<(starts.count - 1) {
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
