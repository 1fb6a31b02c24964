/// Every knob of the model, with its default. `Codable`, so a saved model records how it was trained.
///
/// The defaults were chosen on ml-latest-small: the rating knobs (rank, K, τ, the α blend — α fitted by
/// least squares on fold 1 — and the film-similarity exponent) on the 5-fold split (`folds/`), mean
/// RMSE 0.8377 against 0.8727 for the baseline alone; the ranking knobs (k_w, p, α_u, β, ρ, γ) on the
/// per-user top-N holdout (`topn/`), nDCG@10 0.3145, P@10 0.2306, R@10 0.3164, MAP@10 0.1987. The ranking
/// attention knobs (K_r, τ_r, λ) were chosen on per-user 20 % validation holdouts carved from the top-N
/// train file (seeds 1–3), never on its test file, and so were the rated-film re-ranking knobs (λ_m, τ_m, M).
public struct ModelParameters: Codable, Sendable, Equatable {
    // MARK: Baseline
    /// `.bias` (regularised biases) or `.none` (plain SVD of raw ratings).
    public var baselineMode: BaselineMode = .bias
    /// λ_i of ``BaselineEstimator`` (Surprise default 10).
    public var movieRegularization: Float = 10
    /// λ_u of ``BaselineEstimator`` (Surprise default 15).
    public var userRegularization: Float = 15
    /// Alternating sweeps of ``BaselineEstimator`` (Surprise default 10).
    public var baselineSweeps: Int = 10

    // MARK: Latent factors
    /// Rank k of the residual SVD.
    public var rank: Int = 100
    /// Oversampling p of the randomized SVD's blocks (each `rank + p` wide, rounded up to a multiple of 16).
    /// 0: the Rayleigh–Ritz space of ``TruncatedSVD`` holds the last two power-step blocks, so it already has
    /// twice the rank (with p = 10 and one block before: RMSE 0.8378, nDCG@10 0.3120; now 0.8375 and 0.3131).
    public var oversampling: Int = 0
    /// Power iterations q of both randomized SVDs (residual and watch): q + 1 sparse products by the
    /// matrix and q by its transpose. On ml-latest-small q = 3 gave 5-fold RMSE 0.83777 (q = 4: 0.83779)
    /// and top-N nDCG@10 0.3120 (q = 4: 0.3092) with the one-block SVD; q = 2 cost 0.0003 RMSE and q = 1
    /// lost nDCG.
    public var powerIterations: Int = 3
    /// e: film cosines are taken between rows of `V_k·S_k^e` (see ``LatentFactors``).
    public var movieSimilarityExponent: Float = 1.5
    /// Seed of every random choice (the SVD test matrices); same seed → identical model.
    public var seed: UInt64 = 42

    // MARK: Attention
    /// K, the number of user neighbours and of film neighbours attended to.
    public var neighbours: Int = 40
    /// τ, the attention temperature: logits are `√d·cos/τ`.
    public var temperature: Float = 2
    /// At most this many raters of a film are compared when picking its user neighbours (an even,
    /// deterministic stride over the film's raters beyond it), which bounds the cost for blockbusters.
    /// On ml-latest-small's validation splits (5 folds, K = 40) a scan of 160 raters gave the RMSE of scanning
    /// all (0.84723 against 0.84724; 80: 0.84735, 40: 0.84777, 20: 0.84862): the neighbours' ratings matter more
    /// than picking the very nearest raters. 160 it is: on the top-N validation splits (seeds 1–3) it also gave the
    /// same nDCG@10 and P@10 as 400 on every seed (80: RMSE +0.0001), and at 25 M ratings it reads 160 binary16 rows per
    /// prediction instead of screening 400 (a 25 M-rating set's films have up to tens of thousands of raters).
    public var raterScanLimit: Int = 160
    /// L: a user who rated more than L films has the rated-film attention (the ranking's rated-film term and the
    /// prediction's film neighbours) attend to L of them, evenly spaced, which bounds its cost per candidate film.
    /// Films rated are still never recommended and still count for everything else. 0: every film.
    /// Validation RMSE (ml-latest-small's 5 folds, 20 % of each train part held out): every film 0.8472, L = 1000
    /// 0.8473, 500 0.8477, 250 0.8492; nDCG@10 on the top-N validation splits (seeds 1–3) the same at 1000 and 500 as
    /// with every film. 1000 is the smallest limit within 0.0001 of attending to every film; at 25 M ratings it takes
    /// the recommend p99 of users with 1,000 ratings or more from about 11 ms to 3–4 ms.
    public var attendedMovieLimit: Int = 1000
    /// α_svd, weight of the SVD term `p_u·q_i`.
    public var svdWeight: Float = 0.25
    /// α_user, weight of the user-neighbour attention term.
    public var userAttentionWeight: Float = 0.38
    /// α_film, weight of the film-neighbour attention term.
    public var movieAttentionWeight: Float = 0.92
    /// Fit the three α by least squares on a held-out validation slice of the training ratings instead
    /// of using the values above (costs a second training run on the rest).
    public var fitsBlend: Bool = false
    /// Share of the ratings held out for ``fitsBlend``.
    public var blendValidationShare: Float = 0.1

