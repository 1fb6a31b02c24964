import MovieRecNumerics
/// How many ratings each user makes: a floor like MovieLens' (20 ratings per user when the total allows)
/// plus a heavy-tailed share of the rest.
///
/// With floor m = min(20, M, ⌊R/N⌋), the extra E = R − m·N is split in proportion to log-normal weights
/// a_u = e^{1.4·z_u} (MovieLens' median user rates about half the mean, a few rate thousands), capped at M − m
/// per user by water-filling, then rounded by largest remainder so the counts sum to exactly R.
enum UserActivity {
    /// Ratings per user, summing exactly to `ratings`, each in `1…movies`.
    static func counts(users: Int, movies: Int, ratings: Int, seed: UInt64) -> [Int] {
        let floor = min(20, movies, ratings / users)
        var rng = SeededGenerator(seed: streamSeed(seed, stream: 2, index: 0))
        var weights = [Double](repeating: 0, count: users)
        for u in 0..<users { weights[u] = PortableMath.exp(1.4 * rng.nextGaussian()) }

        var counts = [Int](repeating: floor, count: users)
        var remaining = ratings - floor * users
        let room = movies - floor
        var active = Array(0..<users)
        while remaining > 0 {
            let total = active.reduce(0.0) { $0 + weights[$1] }
            var saturated = false
            var stillActive = [Int]()
            stillActive.reserveCapacity(active.count)
            for u in active {
                if Double(remaining) * weights[u] / total >= Double(room) {
                    counts[u] = movies
                    saturated = true
                } else {
                    stillActive.append(u)
                }
            }
            if !saturated { break }
            remaining = ratings - counts.reduce(0, +)
            active = stillActive
        }
        guard remaining > 0 else { return counts }

        let total = active.reduce(0.0) { $0 + weights[$1] }
        var fractions = [(fraction: Double, user: Int)]()
        fractions.reserveCapacity(active.count)
        var assigned = 0
        for u in active {
            let share = Double(remaining) * weights[u] / total
            let whole = min(Int(share), room)
            counts[u] += whole
            assigned += whole
            fractions.append((share - Double(whole), u))
        }
        fractions.sort { $0.fraction != $1.fraction ? $0.fraction > $1.fraction : $0.user < $1.user }
        var left = remaining - assigned
        var position = 0
        while left > 0 {
            let u = fractions[position % fractions.count].user
            if counts[u] < movies {
                counts[u] += 1
                left -= 1
            }
            position += 1
        }
        return counts
    }
}
