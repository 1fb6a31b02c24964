/// The half-star scale 0.5…5 and how a latent score becomes a star rating.
///
/// An ordered-probit link: the latent score s = b_u + b_i + 1.2·p_u·q_i + ε is cut at thresholds
/// τ₁ < … < τ_K, and the rating is the level whose interval holds s. The thresholds are the quantiles of s
/// (estimated from 40,000 pairs drawn like the real ones) at the cumulative shares of MovieLens' histogram,
/// so the output has MovieLens' shape: 4.0 most common, mean ≈ 3.5, few 0.5s. Users who rate in whole
/// stars only (and everyone before MovieLens added half stars on 2003-02-18) use the whole-star shares.
struct RatingScale {
    /// The ten ratings as MovieLens writes them, level 0 = "0.5" … level 9 = "5.0".
    static let labels = ["0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5", "5.0"]
    /// Share of each half-star level (MovieLens 25M, rounded).
    static let halfStarShares = [0.016, 0.031, 0.016, 0.066, 0.050, 0.196, 0.126, 0.266, 0.085, 0.148]
    /// Share of 1, 2, 3, 4, 5 stars for whole-star raters.
    static let wholeStarShares = [0.05, 0.10, 0.27, 0.36, 0.22]
    /// 2003-02-18 00:00 UTC, when MovieLens started accepting half stars.
    static let halfStarsIntroduced: Int64 = 1_045_526_400

    private let halfThresholds: [Float]
    private let wholeThresholds: [Float]

    /// Thresholds from a sample of latent scores.
    init(sampleScores: [Double]) {
        let sorted = sampleScores.sorted()
        func cuts(_ shares: [Double]) -> [Float] {
            var cumulative = 0.0
            return shares.dropLast().map { share in
                cumulative += share
                let position = min(sorted.count - 1, Int(cumulative * Double(sorted.count)))
                return Float(sorted[position])
            }
        }
        halfThresholds = cuts(Self.halfStarShares)
        wholeThresholds = cuts(Self.wholeStarShares)
    }

    /// The level (0…9, see `labels`) of latent score `score`; whole-star levels are 1, 3, 5, 7, 9.
    func level(of score: Float, wholeStars: Bool) -> Int {
        if wholeStars {
            var k = 0
            while k < wholeThresholds.count && score >= wholeThresholds[k] { k += 1 }
            return 2 * k + 1
        }
        var k = 0
        while k < halfThresholds.count && score >= halfThresholds[k] { k += 1 }
        return k
    }
}