    // MARK: Raw co-rating cosine
    /// Minimum number of common films for a raw cosine; below it the raw cosine is reported as 0.
    public var rawCosineMinimumSupport: Int = 2
    /// λ_s: the raw cosine over n common films is multiplied by `n / (n + λ_s)`.
    public var rawCosineShrinkage: Float = 10
    /// λ_n: `similar` and `similar-movies` order neighbours by `cos·n/(n + λ_n)`, n = the neighbour's number of
    /// ratings (a film rated 5 times keeps 20 % of its cosine, one rated 100 times 83 %).
    public var similaritySupportShrinkage: Float = 20

    // MARK: Ranking (see ``WatchFactors`` and ``Recommender``)
    /// k_w, rank of the "watch" SVD used for ranking (capped at `min(users, films)`).
    public var watchRank: Int = 40
    /// p: each watch-matrix entry is weighted by `rating^p` (0 = plain watched/not watched).
    public var watchRatingExponent: Float = 2
    /// α: rows of the watch matrix are scaled by `n_u^−α` (damps very active users).
    public var userActivityExponent: Float = 0.25
    /// ρ: watch dimension c is weighted by `(σ_c/σ₁)^ρ` when scoring (0 = plain PureSVD).
    public var watchSpectralExponent: Float = 0.5
    /// β: columns of the watch matrix are scaled by `n_i^−β` (damps blockbusters).
    public var popularityExponent: Float = 0
    /// K_r: the user neighbours attended to by the ranking attention (see ``Recommender``), found for every
    /// trained user in `train` (the neighbour index). 100 was chosen on validation splits of the ml-latest-small
    /// top-N train file (3 seeds; 50 and 200 were lower).
    public var rankingNeighbours: Int = 100
    /// τ_r, the ranking attention's temperature: logits are `√k_w·cos/τ_r` over the unit watch vectors
    /// (validation nDCG@10, 3 seeds: τ_r = 0.5 0.1882, τ_r = 1 0.1866 at λ = 0.5; a numpy scan of 0.1–2 peaked at 0.5–1).
    public var rankingTemperature: Float = 0.5
    /// λ: share of the attention term in the ranking score `λ·A/Ā + (1 − λ)·W/W̄` (1 = attention alone,
    /// 0 = watch SVD alone; validation nDCG@10 0.1882 at λ = 0.5, 0.1871 at 0.7, both above either term alone).
    public var attentionRankingWeight: Float = 0.5
    /// λ_m: share of the rated-film attention term in the ranking score (see ``Recommender``):
    /// `score = (1 − λ_m)·(λ·A/Ā + (1 − λ)·W/W̄) + λ_m·I/Ī`, where `I_i` is attention from the candidate film over
    /// the films the user rated. 0 turns the re-ranking stage off. Must be below 1 (the other two terms pick the
    /// films that are re-ranked). Validation nDCG@10 (3 seeds, τ_m = 1): 0 0.1887, 0.3 0.1901, 0.4 0.1904,
    /// 0.5 0.1910, 0.6 0.1910, 0.7 0.1898.
    public var movieRankingWeight: Float = 0.5
    /// τ_m, the temperature of the rated-film attention: logits are `√k·cos/τ_m` between the candidate's and the
    /// rated films' unit rows of `V_k·S_k^e` (the film-similarity space of ``LatentFactors``). Validation nDCG@10 at
    /// λ_m = 0.5: τ_m = 0.5 0.1899, 1 0.1910, 2 0.1902.
    public var movieRankingTemperature: Float = 1
    /// M: the rated-film attention re-ranks only the best `max(M, n)` films of the other two terms when n films are
    /// asked for (it costs one cosine per rated film for each of them). Validation nDCG@10 was the same for
    /// M = 28 to 500 (0.1909–0.1910); 30 keeps the cost low.
    public var movieRankingDepth: Int = 30
    /// m, as a share of the width of the rating scale: by default a film whose predicted rating is below
    /// `max(user mean, μ) − m·(highest − lowest rating)` is not recommended (see ``RatingFloor``). 1/9 is half a
    /// star on a 0.5–5 scale, one point on 1–10. Chosen in stars on ml-latest-small's validation splits
    /// (0.5 star: nDCG@10 0.1882, 1 star: 0.1883); as a share of the scale it carries over to other scales
    /// (the same ratings doubled to 1–10 give the same lists, where a fixed half point lost 0.7 % of nDCG@10).
    public var predictedRatingMargin: Float = 1.0 / 9
    /// d: the rating floor examines at most the best `d·(N + 4)` films by score for a list of N (predicting them in
    /// order until N pass); a user for whom fewer pass gets a shorter list. The first `2·(N + 4)` are ranked at
    /// once and the window grows fourfold up to that. Does not apply without a floor. On the top-N validation splits
    /// (seeds 1–3) d = 3, 4, 8 and 16 gave the same nDCG@10 and P@10 on every seed (d = 1 and 2 lost 0.0002 on one);
    /// 4 keeps a margin. It bounds the predictions of a user whose best films are mostly predicted below the floor
    /// (56 instead of 224 for a top 10).
    public var floorDepth: Int = 4
    /// The defaults.
    public init() {}
}
