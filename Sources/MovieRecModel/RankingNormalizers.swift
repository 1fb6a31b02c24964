import MovieRecNumerics

/// The two normalizers of a trained user's ranking score that depend only on the user's own films (see
/// ``Recommender``): W̄, the mean watch score of the films the user rated, and Ī, the mean rated-film attention of
/// (at most ``TrainedModel/movieMeanSample`` of) them. Ā needs the neighbours' sums, so every list computes it.
///
/// They are constants of the trained model, computed once when it is assembled (in `train`) and saved with it,
/// instead of in every list: at 25 M ratings Ī alone is 16 rated-film attentions over the user's films per list.
/// A folded-in user's are computed with the same functions, so a trained user's list is the one its own
/// computation would give. A model restored with `--allow-stale` keeps the ones computed from the ratings it was
/// trained on, like its factors.
public struct RankingNormalizers: Sendable, Equatable {
    /// W̄ of every trained user.
    public let meanWatch: [Float]
    /// Ī of every trained user.
    public let meanMovies: [Float]

    /// Whether a model reconfigured from `old` to `new` parameters keeps the normalizers: Ī depends on τ_m and on
    /// the attended-film limit L (which films attend), W̄ on nothing reconfigurable.
    static func carry(from old: ModelParameters, to new: ModelParameters) -> Bool {
        old.movieRankingTemperature == new.movieRankingTemperature && old.attendedMovieLimit == new.attendedMovieLimit
    }
}

extension TrainedModel {
    /// Every trained user's ``RankingNormalizers`` (Ī also when λ_m is 0, so a reconfigured λ_m finds it), on
    /// both cores in blocks of users; the values do not depend on the thread count.
    func computedRankingNormalizers(options: ParallelOptions = .default) -> RankingNormalizers {
        var meanWatch = [Float](repeating: 0, count: userCount)
        var meanMovies = [Float](repeating: 0, count: userCount)
        let blockSize = 256
        meanWatch.withUnsafeMutableBufferPointer { watch in
            meanMovies.withUnsafeMutableBufferPointer { movies in
                let (watchSlots, movieSlots) = (SendablePointer(watch.baseAddress!), SendablePointer(movies.baseAddress!))
                options.forEachTask((userCount + blockSize - 1) / blockSize) { block in
                    var work = RatedMovieWork()
                    for u in (block * blockSize)..<min((block + 1) * blockSize, userCount) {
                        // Every index below userCount is a trained user, so the context cannot throw.
                        guard let context = try? context(.trained(u)) else { continue }
                        watchSlots.base[u] = self.meanWatch(context)
                        movieSlots.base[u] = meanMovieAttention(context, values: movieValues(context), work: &work)
                    }
                }
            }
        }
        return RankingNormalizers(meanWatch: meanWatch, meanMovies: meanMovies)
    }
}
