import Testing
@testable import MovieRecNumerics

/// The exact path for a rank that reaches the smaller dimension (issue 12: `train --rank 610` on 610 users):
/// the Gram-matrix eigen-decomposition against one-sided Jacobi (``denseSVD(_:)``, the reference).
@Suite("Truncated SVD at full rank: Gram-matrix path")
struct GramSVDTests {
    /// Largest |(XᵀX − I)ᵢⱼ| of the columns of `x`.
    static func orthonormalityError(_ x: DenseMatrix) -> Double {
        var worst = 0.0
        for i in 0..<x.columns {
            for j in i..<x.columns {
                var dot = 0.0
                for r in 0..<x.rows { dot += Double(x[r, i]) * Double(x[r, j]) }
                worst = max(worst, abs(dot - (i == j ? 1 : 0)))
            }
        }
        return worst
    }

    @Test("wide and tall matrices at rank = smaller dimension: σ, U, V as Jacobi's; orthonormal; exact reconstruction",
          arguments: [(80, 300), (300, 90)])
    func fullRank(shape: (Int, Int)) throws {
        let a = try Fixtures.randomSparse(rows: shape.0, columns: shape.1, density: 0.15, seed: 31)
        let rank = min(shape.0, shape.1)
        #expect(rank > TruncatedSVD.jacobiLimit)     // the Gram path, not Jacobi
        let svd = try TruncatedSVD(rank: rank).decompose(a)
        let reference = denseSVD(a.toDense())
        #expect(svd.u.rows == shape.0 && svd.v.rows == shape.1 && svd.singularValues.count == rank)
        for j in 0..<rank {
            #expect(abs(svd.singularValues[j] - reference.singularValues[j]) <= 1e-4 * reference.singularValues[0])
        }
        #expect(Self.orthonormalityError(svd.u) < 1e-3)
        #expect(Self.orthonormalityError(svd.v) < 1e-3)
        #expect(Fixtures.reconstructionError(a.toDense(), svd) <= 1e-4 * Double(reference.singularValues[0]))
        // The leading vectors agree with Jacobi's up to the shared sign convention.
        for j in 0..<5 {
            var dot = 0.0
            for i in 0..<shape.1 { dot += Double(svd.v[i, j]) * Double(reference.v[i, j]) }
            #expect(abs(dot - 1) < 1e-3)
        }
        // Rank just below the smaller dimension takes the randomized path; the leading values agree.
        let below = try TruncatedSVD(rank: rank - 1, powerIterations: 6).decompose(a)
        #expect(abs(below.singularValues[0] - svd.singularValues[0]) <= 1e-4 * svd.singularValues[0])
    }

    @Test("rank-deficient (empty rows and columns): zero singular values, completed orthonormal vectors")
    func rankDeficient() throws {
        let a = try Fixtures.randomSparse(rows: 70, columns: 120, density: 0.2, seed: 5,
                                          emptyRows: [0, 9, 33], emptyColumns: [4])
        let svd = try TruncatedSVD(rank: 70).decompose(a)
        let reference = denseSVD(a.toDense())
        for j in 0..<67 {
            #expect(abs(svd.singularValues[j] - reference.singularValues[j]) <= 1e-4 * reference.singularValues[0])
        }
        for j in 67..<70 { #expect(svd.singularValues[j] == 0) }
        #expect(Self.orthonormalityError(svd.u) < 1e-3)
        #expect(Self.orthonormalityError(svd.v) < 1e-3)
        #expect(Fixtures.reconstructionError(a.toDense(), svd) <= 1e-4 * Double(reference.singularValues[0]))
        let noLeft = try TruncatedSVD(rank: 70).decompose(a, leftVectors: false)
        #expect(noLeft.u.rows == 0 && noLeft.v == svd.v)
    }
}
