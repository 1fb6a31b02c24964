import MovieRecNumerics

/// Finds, for every row of a matrix of unit vectors, the rows with the largest cosines to it (the K nearest
/// users of the ranking attention).
///
/// Up to ``exactLimit`` rows every pair is compared (exact). Beyond, comparing every pair costs n²·d (about
/// 10¹² multiply-adds at 25 M ratings), so the rows are grouped by spherical k-means into about 2.5·√n
/// clusters, and each row is compared with the rows of the ``probes`` clusters whose centroids are closest to
/// it (an inverted-file search): about `probes · 2.5⁻¹ · √n` candidates per row instead of n. Most true
/// neighbours lie in those clusters; ``recall(of:count:unit:sample:)`` measures how many.
///
/// Products are computed in blocks (four rows sharing each load of the transposed candidates) with the same
/// summation order as a single cosine, so a neighbour's cosine has the same bits whichever way it was found.
/// Deterministic: the k-means sample and start come from a seeded generator, ties go to the lower index.
struct NeighbourSearch {
    /// Rows up to which the search is exact.
    static let exactLimit = 16_384
    /// Clusters whose rows are candidates for a row (its own and the nearest others, by centroid cosine).
    static let probes = 24
    /// k-means rounds on the sample.
    static let rounds = 8

    /// `rows × dimension` unit vectors, row-major.
    let unit: DenseMatrix
    /// Cluster of every row (all 0 when exact).
    let assignment: [Int32]
    /// Rows of cluster c: `members[memberStart[c] ..< memberStart[c + 1]]`, ascending.
    let memberStart: [Int]
    /// Rows ordered by cluster.
    let members: [Int32]
    /// Probes per row.
    let probeCount: Int
    /// `rows × probeCount`: the clusters whose rows are a row's candidates, nearest centroid first.
    let rowProbes: [Int32]

    /// Number of clusters.
    var clusterCount: Int { memberStart.count - 1 }

    /// Clusters `unit` into `clusters` clusters (default ``clusterCount(rows:)``; 1 = exact), each row probing
    /// `probes` of them.
    init(unit: DenseMatrix, seed: UInt64, clusters: Int? = nil, probes: Int = NeighbourSearch.probes,
         options: ParallelOptions = .default) {
        self.unit = unit
        let n = unit.rows
        let clusters = max(1, min(clusters ?? Self.clusterCount(rows: n), n))
        var assignment = [Int32](repeating: 0, count: n)
        var rowProbes = [Int32](repeating: 0, count: n)
        var probeCount = 1
        if clusters > 1 {
            let centroids = Self.kMeans(unit, clusters: clusters, seed: seed, options: options)
            probeCount = max(1, min(probes, clusters))
            rowProbes = Self.nearestCentroids(of: unit, centroids: centroids, clusters: clusters, count: probeCount,
                                              options: options)
            assignment = (0..<n).map { rowProbes[$0 * probeCount] }
        }
        var start = [Int](repeating: 0, count: clusters + 1)
        for c in assignment { start[Int(c) + 1] += 1 }
        for c in 0..<clusters { start[c + 1] += start[c] }
        var next = Array(start.dropLast())
        var members = [Int32](repeating: 0, count: n)
        for (row, c) in assignment.enumerated() {
            members[next[Int(c)]] = Int32(row)
            next[Int(c)] += 1
        }
        self.assignment = assignment
        self.memberStart = start
        self.members = members
        self.probeCount = probeCount
        self.rowProbes = rowProbes
    }

    /// 1 (exact) up to ``exactLimit`` rows, else about 2.5·√rows.
    static func clusterCount(rows: Int) -> Int {
        rows <= exactLimit ? 1 : Int((Double(rows).squareRoot() * 2.5).rounded())
    }

