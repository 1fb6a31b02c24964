import MovieRecNumerics

/// A row-major matrix whose rows are zero-padded to a multiple of 16 floats, for one-pass SIMD
/// matrix–vector products (`scores[r] = row r · x`) without scalar tails.
struct PaddedRows: Sendable {
    /// Number of rows.
    let rows: Int
    /// Logical row length.
    let columns: Int
    /// Row stride (`columns` rounded up to a multiple of 16).
    let stride: Int
    /// `rows × stride` values; the padding is 0.
    let values: [Float]

    /// Copies `matrix` into the padded layout.
    init(_ matrix: DenseMatrix) {
        rows = matrix.rows
        columns = matrix.columns
        stride = (matrix.columns + 15) & ~15
        var padded = [Float](repeating: 0, count: rows * stride)
        for r in 0..<rows {
            for c in 0..<columns { padded[r * stride + c] = matrix.values[r * columns + c] }
        }
        values = padded
    }

    /// `y[r] = Σ_c A[r, c]·x[c]` for every row (`x.count == columns`), with `SIMD16<Float>` steps.
    /// The summation order depends only on the shape, so results are deterministic.
    func multiplied(by x: [Float]) -> [Float] {
        precondition(x.count == columns, "PaddedRows: \(rows)×\(columns) · vector of \(x.count)")
        var query = [Float](repeating: 0, count: stride)
        for c in 0..<columns { query[c] = x[c] }
        var y = [Float](repeating: 0, count: rows)
        let blocks = stride / 16
        values.withUnsafeBytes { a in
            query.withUnsafeBytes { q in
                y.withUnsafeMutableBufferPointer { out in
                    var rowOffset = 0
                    let rowBytes = stride &* 4
                    for r in 0..<rows {
                        var accumulator = SIMD16<Float>()
                        var b = 0
                        while b < blocks {
                            let offset = b &* 64
                            accumulator = accumulator
                                + a.loadUnaligned(fromByteOffset: rowOffset &+ offset, as: SIMD16<Float>.self)
                                * q.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
                            b &+= 1
                        }
                        out[r] = accumulator.sum()
                        rowOffset &+= rowBytes
                    }
                }
            }
        }
        return y
    }
}
