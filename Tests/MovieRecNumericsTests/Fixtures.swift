import MovieRecNumerics

/// Seeded random inputs and straightforward reference implementations the fast code is checked against.
enum Fixtures {
    /// A `rows × columns` matrix with entries uniform in [−1, 1).
    static func randomDense(rows: Int, columns: Int, seed: UInt64) -> DenseMatrix {
        var generator = SeededGenerator(seed: seed)
        return DenseMatrix(rows: rows, columns: columns,
                           values: (0..<(rows * columns)).map { _ in Float(generator.nextUniform() * 2 - 1) })
    }

    /// A sparse matrix where each entry is stored with probability `density`; `emptyRows`/`emptyColumns`
    /// are forced to hold nothing.
    static func randomSparse(rows: Int, columns: Int, density: Double, seed: UInt64,
                             emptyRows: Set<Int> = [], emptyColumns: Set<Int> = []) throws -> CSRMatrix {
        var generator = SeededGenerator(seed: seed)
        var r = [Int32](), c = [Int32](), v = [Float]()
        for i in 0..<rows {
            for j in 0..<columns where generator.nextUniform() < density {
                if emptyRows.contains(i) || emptyColumns.contains(j) { continue }
                r.append(Int32(i)); c.append(Int32(j)); v.append(Float(generator.nextUniform() * 4 + 0.5))
            }
        }
        return try CSRMatrix(rows: rows, columns: columns, rowIndices: r, columnIndices: c, values: v)
    }

    /// `A·B` by the textbook triple loop in `Double`.
    static func referenceProduct(_ a: DenseMatrix, _ b: DenseMatrix) -> [Double] {
        var out = [Double](repeating: 0, count: a.rows * b.columns)
        for i in 0..<a.rows {
            for l in 0..<a.columns {
                for j in 0..<b.columns { out[i * b.columns + j] += Double(a[i, l]) * Double(b[l, j]) }
            }
        }
        return out
    }

    /// Largest |x − y| over two equally long sequences.
    static func maxDifference(_ x: [Float], _ y: [Double]) -> Double {
        zip(x, y).map { abs(Double($0) - $1) }.max() ?? 0
    }

    /// Largest |(MᵀM)ᵢⱼ − δᵢⱼ|: how far the columns of `m` are from orthonormal.
    static func orthonormalityError(_ m: DenseMatrix) -> Double {
        var worst = 0.0
        for i in 0..<m.columns {
            for j in 0..<m.columns {
                var s = 0.0
                for r in 0..<m.rows { s += Double(m[r, i]) * Double(m[r, j]) }
                worst = max(worst, abs(s - (i == j ? 1 : 0)))
            }
        }
        return worst
    }

    /// Frobenius norm of `A − U·diag(σ)·Vᵀ`.
    static func reconstructionError(_ a: DenseMatrix, _ svd: TruncatedSVDResult) -> Double {
        var total = 0.0
        for i in 0..<a.rows {
            for j in 0..<a.columns {
                var s = 0.0
                for t in 0..<svd.singularValues.count {
                    s += Double(svd.u[i, t]) * Double(svd.singularValues[t]) * Double(svd.v[j, t])
                }
                total += (Double(a[i, j]) - s) * (Double(a[i, j]) - s)
            }
        }
        return total.squareRoot()
    }

    /// The matrix of the worked example, section 1 (7 users × 5 films).
    static let workedExample = DenseMatrix(rows: 7, columns: 5, values: [
        1, 1, 1, 0, 0,
        3, 3, 3, 0, 0,
        4, 4, 4, 0, 0,
        5, 5, 5, 0, 0,
        0, 2, 0, 4, 4,
        0, 0, 0, 5, 5,
        0, 1, 0, 2, 2,
    ])

    /// The worked example as a sparse matrix.
    static func workedExampleSparse() throws -> CSRMatrix {
        var r = [Int32](), c = [Int32](), v = [Float]()
        for i in 0..<7 { for j in 0..<5 where workedExample[i, j] != 0 {
            r.append(Int32(i)); c.append(Int32(j)); v.append(workedExample[i, j])
        } }
        return try CSRMatrix(rows: 7, columns: 5, rowIndices: r, columnIndices: c, values: v)
    }
}
