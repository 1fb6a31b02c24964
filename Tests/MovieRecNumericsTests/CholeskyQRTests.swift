import Foundation
import Testing
@testable import MovieRecNumerics

@Suite("Shifted Cholesky QR used inside the randomized SVD")
struct CholeskyQRTests {
    /// Columns scaled from 1 down to 10^−decades: an ill-conditioned tall matrix.
    static func graded(rows: Int, columns: Int, decades: Double) -> DenseMatrix {
        var y = Fixtures.randomDense(rows: rows, columns: columns, seed: 77)
        for i in 0..<rows { for j in 0..<columns { y[i, j] *= Float(pow(10, -decades * Double(j) / Double(columns - 1))) } }
        return y
    }

    /// Largest |(I − QQᵀ)·y| over the columns of `y`, relative to the largest column norm of `y`.
    static func outsideSpan(_ q: DenseMatrix, _ y: DenseMatrix) -> Double {
        var worst = 0.0, scale = 0.0
        for j in 0..<y.columns {
            var residual = (0..<y.rows).map { Double(y[$0, j]) }
            scale = max(scale, residual.map { $0 * $0 }.reduce(0, +).squareRoot())
            for t in 0..<q.columns {
                var p = 0.0
                for i in 0..<y.rows { p += Double(q[i, t]) * residual[i] }
                for i in 0..<y.rows { residual[i] -= p * Double(q[i, t]) }
            }
            worst = max(worst, residual.map { $0 * $0 }.reduce(0, +).squareRoot())
        }
        return worst / scale
    }

    @Test("three passes give orthonormal columns spanning the input, even when ill-conditioned")
    func graded() {
        let y = Self.graded(rows: 700, columns: 20, decades: 4)
        var q = y
        choleskyOrthonormalize(&q, passes: 3, options: .serial)
        #expect(Fixtures.orthonormalityError(q) < 1e-5)
        #expect(Self.outsideSpan(q, y) < 1e-5)
    }

    @Test("one pass on a moderately conditioned basis (as between power iterations) is nearly orthonormal")
    func onePass() {
        let y = Self.graded(rows: 700, columns: 20, decades: 2)
        var q = y
        choleskyOrthonormalize(&q, passes: 1, options: .serial)
        // Y·R⁻¹ is formed in single precision: its error is about ε_float·cond(Y) ≈ 6·10⁻⁸·10² per entry.
        #expect(Self.outsideSpan(q, y) < 1e-4)
        #expect(Fixtures.orthonormalityError(q) < 1e-2)
    }

    @Test("R⁻¹ from the Cholesky factor satisfies Rᵀ·R = G")
    func choleskyInverse() throws {
        let g: [Double] = [4, 2, 2, 5]            // R = [[2, 1], [0, 2]], R⁻¹ = [[0.5, −0.25], [0, 0.5]]
        let inverse = try #require(upperCholeskyInverse(g, n: 2, shift: 0))
        #expect(inverse == [0.5, -0.25, 0, 0.5])
        #expect(upperCholeskyInverse([1, 2, 2, 1], n: 2, shift: 0) == nil)   // indefinite
    }

    @Test("the triangular and symmetric shortcuts give exactly the general results", arguments: [5, 16, 17, 40, 74])
    func shortcuts(width: Int) {
        let y = Fixtures.randomDense(rows: 530, columns: width, seed: UInt64(width))
        #expect(y.transposeMultipliedInDouble(by: y, gramOfSelf: true) == y.transposeMultipliedInDouble(by: y))
        var upper = Fixtures.randomDense(rows: width, columns: width, seed: 3)
        for i in 0..<width { for j in 0..<i { upper[i, j] = 0 } }
        #expect(y.multiplied(by: upper, options: .serial, otherIsUpperTriangular: true) == y.multiplied(by: upper))
    }
}