    /// The `count` nearest other rows of every row, best first (ties: lower index), as a `rows × count` table of
    /// indices and one of cosines. Each row is compared with the rows of its ``rowProbes`` clusters.
    func nearest(_ count: Int, options: ParallelOptions = .default) -> (indices: [Int32], cosines: [Float]) {
        let n = unit.rows
        var indices = [Int32](repeating: 0, count: n * count)
        var cosines = [Float](repeating: 0, count: n * count)
        guard count > 0 else { return ([], []) }
        // Every cluster's rows transposed once.
        var blocks = [CandidateBlock?](repeating: nil, count: clusterCount)
        blocks.withUnsafeMutableBufferPointer { buffer in
            let out = SendablePointer(buffer.baseAddress!)
            options.forEachTask(clusterCount) { c in
                out.base[c] = CandidateBlock(unit: unit, candidates: Array(members[memberStart[c]..<memberStart[c + 1]]))
            }
        }
        // Tasks: a cluster's rows in chunks of at most 256 (rows of one cluster share most of their probes).
        var tasks: [Range<Int>] = []
        for c in 0..<clusterCount {
            var first = memberStart[c]
            while first < memberStart[c + 1] {
                let end = min(first + 256, memberStart[c + 1])
                tasks.append(first..<end)
                first = end
            }
        }
        indices.withUnsafeMutableBufferPointer { indexBuffer in
            cosines.withUnsafeMutableBufferPointer { cosineBuffer in
                let (outIndices, outCosines) = (SendablePointer(indexBuffer.baseAddress!),
                                                SendablePointer(cosineBuffer.baseAddress!))
                options.forEachTask(tasks.count) { t in
                    let queries = Array(members[tasks[t]])
                    // The rows of the task that probe each cluster.
                    var askers: [Int32: [Int32]] = [:]
                    for q in queries {
                        for k in 0..<probeCount { askers[rowProbes[Int(q) * probeCount + k], default: []].append(q) }
                    }
                    var selections: [Int32: TopSelection] = [:]
                    for q in queries { selections[q] = TopSelection(capacity: count) }
                    for cluster in askers.keys.sorted() {
                        blocks[Int(cluster)]!.offer(to: &selections, queries: askers[cluster]!, in: unit)
                    }
                    for q in queries {
                        for (k, entry) in selections[q]!.sorted().enumerated() {
                            outIndices.base[Int(q) * count + k] = Int32(entry.index)
                            outCosines.base[Int(q) * count + k] = entry.score
                        }
                    }
                }
            }
        }
        return (indices, cosines)
    }

    /// The share of the true `count` nearest rows (exact search) that ``nearest(_:options:)`` found, over
    /// `sample` rows spread evenly through the matrix: 1 when exact.
    static func recall(of found: [Int32], count: Int, unit: DenseMatrix, sample: Int) -> Double {
        let n = unit.rows
        guard count > 0, n > 1, sample > 0 else { return 1 }
        let all = CandidateBlock(unit: unit, candidates: (0..<n).map(Int32.init))
        let queries = (0..<min(sample, n)).map { Int32($0 * n / min(sample, n)) }
        var hits = 0
        all.search(queries: queries, count: count) { query, best in
            let mine = Set(found[(query * count)..<((query + 1) * count)])
            hits += best.filter { mine.contains(Int32($0.index)) }.count
        }
        return Double(hits) / Double(queries.count * count)
    }

    // MARK: - Spherical k-means

    /// `clusters` unit centroids (row-major) from `rounds` rounds of spherical k-means on a seeded sample of at
    /// most 24 rows per cluster, started from the sample's first rows.
    static func kMeans(_ unit: DenseMatrix, clusters: Int, seed: UInt64, options: ParallelOptions) -> [Float] {
        let (n, d) = (unit.rows, unit.columns)
        var generator = SeededGenerator(seed: seed ^ 0x6E65_6967_6862_6F75)   // "neighbou"
        var order = Array(0..<n)
        let sampleSize = min(n, 24 * clusters)
        for i in 0..<sampleSize {
            let j = i + Int(generator.next() % UInt64(n - i))
            order.swapAt(i, j)
        }
        var sample = DenseMatrix(rows: sampleSize, columns: d)
        for (r, row) in order.prefix(sampleSize).enumerated() {
            for c in 0..<d { sample.values[r * d + c] = unit.values[row * d + c] }
        }
        var centroids = Array(sample.values.prefix(clusters * d))
        for _ in 0..<rounds {
            let assignment = assign(sample, centroids: centroids, clusters: clusters, options: options)
            var sums = [Float](repeating: 0, count: clusters * d)
            for (r, c) in assignment.enumerated() {
                for t in 0..<d { sums[Int(c) * d + t] += sample.values[r * d + t] }
            }
            for c in 0..<clusters {
                var norm: Float = 0
                for t in 0..<d { norm += sums[c * d + t] * sums[c * d + t] }
                guard norm > 0 else { continue }   // empty: keep the old centroid
                let scale = 1 / norm.squareRoot()
                for t in 0..<d { centroids[c * d + t] = sums[c * d + t] * scale }
            }
        }
        return centroids
    }

