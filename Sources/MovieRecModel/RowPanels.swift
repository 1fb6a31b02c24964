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
    /// True when rows are stored by descending norm (`order` is not the identity).
    let isSortedByNorm: Bool

    /// Copies `matrix` into the panel layout, rows in their order or (`sortedByNorm`) by descending
    /// norm, ties by row index.
    init(_ matrix: DenseMatrix, sortedByNorm: Bool = false) {
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
        self.order = order
        self.panelNorms = panelNorms
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
