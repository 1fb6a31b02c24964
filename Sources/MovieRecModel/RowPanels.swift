import MovieRecNumerics

/// A row-major matrix stored as panels of 16 rows, column-major inside a panel, for matrix–vector
/// products that score 16 rows per `SIMD16<Float>` step with no horizontal sums:
/// `values[(p·columns + c)·16 + l] = A[order[16p + l], c]` (slots past the end are zero), where `order`
/// is the identity or, with `sortedByNorm`, the rows by descending Euclidean norm — then
/// `panelNorms[p]`, the largest row norm of panel p, bounds every score of the panel and of all later
/// panels by Cauchy–Schwarz (`|A[r]·x| ≤ ‖A[r]‖·‖x‖`), which lets a top-N search stop early.
///
/// Every score is `y[r] = Σ_c A[r, c]·x[c]` summed in column order `c = 0, 1, …`, one lane per row,
/// so it is bit-identical whether one query or a block of queries is scored, wherever the row sits
/// (``multiplied(by:options:)``, ``scorePanel(_:queries:)``), and for any thread count.
struct RowPanels: Sendable {
    /// Number of rows.
    let rows: Int
    /// Row length.
    let columns: Int
    /// `⌈rows / 16⌉`.
    let panelCount: Int
    /// `panelCount × columns × 16` values.
    let values: [Float]
    /// The row stored in slot `16p + l` (`rows` entries).
    let order: [Int32]
    /// The largest row norm of each panel (descending when sorted by norm).
    let panelNorms: [Float]
    /// The Euclidean norm of each row, by row index.
    let rowNorms: [Float]
    /// True when rows are stored by descending norm (`order` is not the identity).
    let isSortedByNorm: Bool
    /// ``values`` rounded to binary16, same layout (empty unless asked for): half the bytes for a first pass
    /// of ``best(_:for:excluding:options:)``.
    let halfValues: [UInt16]

    /// Copies `matrix` into the panel layout, rows in their order or (`sortedByNorm`) by descending
    /// norm, ties by row index; with `halfCopy` also keeps ``halfValues``.
    init(_ matrix: DenseMatrix, sortedByNorm: Bool = false, halfCopy: Bool = false) {
        rows = matrix.rows
        columns = matrix.columns
        panelCount = (rows + 15) / 16
        let norms = (0..<rows).map { r in matrix.withRow(r) { dot($0, $0).squareRoot() } }
        var order = (0..<rows).map { Int32($0) }
        if sortedByNorm { order.sort { (norms[Int($0)], $1) > (norms[Int($1)], $0) } }
        var panels = [Float](repeating: 0, count: panelCount * columns * 16)
        var panelNorms = [Float](repeating: 0, count: panelCount)
        for (slot, row) in order.enumerated() {
            let (p, l) = slot.quotientAndRemainder(dividingBy: 16)
            for c in 0..<columns { panels[(p * columns + c) * 16 + l] = matrix.values[Int(row) * columns + c] }
            panelNorms[p] = max(panelNorms[p], norms[Int(row)])
        }
        values = panels
        halfValues = halfCopy ? halfPrecisionBits(panels) : []
        self.order = order
        self.panelNorms = panelNorms
        rowNorms = norms
        isSortedByNorm = sortedByNorm
    }

    /// Matrices with at least this many values are multiplied by a vector on several workers.
    static let parallelThreshold = 1 << 20

    /// `y[r] = Σ_c A[r, c]·x[c]` for every row r, in row order (`x.count == columns`); large matrices are split by
    /// panels over `options.threadCount` workers (each score is computed the same way either way).
    func multiplied(by x: [Float], options: ParallelOptions = .default) -> [Float] {
        precondition(x.count == columns, "RowPanels: \(rows)×\(columns) · vector of \(x.count)")
        var y = [Float](repeating: 0, count: panelCount * 16)
        let workers = values.count >= Self.parallelThreshold ? options : .serial
        x.withUnsafeBufferPointer { query in
            y.withUnsafeMutableBufferPointer { buffer in
                let out = SendablePointer(buffer.baseAddress!)
                let block = QueryBlock(base: query.baseAddress!, stride: columns, count: 1)
                workers.forEachRange(panelCount) { panels in
                    for p in panels {
                        UnsafeMutableRawPointer(out.base + p * 16).storeBytes(of: scorePanel(p, queries: block).0,
                                                                              as: SIMD16<Float>.self)
                    }
                }
            }
        }
        y.removeLast(y.count - rows)
        guard isSortedByNorm else { return y }
        var original = [Float](repeating: 0, count: rows)
        for (slot, row) in order.enumerated() { original[Int(row)] = y[slot] }
        return original
    }

    /// The `count` rows with the highest `Σ_c A[r, c]·x[c]` (ties to the lower row), never `excluded`, best first:
    /// exactly what offering every score of ``multiplied(by:options:)`` to a ``TopSelection`` gives.
    func best(_ count: Int, for x: [Float], excluding excluded: Int?, options: ParallelOptions = .default)
        -> [TopSelection.Entry] {
        best(count, for: x, scaledBy: nil, excluding: excluded, options: options).map(\.entry)
    }