    /// The cluster of every row of `rows`: the centroid with the largest cosine (ties: lower index).
    static func assign(_ rows: DenseMatrix, centroids: [Float], clusters: Int, options: ParallelOptions) -> [Int32] {
        let block = CandidateBlock(unit: DenseMatrix(rows: clusters, columns: rows.columns, values: centroids),
                                   candidates: (0..<clusters).map(Int32.init))
        var result = [Int32](repeating: 0, count: rows.rows)
        result.withUnsafeMutableBufferPointer { buffer in
            let out = SendablePointer(buffer.baseAddress!)
            options.forEachRange(rows.rows) { range in
                block.search(queries: range.map(Int32.init), in: rows, count: 1, excludingSelf: false) { row, best in
                    out.base[row] = Int32(best.first?.index ?? 0)
                }
            }
        }
        return result
    }

    /// For every row, the `count` centroids with the largest cosines to it, best first (ties: lower index).
    static func nearestCentroids(of rows: DenseMatrix, centroids: [Float], clusters: Int, count: Int,
                                 options: ParallelOptions) -> [Int32] {
        let block = CandidateBlock(unit: DenseMatrix(rows: clusters, columns: rows.columns, values: centroids),
                                   candidates: (0..<clusters).map(Int32.init))
        var result = [Int32](repeating: 0, count: rows.rows * count)
        result.withUnsafeMutableBufferPointer { buffer in
            let out = SendablePointer(buffer.baseAddress!)
            options.forEachRange(rows.rows) { range in
                block.search(queries: range.map(Int32.init), in: rows, count: count, excludingSelf: false) { row, best in
                    for (k, entry) in best.enumerated() { out.base[row * count + k] = Int32(entry.index) }
                }
            }
        }
        return result
    }
}

/// A set of candidate rows transposed (`dimension` rows of `stride` floats) for block products with queries.
private struct CandidateBlock {
    let candidates: [Int32]
    let transposed: [Float]
    let stride: Int
    let unit: DenseMatrix

    init(unit: DenseMatrix, candidates: [Int32]) {
        let d = unit.columns
        self.unit = unit
        self.candidates = candidates
        let stride = max(16, (candidates.count + 15) / 16 * 16)
        self.stride = stride
        var t = [Float](repeating: 0, count: d * stride)
        unit.values.withUnsafeBufferPointer { values in
            for (j, row) in candidates.enumerated() {
                let base = Int(row) * d
                for c in 0..<d { t[c * stride + j] = values[base + c] }
            }
        }
        transposed = t
    }

    /// Offers every candidate (never the query itself when `excludingSelf`) to the selection of each of `queries`
    /// (rows of `source`), 32 queries per block product.
    func offer(to selections: inout [Int32: TopSelection], queries: [Int32], in source: DenseMatrix,
               excludingSelf: Bool = true) {
        let d = source.columns
        let chunk = 32
        var gathered = [Float](repeating: 0, count: chunk * d)
        var scores = [Float](repeating: 0, count: chunk * stride)
        var first = 0
        while first < queries.count {
            let rows = min(chunk, queries.count - first)
            source.values.withUnsafeBufferPointer { values in
                for r in 0..<rows {
                    let base = Int(queries[first + r]) * d
                    for c in 0..<d { gathered[r * d + c] = values[base + c] }
                }
            }
            gathered.withUnsafeBufferPointer { a in
                transposed.withUnsafeBufferPointer { t in
                    scores.withUnsafeMutableBufferPointer { out in
                        denseRowsProduct(a.baseAddress!, aStride: d, inner: d, times: t.baseAddress!, stride: stride,
                                         rows: rows, output: out.baseAddress!)
                    }
                }
            }
            scores.withUnsafeBufferPointer { s in
                candidates.withUnsafeBufferPointer { candidates in
                    for r in 0..<rows {
                        let query = queries[first + r]
                        let excluded = excludingSelf ? query : -1
                        let row = s.baseAddress! + r * stride
                        var selection = selections.removeValue(forKey: query)!   // uniquely held while offering
                        var threshold = selection.threshold ?? -.infinity
                        for j in 0..<candidates.count {
                            let score = row[j]
                            guard score >= threshold, candidates[j] != excluded else { continue }
                            selection.offer(score: score, index: Int(candidates[j]))
                            threshold = selection.threshold ?? -.infinity
                        }
                        selections[query] = selection
                    }
                }
            }
            first += rows
        }
    }

