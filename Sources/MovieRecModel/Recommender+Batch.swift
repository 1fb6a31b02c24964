import MovieRecNumerics

/// A film and its ranking score, as listed by ``Recommender/topNForUsers(_:count:floor:options:)``.
public struct RankedMovie: Sendable, Equatable {
    /// The film index.
    public let movie: Int
    /// The ranking score (the same as ``Recommendation/score``).
    public let score: Float
}

extension Recommender {
    /// The top `count` films of every trained user in `users`, best first — the same films and scores as
    /// ``topN(user:count:explain:floor:)`` for each user, without explanations; users are spread over
    /// `options.threadCount` workers (the result does not depend on the thread count).
    ///
    /// Users go in blocks of ``batchBlockSize``. Each block's users are ranked first; then the rating floor's
    /// predictions run round by round for the whole block, grouped by film, so that the raters a film's
    /// predictions compare are read from memory once for every user of the block who is offered that film
    /// (``TrainedModel/raterCosines(of:queries:into:)``); a film whose film neighbours alone show that it passes is
    /// not compared with its raters at all. Each user's rounds are those of a single list (the same films judged
    /// in the same order, each pass or fail as its full prediction decides), so the lists are the ones `topN` gives.
    ///
    /// - Throws: ``ModelError`` `.unknownUser` when `users` is not inside `0..<userCount`.
    public func topNForUsers(_ users: Range<Int>, count: Int, floor: RatingFloor = .automatic,
                             options: ParallelOptions = .default) throws -> [[RankedMovie]] {
        if let first = users.first { try model.checkUser(first, field: "users") }
        if let last = users.last { try model.checkUser(last, field: "users") }
        let blockSize = Self.batchBlockSize
        let blockCount = (users.count + blockSize - 1) / blockSize
        var lists = [[RankedMovie]](repeating: [], count: users.count)
        lists.withUnsafeMutableBufferPointer { output in
            let slots = SendablePointer(output.baseAddress!)
            options.forEachTask(blockCount) { block in
                let first = users.lowerBound + block * blockSize
                let block = first..<min(first + blockSize, users.upperBound)
                for (u, list) in zip(block, listsOfBlock(block, count: count, floor: floor)) {
                    slots.base[u - users.lowerBound] = list
                }
            }
        }
        return lists
    }

    /// ``topNForUsers(_:count:floor:options:)`` for every trained user.
    public func topNForAllUsers(count: Int, floor: RatingFloor = .automatic, options: ParallelOptions = .default) -> [[RankedMovie]] {
        // Every index in 0..<userCount is a valid user, so this cannot throw.
        (try? topNForUsers(0..<model.userCount, count: count, floor: floor, options: options)) ?? []
    }

    /// Users whose lists are built together: their predictions of one film share its raters' rows (at 25 M ratings
    /// a film in a block's top-10 lists is in about 13 of its 256 lists on average).
    static var batchBlockSize: Int { 256 }