    /// The `count` rows with the highest `scales[r]·(Σ_c A[r, c]·x[c])` (`scales` by row index, each in [0, 1]; nil:
    /// 1), ties to the lower row, never `excluded`, best first, each with its unscaled score: exactly what offering
    /// every score of ``multiplied(by:options:)`` times its scale to a ``TopSelection`` gives, in one pass over the
    /// rows.
    ///
    /// With ``halfValues`` the rows are first scored from the binary16 copy (half the bytes read), whose error
    /// is at most `bound` (see `halfPanelScores`; a scale in [0, 1] cannot enlarge it); only rows within `2·bound`
    /// of the `count`-th best first-pass score can be among the best, and those are scored again in full precision,
    /// as ``multiplied(by:options:)`` scores them.
    func best(_ count: Int, for x: [Float], scaledBy scales: [Float]?, excluding excluded: Int?,
              options: ParallelOptions = .default) -> [(entry: TopSelection.Entry, unscaled: Float)] {
        precondition(x.count == columns, "RowPanels: \(rows)×\(columns) · vector of \(x.count)")
        precondition(scales.map { $0.count == rows } ?? true, "RowPanels: one scale per row")
        assert(scales.map { $0.allSatisfy { $0 >= 0 && $0 <= 1 } } ?? true, "RowPanels: scales in [0, 1]")
        guard !halfValues.isEmpty, count > 0 else {
            var selection = TopSelection(capacity: count)
            let all = multiplied(by: x, options: options)
            for (row, score) in all.enumerated() where row != excluded {
                selection.offer(score: scales.map { score * $0[row] } ?? score, index: row)
            }
            return selection.sorted().map { ($0, all[$0.index]) }
        }
        var first = [Float](repeating: 0, count: panelCount * 16)
        let workers = halfValues.count >= Self.parallelThreshold ? options : .serial
        x.withUnsafeBufferPointer { query in
            halfValues.withUnsafeBufferPointer { half in
                first.withUnsafeMutableBufferPointer { buffer in
                    let out = SendablePointer(buffer.baseAddress!)
                    let (q, panels) = (SharedQuery(base: query.baseAddress!), SharedHalves(base: half.baseAddress!))
                    workers.forEachRange(panelCount) { range in
                        halfPanelScores(panels.base, columns: columns, panelRange: range, query: q.base, output: out.base)
                    }
                }
            }
        }
        var rough = TopSelection(capacity: count)
        first.withUnsafeMutableBufferPointer { first in
            order.withUnsafeBufferPointer { order in
                // Slots come in increasing order, so once the selection is full a score not above its threshold cannot
                // enter (ties: lower slot).
                var cut: Float?
                func offer(_ slot: Int) {
                    if let cut, !(first[slot] > cut) { return }
                    guard Int(order[slot]) != excluded else { return }
                    rough.offer(score: first[slot], index: slot)
                    cut = rough.threshold
                }
                if let scales {
                    scales.withUnsafeBufferPointer { scales in
                        for slot in 0..<rows {
                            first[slot] *= scales[Int(order[slot])]
                            offer(slot)
                        }
                    }
                } else {
                    for slot in 0..<rows { offer(slot) }
                }
            }
        }
        // |first − exact| ≤ (2⁻¹¹ + columns·2⁻²³)·‖x‖·‖row‖ + underflow; doubled for margin.
        let xNorm = x.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        let bound = (0x1p-10 + Float(columns) * 0x1p-22) * xNorm * (panelNorms.max() ?? 0) + 1e-6
        let floor = rough.threshold.map { $0 - 2 * bound } ?? -.infinity
        var selection = TopSelection(capacity: count)
        var unscaled: [(row: Int, score: Float)] = []
        x.withUnsafeBufferPointer { query in
            let block = QueryBlock(base: query.baseAddress!, stride: columns, count: 1)
            var scored = -1
            var scores = SIMD16<Float>()
            let candidates = first.withUnsafeBufferPointer { first in
                (0..<rows).filter { first[$0] >= floor || first[$0].isNaN }
            }
            for slot in candidates {
                let row = Int(order[slot])
                guard row != excluded else { continue }
                let (p, lane) = slot.quotientAndRemainder(dividingBy: 16)
                if p != scored {
                    scores = scorePanel(p, queries: block).0
                    scored = p
                }
                if scales != nil { unscaled.append((row, scores[lane])) }
                selection.offer(score: scales.map { scores[lane] * $0[row] } ?? scores[lane], index: row)
            }
        }
        return selection.sorted().map { entry in
            (entry, scales == nil ? entry.score : unscaled.first { $0.row == entry.index }!.score)
        }
    }

    /// The scores of panel `p` (rows `16p ..< 16p + 16`) for one or two queries: element `j` of the result
    /// holds query `j`'s scores (zeros for `j ≥ queries.count`), each from ``weightedRowSum``.
    @inline(__always)
    func scorePanel(_ p: Int, queries: QueryBlock) -> (SIMD16<Float>, SIMD16<Float>) {
        var scores = (SIMD16<Float>(), SIMD16<Float>())
        values.withUnsafeBufferPointer { panels in
            let panel = panels.baseAddress! + p &* columns &* 16
            withUnsafeMutableBytes(of: &scores) { raw in
                let out = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                for j in 0..<queries.count {
                    weightedRowSum(coefficients: queries.base + j &* queries.stride, count: columns, rows: panel,
                                   stride: 16, output: out + j &* 16)
                }
            }
        }
        return scores
    }
}

/// One or two query vectors of one length, `count` rows `stride` apart starting at `base`.
struct QueryBlock {
    /// The first query.
    let base: UnsafePointer<Float>
    /// Distance between consecutive queries, in floats.
    let stride: Int
    /// Number of queries, 1 or 2.
    let count: Int
}

/// A query pointer shared with the workers.
private struct SharedQuery: @unchecked Sendable {
    let base: UnsafePointer<Float>
}

/// A pointer to binary16 panels shared with the workers.
private struct SharedHalves: @unchecked Sendable {
    let base: UnsafePointer<UInt16>
}