    /// Calls `body(query, best)` for each query row (of ``unit``) with its `count` best candidates (never itself).
    func search(queries: [Int32], count: Int, excludingSelf: Bool = true,
                _ body: (Int, [TopSelection.Entry]) -> Void) {
        Self.search([self], queries: queries, in: unit, count: count, excludingSelf: excludingSelf, body)
    }

    /// The same for rows of `source` (same dimension).
    func search(queries: [Int32], in source: DenseMatrix, count: Int, excludingSelf: Bool = true,
                _ body: (Int, [TopSelection.Entry]) -> Void) {
        Self.search([self], queries: queries, in: source, count: count, excludingSelf: excludingSelf, body)
    }

    /// Calls `body(query, best)` for each query row of `source` (distinct rows) with its `count` best candidates
    /// among all `blocks` (never itself when `excludingSelf`).
    static func search(_ blocks: [CandidateBlock], queries: [Int32], in source: DenseMatrix, count: Int,
                       excludingSelf: Bool = true, _ body: (Int, [TopSelection.Entry]) -> Void) {
        var selections: [Int32: TopSelection] = [:]
        for query in queries { selections[query] = TopSelection(capacity: count) }
        for block in blocks {
            block.offer(to: &selections, queries: queries, in: source, excludingSelf: excludingSelf)
        }
        for query in queries { body(Int(query), selections[query]!.sorted()) }
    }
}

extension NeighbourSearch {
    /// The `count` rows of `unit` with the largest cosines to the unit `key` (a new user's), best first (ties:
    /// lower index), using the saved neighbour table (`neighbours`, `width` per row, best first) instead of a scan
    /// of every row when there are more than `exactLimit` rows:
    ///
    /// 1. `sample` rows spread evenly through the matrix are compared with the key;
    /// 2. the rows listed as neighbours of the best `expand` rows found so far (not yet expanded) are compared too,
    ///    `rounds` times — a walk on the neighbour graph, since a near neighbour's near neighbours are near.
    ///
    /// At most `sample + rounds·expand·width` cosines (11,648 by default, against 162,500 users at 25 M ratings)
    /// instead of one per row; exact (every row compared) up to `exactLimit` rows.
    static func nearest(_ count: Int, toKey key: [Float], unit: DenseMatrix, neighbours: [Int32], width: Int,
                        exactLimit: Int = NeighbourSearch.exactLimit, sample: Int = 2_048,
                        expand: Int = 32, rounds: Int = 3) -> [TopSelection.Entry]? {
        let n = unit.rows
        guard n > exactLimit, width > 0, count > 0 else { return nil }
        // One flag per user (cheaper than hashing the ~11,000 users a walk compares).
        var compared = [Bool](repeating: false, count: n)
        var selection = TopSelection(capacity: count)
        func compare(_ rows: [Int32]) {
            let fresh = rows.filter { row in
                defer { compared[Int(row)] = true }
                return !compared[Int(row)]
            }
            let cosines = gatheredDots(key, rowsOf: unit, at: fresh)
            for (row, cosine) in zip(fresh, cosines) { selection.offer(score: cosine, index: Int(row)) }
        }
        compare((0..<min(sample, n)).map { Int32($0 * n / min(sample, n)) })
        var expanded = Set<Int>()
        for _ in 0..<rounds {
            let next = selection.sorted().map(\.index).filter { !expanded.contains($0) }.prefix(expand)
            var rows: [Int32] = []
            for row in next {
                expanded.insert(row)
                rows += neighbours[(row * width)..<((row + 1) * width)]
            }
            compare(rows)
        }
        return selection.sorted()
    }
}
