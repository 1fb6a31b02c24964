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
        let movieOrder = RankedRows.canonicalOrder(of: parsed.movieExternalIDs)
        let rows = RankedRows(parsed, userRank: RankedRows.ranks(of: userOrder),
                              movieRank: RankedRows.ranks(of: movieOrder))

        var userIndex: [Int32] = []
        var movieIndex: [Int32] = []
        var rating: [Float] = []
        var timestamp: [Int64] = []
        for rank in userOrder.indices {
            var position = rows.userStarts[rank]
            let end = rows.userStarts[rank + 1]
            while position < end {
                let movie = rows.movieRank[position]
                var winner = position
                position += 1
                while position < end && rows.movieRank[position] == movie {
                    if RankedRows.replaces(rows.timestamp[position], rows.timestamp[winner]) { winner = position }
                    position += 1
                }
                userIndex.append(Int32(rank))
                movieIndex.append(movie)
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
