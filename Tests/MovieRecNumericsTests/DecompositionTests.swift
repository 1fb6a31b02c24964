import Testing
import MovieRecNumerics

@Suite("QR, symmetric eigen and dense SVD")
struct DecompositionTests {
    @Test("thin QR: QᵀQ = I, Q·R = A, R upper triangular", arguments: [(1, 1), (10, 3), (50, 17), (33, 33)])
    func qr(shape: (Int, Int)) {
        let a = Fixtures.randomDense(rows: shape.0, columns: shape.1, seed: 21)
        let (q, r) = thinQR(a)
        #expect(Fixtures.orthonormalityError(q) < 1e-5)
        #expect(Fixtures.maxDifference(a.values, Fixtures.referenceProduct(q, r)) < 1e-5)
        for i in 0..<r.rows { for j in 0..<i { #expect(r[i, j] == 0) } }
        for i in 0..<r.rows { #expect(r[i, i] >= 0) }
    }

    @Test("symmetric eigen of a 3×3 matrix with known spectrum 4, 2, 1")
    func eigenKnown() {
        // A = [[3,1,0],[1,3,0],[0,0,1]]: eigenvalues 4 (v=(1,1,0)/√2), 2 (v=(1,−1,0)/√2), 1 (v=e₃).
        let (values, vectors) = symmetricEigen([3, 1, 0, 1, 3, 0, 0, 0, 1], n: 3)
        #expect(zip(values, [4.0, 2.0, 1.0]).allSatisfy { abs($0 - $1) < 1e-12 })
        let s = 0.5.squareRoot()
        let v0 = [vectors[0], vectors[3], vectors[6]]
        #expect(zip(v0, [s, s, 0]).allSatisfy { abs($0 - $1) < 1e-12 })
        #expect(abs(abs(vectors[1]) - s) < 1e-12 && abs(vectors[1] + vectors[4]) < 1e-12)
        #expect(abs(vectors[8] - 1) < 1e-12)
    }

    @Test("symmetric eigen reconstructs a random symmetric matrix")
    func eigenReconstruction() {
        let n = 20
        let b = Fixtures.randomDense(rows: n, columns: n, seed: 31)
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { a[i * n + j] = Double(b[i, j]) + Double(b[j, i]) } }
        let (values, vectors) = symmetricEigen(a, n: n)
        #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 })
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for t in 0..<n { s += vectors[i * n + t] * values[t] * vectors[j * n + t] }
                #expect(abs(s - a[i * n + j]) < 1e-10)
            }
        }
    }

    @Test("symmetric eigen of a 150×150 matrix with a known spectrum (including a repeated value)")
    func eigenLarge() {
        // A = Q·diag(λ)·Qᵀ for an orthonormal Q: λ = 150, 149, …, with 40 repeated.
        let n = 150
        let q = thinQR(Fixtures.randomDense(rows: n, columns: n, seed: 33)).q
        let lambda = (0..<n).map { $0 == 111 ? 40.0 : Double(n - $0) }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for t in 0..<n { s += Double(q[i, t]) * lambda[t] * Double(q[j, t]) }
                a[i * n + j] = s
            }
        }
        let (values, vectors) = symmetricEigen(a, n: n)
        // Q is orthonormal to Float precision only, so the spectrum of A is λ to about 10⁻⁷·150.
        let expected = lambda.sorted(by: >)
        for (x, e) in zip(values, expected) { #expect(abs(x - e) < 1e-4) }
        // Orthonormal eigenvectors with A·v = λ·v.
        for j in stride(from: 0, to: n, by: 13) {
            for k in stride(from: j, to: n, by: 17) {
                var dot = 0.0
                for i in 0..<n { dot += vectors[i * n + j] * vectors[i * n + k] }
                #expect(abs(dot - (j == k ? 1 : 0)) < 1e-10)
            }
            for i in stride(from: 0, to: n, by: 11) {
                var av = 0.0
                for t in 0..<n { av += a[i * n + t] * vectors[t * n + j] }
                #expect(abs(av - values[j] * vectors[i * n + j]) < 1e-9 * 150)
            }
        }
    }

    @Test("worked example: singular values, first right vector and user latent vectors")
    func workedExample() {
        let svd = denseSVD(Fixtures.workedExample)
        let expected: [Float] = [12.4810, 9.5086, 1.3456, 0, 0]
        #expect(svd.singularValues.count == 5)
        for (s, e) in zip(svd.singularValues, expected) { #expect(abs(s - e) < 1e-4) }
        let v1 = (0..<5).map { svd.v[$0, 0] }
        for (x, e) in zip(v1, [0.56, 0.59, 0.56, 0.09, 0.09] as [Float]) { #expect(abs(x - e) < 0.006) }
        let v2 = (0..<5).map { svd.v[$0, 1] }
        let sign: Float = v2[3] < 0 ? 1 : -1   // expected ≈ ±(0.13, −0.03, 0.13, −0.70, −0.70)
        for (x, e) in zip(v2, [0.13, -0.03, 0.13, -0.70, -0.70] as [Float]) { #expect(abs(sign * x - e) < 0.006) }
        // U_k·S_k up to sign per column.
        let latent: [(Float, Float)] = [(1.7174, 0.2245), (5.1521, 0.6735), (6.8695, 0.8980), (8.5869, 1.1226),
                                        (1.9068, -5.6206), (0.9013, -6.9538), (0.9534, -2.8103)]
        let s0: Float = svd.u[0, 0] < 0 ? -1 : 1
        let s1: Float = svd.u[5, 1] < 0 ? 1 : -1
        for (i, (x, y)) in latent.enumerated() {
            #expect(abs(s0 * svd.u[i, 0] * svd.singularValues[0] - x) < 2e-4)
            #expect(abs(s1 * svd.u[i, 1] * svd.singularValues[1] - y) < 2e-4)
        }
        #expect(Fixtures.orthonormalityError(svd.u) < 1e-5)
        #expect(Fixtures.orthonormalityError(svd.v) < 1e-5)
        #expect(Fixtures.reconstructionError(Fixtures.workedExample, svd) < 1e-4)
    }

    @Test("dense SVD of tall and wide random matrices reconstructs them with orthonormal factors",
          arguments: [(30, 8), (8, 30), (1, 5), (12, 12)])
    func denseShapes(shape: (Int, Int)) {
        let a = Fixtures.randomDense(rows: shape.0, columns: shape.1, seed: 41)
        let svd = denseSVD(a)
        let k = min(shape.0, shape.1)
        #expect(svd.u.rows == shape.0 && svd.u.columns == k && svd.v.rows == shape.1 && svd.v.columns == k)
        #expect(zip(svd.singularValues, svd.singularValues.dropFirst()).allSatisfy { $0 >= $1 })
        #expect(Fixtures.orthonormalityError(svd.u) < 1e-5)
        #expect(Fixtures.orthonormalityError(svd.v) < 1e-5)
        #expect(Fixtures.reconstructionError(a, svd) < 1e-4)
        // Sign convention: the largest-|·| entry of every v column is positive.
        for j in 0..<k {
            let column = (0..<svd.v.rows).map { svd.v[$0, j] }
            #expect(column.max()! >= -column.min()!)
        }
    }
}
