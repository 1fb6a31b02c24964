import MovieRecNumerics
/// Draws a user's films without replacement, with probability proportional to popularity, from the films
/// released by a given time (a prefix of the catalogue, which is sorted by release).
///
/// Two exact methods share the work: while most of the eligible popularity mass is still untaken, draw from a
/// Walker/Vose alias table over a catalogue prefix just covering the eligible films in O(1) and reject films
/// already taken or not yet released; once less than half the mass is left, switch to a Fenwick tree of integer weights (taken films set to 0,
/// restored afterwards), which samples the rest in O(log M) without rejections. Both draw from the same
/// distribution: P(j) = w_j / Σ_{k eligible, untaken} w_k.
struct PopularitySampler {
    /// A Walker/Vose alias table over the first `prefix` films: draw column c uniformly, keep c with
    /// probability `columns[c].keep`, else take `columns[c].alias` (both in one 8-byte entry: one cache line read).
    private struct AliasTable {
        struct Column {
            var keep: Float
            var alias: Int32
        }
        let prefix: Int
        let mass: Double
        let columns: [Column]

        init(normalized: ArraySlice<Double>, mass: Double) {
            let count = normalized.count
            prefix = count
            self.mass = mass
            var scaled = normalized.map { $0 / mass * Double(count) }
            var probability = [Double](repeating: 1, count: count)
            var alias = [Int32](repeating: 0, count: count)
            var small = [Int](), large = [Int]()
            for (index, value) in scaled.enumerated() {
                if value < 1 { small.append(index) } else { large.append(index) }
            }
            while let s = small.popLast(), let l = large.last {
                probability[s] = scaled[s]
                alias[s] = Int32(l)
                scaled[l] -= 1 - scaled[s]
                if scaled[l] < 1 {
                    large.removeLast()
                    small.append(l)
                }
            }
            for index in small + large { probability[index] = 1 }
            columns = zip(probability, alias).map { Column(keep: Float($0), alias: $1) }
        }
    }

    private let normalized: [Double]
    /// Cumulative normalised mass of films `0..<i+1`, for sizing a release prefix.
    let cumulativeMass: [Double]
    /// Alias tables over growing prefixes whose mass falls by √2 per step (1, 0.71, 0.5, … down to < 0.1), so a
    /// user restricted to films released by their start date draws from a table where ≥ 71 % of the mass is eligible.
    private let tables: [AliasTable]
    private let integerWeights: [Int64]
    private let tree: [Int64]

    init(weights: [Double]) {
        let count = weights.count
        let total = weights.reduce(0, +)
        normalized = weights.map { $0 / total }
        var running = 0.0
        cumulativeMass = normalized.map { running += $0; return running }

        var tables = [AliasTable(normalized: normalized[...], mass: running)]
        var threshold = 1.0
        while threshold > 0.1 {
            threshold /= 2.0.squareRoot()
            let prefix = (cumulativeMass.firstIndex { $0 >= threshold } ?? (count - 1)) + 1
            if prefix < tables.last!.prefix {
                tables.append(AliasTable(normalized: normalized[..<prefix], mass: cumulativeMass[prefix - 1]))
            }
        }
        self.tables = tables

        let maximum = weights.max() ?? 1
        // 2³² levels: coarse enough that a last-bit difference in a libm result practically never changes a weight.
        integerWeights = weights.map { Swift.max(1, Int64(($0 / maximum * 0x1p32).rounded())) }
        var tree = [Int64](repeating: 0, count: count + 1)
        for index in 0..<count {
            tree[index + 1] += integerWeights[index]
            let parent = (index + 1) + ((index + 1) & -(index + 1))
            if parent <= count { tree[parent] += tree[index + 1] }
        }
        self.tree = tree
    }

    /// Number of films.
    var count: Int { normalized.count }

    /// Per-thread scratch space: which films the current user took, and a private copy of the Fenwick tree.
    struct Workspace {
        fileprivate var takenBy: [Int32]
        fileprivate var tree: [Int64]
        fileprivate var stamp: Int32 = 0
    }

    /// Fresh scratch space for one worker.
    func makeWorkspace() -> Workspace {
        Workspace(takenBy: [Int32](repeating: -1, count: count), tree: tree)
    }

    /// Fills `picks` with `n` distinct film indices below `eligible`, in the order drawn.
    /// Requires `n ≤ eligible ≤ count`.
    func draw(_ n: Int, eligible: Int, into picks: inout [Int32], workspace: inout Workspace, using rng: inout SeededGenerator) {
        picks.removeAll(keepingCapacity: true)
        workspace.stamp &+= 1
        if workspace.stamp == Int32.max {
            for index in workspace.takenBy.indices { workspace.takenBy[index] = -1 }
            workspace.stamp = 0
        }
        let stamp = workspace.stamp
        let table = tables.last { $0.prefix >= eligible } ?? tables[0]
        let limit = Double(table.prefix)
        var available = cumulativeMass[eligible - 1]
        let switchBelow = table.mass * 0.5
        while picks.count < n && available > switchBelow {
            let u = rng.nextUniform() * limit
            let index = Int(u)
            let column = table.columns[index]
            let j = Float(u - Double(index)) < column.keep ? index : Int(column.alias)
            if j >= eligible || workspace.takenBy[j] == stamp { continue }
            workspace.takenBy[j] = stamp
            picks.append(Int32(j))
            available -= normalized[j]
        }
        guard picks.count < n else { return }

        for j in picks { add(-integerWeights[Int(j)], at: Int(j), to: &workspace.tree) }
        var remaining = prefixSum(eligible, in: workspace.tree)
        while picks.count < n {
            let target = Int64(truncatingIfNeeded: rng.next() % UInt64(remaining))
            let j = find(target, in: workspace.tree)
            picks.append(Int32(j))
            add(-integerWeights[j], at: j, to: &workspace.tree)
            remaining -= integerWeights[j]
        }
        for j in picks { add(integerWeights[Int(j)], at: Int(j), to: &workspace.tree) }
    }

    private func add(_ delta: Int64, at index: Int, to tree: inout [Int64]) {
        var i = index + 1
        while i < tree.count {
            tree[i] += delta
            i += i & -i
        }
    }

    private func prefixSum(_ length: Int, in tree: [Int64]) -> Int64 {
        var sum: Int64 = 0
        var i = length
        while i > 0 {
            sum += tree[i]
            i -= i & -i
        }
        return sum
    }

    /// The smallest index j with (w_0 + … + w_j) > target.
    private func find(_ target: Int64, in tree: [Int64]) -> Int {
        var position = 0
        var rest = target
        var step = 1
        while step * 2 < tree.count { step *= 2 }
        while step > 0 {
            let next = position + step
            if next < tree.count && tree[next] <= rest {
                position = next
                rest -= tree[next]
            }
            step /= 2
        }
        return position
    }
}
