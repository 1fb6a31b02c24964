extension RatingTable {
    /// A table made straight from a parsed file, without a database (for `evaluate --train/--test` and
    /// `recommend --ratings`).
    ///
    /// Repeated (user, movie) pairs are resolved as an import would: the newer timestamp wins, a tie goes to the
    /// later row. Users and movies are numbered in canonical external-id order (integers by value, then text);
    /// as there are no database ids, `userIDs` and `movieIDs` are 1...n in that order. Only movies rated in the
    /// file appear.
    public init(_ parsed: ParsedRatings) {
        let userOrder = RankedRows.canonicalOrder(of: parsed.userExternalIDs)
        var userRank = [Int32](repeating: 0, count: userOrder.count)
        for (rank, user) in userOrder.enumerated() { userRank[user] = Int32(rank) }
        let movieOrder = RankedRows.canonicalOrder(of: parsed.movieExternalIDs)
        var movieRank = [UInt64](repeating: 0, count: movieOrder.count)
        for (rank, movie) in movieOrder.enumerated() { movieRank[movie] = UInt64(rank) }
        let rows = RankedRows(parsed, userRank: userRank, movieRank: movieRank)

        var userIndex: [Int32] = []
        var movieIndex: [Int32] = []
        var rating: [Float] = []
        var timestamp: [Int64] = []
        for rank in userOrder.indices {
            var position = rows.userStarts[rank]
            let end = rows.userStarts[rank + 1]
            while position < end {
                let movie = rows.keys[position] >> 32
                var winner = position
                position += 1
                while position < end && rows.keys[position] >> 32 == movie {
                    if RankedRows.replaces(rows.timestamp[position], rows.timestamp[winner]) { winner = position }
                    position += 1
                }
                userIndex.append(Int32(rank))
                movieIndex.append(Int32(movie))
                rating.append(Float(rows.rating[winner]))
                timestamp.append(rows.timestamp[winner])
            }
        }
        self.init(
            userIDs: userOrder.indices.map { Int64($0 + 1) }, userExternalIDs: userOrder.map { parsed.userExternalIDs[$0] },
            movieIDs: movieOrder.indices.map { Int64($0 + 1) },
            movieExternalIDs: movieOrder.map { parsed.movieExternalIDs[$0] },
            userIndex: userIndex, movieIndex: movieIndex, rating: rating, timestamp: timestamp)
    }
}
