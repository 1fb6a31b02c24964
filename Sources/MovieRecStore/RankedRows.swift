/// The accepted rows of a ``ParsedRatings`` ordered by (user rank, movie rank, file order), packed so that every
/// later pass reads memory sequentially.
///
/// One pass over the columns in file order scatters each row into its user's range (a stable counting sort);
/// each user's small contiguous range is then sorted by movie and its ratings and timestamps permuted to match.
struct RankedRows {
    /// Per position: `movieRank << 32 | offset`, `offset` being the row's order of appearance among its user's rows.
    var keys: [UInt64]
    /// Per position: the rating.
    var rating: [Double]
    /// Per position: the timestamp (or ``ParsedRatings/missingTimestamp``).
    var timestamp: [Int64]
    /// Positions `userStarts[r]..<userStarts[r + 1]` belong to the user of rank `r`.
    var userStarts: [Int]

    /// Sorts `ratings`; `userRank[u]` / `movieRank[m]` give the rank of dense user `u` / movie `m`.
    init(_ ratings: ParsedRatings, userRank: [Int32], movieRank: [UInt64]) {
        let count = ratings.count
        let userCount = userRank.count
        var starts = [Int](repeating: 0, count: userCount + 1)
        for user in ratings.userIndex { starts[Int(userRank[Int(user)]) + 1] += 1 }
        for rank in 0..<userCount { starts[rank + 1] += starts[rank] }
        var keys = [UInt64](repeating: 0, count: count)
        var sortedRating = [Double](repeating: 0, count: count)
        var sortedTimestamp = [Int64](repeating: 0, count: count)
        var fill = starts
        keys.withUnsafeMutableBufferPointer { keys in
            for row in 0..<count {
                let rank = Int(userRank[Int(ratings.userIndex[row])])
                let position = fill[rank]
                keys[position] = movieRank[Int(ratings.movieIndex[row])] << 32 | UInt64(position - starts[rank])
                sortedRating[position] = ratings.rating[row]
                sortedTimestamp[position] = ratings.timestamp[row]
                fill[rank] = position + 1
            }
            var ratingScratch: [Double] = []
            var timestampScratch: [Int64] = []
            for rank in 0..<userCount where starts[rank + 1] - starts[rank] > 1 {
                let range = starts[rank]..<starts[rank + 1]
                var slice = UnsafeMutableBufferPointer(rebasing: keys[range])
                slice.sort()
                ratingScratch.removeAll(keepingCapacity: true)
                ratingScratch.append(contentsOf: sortedRating[range])
                timestampScratch.removeAll(keepingCapacity: true)
                timestampScratch.append(contentsOf: sortedTimestamp[range])
                for position in range {
                    let offset = Int(keys[position] & 0xFFFF_FFFF)
                    sortedRating[position] = ratingScratch[offset]
                    sortedTimestamp[position] = timestampScratch[offset]
                }
            }
        }
        self.keys = keys
        self.rating = sortedRating
        self.timestamp = sortedTimestamp
        self.userStarts = starts
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
}
