import MovieRecNumerics

/// A row-major matrix stored as panels of 16 rows, column-major inside a panel, for matrix–vector
/// products that score 16 rows per `SIMD16<Float>` step with no horizontal sums:
/// `values[(p·columns + c)·16 + l] = A[16p + l, c]` (rows past the end are zero).
///
/// Every score is `y[r] = Σ_c A[r, c]·x[c]` summed in column order `c = 0, 1, …`, one lane per row,
/// so it is bit-identical whether one query or a block of queries is scored
/// (``multiplied(by:)``, ``scorePanel(_:queries:)``) and for any thread count.
struct RowPanels: Sendable {
    /// Number of rows.
    let rows: Int
    /// Row length.
    let columns: Int
    /// `⌈rows / 16⌉`.
    let panelCount: Int
    /// `panelCount × columns × 16` values.
    let values: [Float]

    /// Copies `matrix` into the panel layout.
    init(_ matrix: DenseMatrix) {
        rows = matrix.rows
        columns = matrix.columns
        panelCount = (rows + 15) / 16
        var panels = [Float](repeating: 0, count: panelCount * columns * 16)
        for r in 0..<rows {
            let (p, l) = r.quotientAndRemainder(dividingBy: 16)
            for c in 0..<columns { panels[(p * columns + c) * 16 + l] = matrix.values[r * columns + c] }
        }
        values = panels
    }

    /// Matrices with at least this many values are multiplied by a vector on several workers.
    static let parallelThreshold = 1 << 20

    /// `y[r] = Σ_c A[r, c]·x[c]` for every row (`x.count == columns`); large matrices are split by
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
        return y
    }

    /// The scores of panel `p` (rows `16p ..< 16p + 16`) for up to four queries at once: element `j` of
    /// the result holds query `j`'s scores (zeros for `j ≥ queries.count`).
    @inline(__always)
    func scorePanel(_ p: Int, queries: QueryBlock) -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        var (s0, s1, s2, s3) = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
        values.withUnsafeBytes { raw in
            let panel = raw.baseAddress! + p &* columns &* 64
            let q = queries.base
            let stride = queries.stride
            switch queries.count {
            case 4:
                for c in 0..<columns {
                    let a = panel.loadUnaligned(fromByteOffset: c &* 64, as: SIMD16<Float>.self)
                    s0 = s0 + a * SIMD16(repeating: q[c])
                    s1 = s1 + a * SIMD16(repeating: q[stride &+ c])
                    s2 = s2 + a * SIMD16(repeating: q[2 &* stride &+ c])
                    s3 = s3 + a * SIMD16(repeating: q[3 &* stride &+ c])
                }
            default:
                for j in 0..<queries.count {
                    var s = SIMD16<Float>()
                    let row = q + j &* stride
                    for c in 0..<columns {
                        s = s + panel.loadUnaligned(fromByteOffset: c &* 64, as: SIMD16<Float>.self)
                            * SIMD16(repeating: row[c])
                    }
                    switch j {
                    case 0: s0 = s
                    case 1: s1 = s
                    default: s2 = s
                    }
                }
            }
        }
        return (s0, s1, s2, s3)
    }
}

/// Up to four query vectors of one length, `count` rows `stride` apart starting at `base`.
struct QueryBlock {
    /// The first query.
    let base: UnsafePointer<Float>
    /// Distance between consecutive queries, in floats.
    let stride: Int
    /// Number of queries, 1…4.
    let count: Int
}