    /// The lists of trained users `block` (in range), in order.
    private func listsOfBlock(_ block: Range<Int>, count: Int, floor: RatingFloor) -> [[RankedMovie]] {
        var lists = [[RankedMovie]](repeating: [], count: block.count)
        guard count > 0 else { return lists }
        var scratch = model.rankingScratches.take(movieCount: model.movieCount)
        defer { model.rankingScratches.give(scratch) }
        // Ranking: each user's first window, as `accepted` ranks it, and the cosines it computed on the way.
        var pending: [PendingList] = []
        pending.reserveCapacity(block.count)
        for (slot, u) in block.enumerated() {
            // `u` is in range (checked by the caller), so the context cannot throw.
            guard let context = try? model.context(.trained(u)) else { continue }
            let query = model.rankingQuery(context, scratch: &scratch)
            guard let threshold = model.ratingThreshold(floor, context: context) else {
                lists[slot] = accepted(context, query: query, count: count, candidates: .unrated, floor: floor,
                                       scratch: &scratch, options: .serial).map(\.movie)
                continue
            }
            let (window, available) = floorWindows(count: count, listable: model.movieCount - context.movies.count,
                                                   floored: true)
            let ranked = model.rankedMovies(context, query: query, count: window, candidates: .unrated,
                                            scratch: &scratch)
            pending.append(PendingList(slot: slot, context: context, threshold: threshold, window: window,
                                       available: available, ranked: ranked, known: scratch.movieCosines,
                                       ratings: [Float](repeating: .nan, count: ranked.count)))
        }
        // Predictions, round by round: each list's next films (as many as it still misses), grouped by film.
        let stride = model.factors.halfStride
        var active = Array(pending.indices)
        var requests: [(movie: Int32, list: Int32, position: Int32)] = []
        var queries: [Float] = []
        var cosines: [Float] = []
        var undecided: [(list: Int, position: Int, movieNeighbours: (sum: Float, nullWeight: Float))] = []
        pending.withUnsafeMutableBufferPointer { pending in
            while !active.isEmpty {
                requests.removeAll(keepingCapacity: true)
                for l in active {
                    let end = min(pending[l].ranked.count, pending[l].position + count - pending[l].chosen.count)
                    pending[l].round = pending[l].position..<end
                    for position in pending[l].round {
                        requests.append((Int32(pending[l].ranked[position].movie), Int32(l), Int32(position)))
                    }
                }
                requests.sort { ($0.movie, $0.list) < ($1.movie, $1.list) }
                var start = 0
                while start < requests.count {
                    let movie = Int(requests[start].movie)
                    var end = start + 1
                    while end < requests.count && Int(requests[end].movie) == movie { end += 1 }
                    // The film neighbours first: when they alone decide that the film passes the floor, its
                    // raters are not compared (the list keeps only the films).
                    queries.removeAll(keepingCapacity: true)
                    undecided.removeAll(keepingCapacity: true)
                    for request in requests[start..<end] {
                        let (l, position) = (Int(request.list), Int(request.position))
                        var none: [Neighbour] = []
                        let part = model.movieNeighbourAttention(pending[l].context, movie: movie, limit: 0,
                                                                 movieCosines: pending[l].known[movie], neighbours: &none)
                        if model.passesWithoutRaters(pending[l].context, movie: movie, movieNeighbours: part.sum,
                                                     threshold: pending[l].threshold) {
                            pending[l].ratings[position] = .infinity
                        } else {
                            undecided.append((l, position, part))
                            let latent = pending[l].context.unitLatent
                            queries.append(contentsOf: latent)
                            queries.append(contentsOf: repeatElement(0, count: stride - latent.count))
                        }
                    }
                    if !undecided.isEmpty {
                        let raters = queries.withUnsafeBufferPointer {
                            model.raterCosines(of: movie, queries: $0, into: &cosines)
                        }
                        cosines.withUnsafeBufferPointer { all in
                            for (n, (l, position, part)) in undecided.enumerated() {
                                let explanation = model.explanation(
                                    for: pending[l].context, movie: movie, limit: 0, movieCosines: pending[l].known[movie],
                                    raterCosines: UnsafeBufferPointer(rebasing: all[(n * raters)..<((n + 1) * raters)]),
                                    movieNeighbours: part)
                                pending[l].ratings[position] = explanation.unclippedRating
                            }
                        }
                    }
                    start = end
                }
                var next: [Int] = []
                for l in active {
                    for position in pending[l].round
                    where model.clip(pending[l].ratings[position]) >= pending[l].threshold {
                        pending[l].chosen.append(pending[l].ranked[position])
                    }
                    pending[l].position = pending[l].round.upperBound
                    if pending[l].chosen.count < count && pending[l].position < pending[l].ranked.count {
                        next.append(l)
                    }
                }
                active = next
            }
        }
        for list in pending {
            if Self.listIsDone(chosen: list.chosen.count, count: count, ranked: list.ranked.count, window: list.window,
                               available: list.available) {
                // Best first (ties: lower index), as `accepted` sorts.
                lists[list.slot] = list.chosen.sorted { ($0.score, -$0.movie) > ($1.score, -$1.movie) }
            } else {
                // The first window ran out: `accepted` ranks again with larger windows, predicting only the films
                // not predicted above.
                let query = model.rankingQuery(list.context, scratch: &scratch)
                let predicted = Dictionary(uniqueKeysWithValues: zip(list.ranked[..<list.position].map(\.movie),
                                                                     list.ratings[..<list.position]))
                lists[list.slot] = accepted(list.context, query: query, count: count, candidates: .unrated,
                                            floor: floor, predicted: predicted, scratch: &scratch,
                                            options: .serial).map(\.movie)
            }
        }
        return lists
    }
}

/// One list of a batch block between its rounds of predictions (the state of `accepted` in its first window).
private struct PendingList {
    /// The user's position in the block.
    let slot: Int
    /// The user.
    let context: UserContext
    /// The lowest predicted rating accepted.
    let threshold: Float
    /// The first window (films ranked) and the most films the floor may examine.
    let window: Int
    let available: Int
    /// The best `window` films by score.
    let ranked: [RankedMovie]
    /// The rated-film cosines the ranking computed (by film), which the predictions reuse.
    let known: [Int: ArraySlice<Float>]
    /// The next film of `ranked` to predict, and this round's films.
    var position = 0
    var round = 0..<0
    /// The films accepted so far, in ranking order.
    var chosen: [RankedMovie] = []
    /// The unclipped predicted ratings of `ranked`'s films, set as they are predicted (every one before
    /// `position`); +∞ for a film whose film neighbours alone showed that it passes the floor
    /// (``TrainedModel/passesWithoutRaters(_:movie:movieNeighbours:threshold:)``).
    var ratings: [Float]
}
