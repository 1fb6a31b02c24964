import Testing
@testable import MovieRecNumerics

@Suite("Randomized truncated SVD against the dense Double reference")
struct TruncatedSVDTests {
    /// `L·R + noise`: a rank-`trueRank` product with decaying scales plus uniform noise of size `noise`,
    /// stored in CSR; `density < 1` drops entries at random (making the matrix genuinely sparse).
    static func lowRankPlusNoise(rows: Int, columns: Int, trueRank: Int, noise: Float, density: Double,
                                 seed: UInt64) throws -> CSRMatrix {
        var g = SeededGenerator(seed: seed)
        let l = (0..<(rows * trueRank)).map { _ in Float(g.nextGaussian()) }
        let r = (0..<(trueRank * columns)).map { _ in Float(g.nextGaussian()) }
        var ri = [Int32](), ci = [Int32](), v = [Float]()
        for i in 0..<rows {
            for j in 0..<columns where g.nextUniform() < density {
                var x: Float = 0
                for t in 0..<trueRank { x += l[i * trueRank + t] * r[t * columns + j] * Float(10 - t) }
                ri.append(Int32(i)); ci.append(Int32(j)); v.append(x + noise * Float(g.nextUniform() * 2 - 1))
            }
        }
        return try CSRMatrix(rows: rows, columns: columns, rowIndices: ri, columnIndices: ci, values: v)
    }

    static let cases: [(rows: Int, columns: Int, trueRank: Int, rank: Int, density: Double)] = [
        (300, 60, 6, 5, 1.0),     // tall
        (50, 257, 8, 8, 1.0),     // wide
        (400, 150, 7, 4, 0.3),    // sparse: a masked low-rank matrix
        (120, 90, 5, 12, 1.0),    // rank above the true rank: trailing values are noise
    ]

    @Test("singular values, reconstruction, orthonormality", arguments: cases.indices)
    func matchesDense(index: Int) throws {
        let c = Self.cases[index]
        let a = try Self.lowRankPlusNoise(rows: c.rows, columns: c.columns, trueRank: c.trueRank, noise: 0.01,
                                          density: c.density, seed: UInt64(100 + index))
        let dense = a.toDense()
        let reference = denseSVD(dense)
        let svd = try TruncatedSVD(rank: c.rank).decompose(a)
        #expect(svd.singularValues.count == c.rank)
        #expect(svd.u.rows == c.rows && svd.u.columns == c.rank)
        #expect(svd.v.rows == c.columns && svd.v.columns == c.rank)
        for j in 0..<min(c.rank, c.trueRank) {
            let (s, e) = (Double(svd.singularValues[j]), Double(reference.singularValues[j]))
            #expect(abs(s - e) <= 1e-4 * e, "σ\(j): \(s) vs \(e)")
            // Leading singular vectors agree with the reference up to the shared sign convention.
            var overlap = 0.0
            for i in 0..<c.columns { overlap += Double(svd.v[i, j]) * Double(reference.v[i, j]) }
            #expect(overlap > 0.999, "v\(j) overlap \(overlap)")
        }
        for j in c.trueRank..<max(c.trueRank, c.rank) {
            // Noise directions: the value itself is bounded by the reference noise level.
            #expect(Double(svd.singularValues[j]) <= Double(reference.singularValues[c.trueRank]) * 1.0001)
        }
        #expect(Fixtures.orthonormalityError(svd.u) < 1e-4)
        #expect(Fixtures.orthonormalityError(svd.v) < 1e-4)
        // Eckart–Young: the best rank-k residual is √(Σ_{i>k} σᵢ²).
        let optimal = reference.singularValues.dropFirst(c.rank).map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        let residual = Fixtures.reconstructionError(dense, svd)
        let scale = Double(reference.singularValues[0])
        #expect(residual <= optimal * 1.01 + 1e-5 * scale, "residual \(residual) vs optimal \(optimal)")
    }

    @Test("same seed gives identical factors; another seed gives the same singular values")
    func seeds() throws {
        let a = try Self.lowRankPlusNoise(rows: 200, columns: 80, trueRank: 6, noise: 0.01, density: 0.5, seed: 9)
        let first = try TruncatedSVD(rank: 6, seed: 1).decompose(a)
        let again = try TruncatedSVD(rank: 6, seed: 1).decompose(a)
        let other = try TruncatedSVD(rank: 6, seed: 2).decompose(a)
        #expect(first.singularValues == again.singularValues)
        #expect(first.u == again.u && first.v == again.v)
        for (x, y) in zip(first.singularValues, other.singularValues) { #expect(abs(x - y) <= 1e-4 * x) }
    }

    @Test("results do not depend on the thread count")
    func threads() throws {
        let a = try Self.lowRankPlusNoise(rows: 500, columns: 120, trueRank: 5, noise: 0.05, density: 0.4, seed: 3)
        let one = try TruncatedSVD(rank: 5, options: ParallelOptions(threadCount: 1)).decompose(a)
        let two = try TruncatedSVD(rank: 5, options: ParallelOptions(threadCount: 2)).decompose(a)
        #expect(one.singularValues == two.singularValues)
        #expect(one.u == two.u && one.v == two.v)
    }

    @Test("worked example through the dense fallback (fewer columns than rank + oversampling)")
    func workedExample() throws {
        let svd = try TruncatedSVD(rank: 2).decompose(try Fixtures.workedExampleSparse())
        #expect(svd.singularValues.count == 2)
        #expect(abs(svd.singularValues[0] - 12.4810) < 1e-4 && abs(svd.singularValues[1] - 9.5086) < 1e-4)
        let v1 = (0..<5).map { svd.v[$0, 0] }
        for (x, e) in zip(v1, [0.56, 0.59, 0.56, 0.09, 0.09] as [Float]) { #expect(abs(x - e) < 0.006) }
    }

    @Test("a rank-deficient matrix with empty rows and columns: leading values exact, the rest ≈ 0")
    func rankDeficient() throws {
        // Rank 3 (before masking whole rows/columns), asked for rank 5 with l = 15 < min(rows, columns).
        let full = try Self.lowRankPlusNoise(rows: 100, columns: 80, trueRank: 3, noise: 0, density: 1, seed: 4)
        let a = full.mapValues { r, c, v in r % 10 == 0 || c == 7 ? 0 : v }
        let reference = denseSVD(a.toDense())
        let svd = try TruncatedSVD(rank: 5).decompose(a)
        for j in 0..<3 {
            #expect(abs(svd.singularValues[j] - reference.singularValues[j]) <= 1e-4 * reference.singularValues[j])
        }
        for j in 3..<5 { #expect(svd.singularValues[j] <= 1e-3 * reference.singularValues[0]) }
        #expect(svd.u.values.allSatisfy { $0.isFinite } && svd.v.values.allSatisfy { $0.isFinite })
        #expect(Fixtures.reconstructionError(a.toDense(), svd) <= 1e-4 * Double(reference.singularValues[0]))
    }

    @Test("invalid ranks and parameters throw a clear error")
    func invalidParameters() throws {
        let a = try Fixtures.workedExampleSparse()
        #expect {
            try TruncatedSVD(rank: 6).decompose(a)
        } throws: { error in
            (error as? NumericsError)?.description.contains("rank") == true
        }
        #expect(throws: NumericsError.self) { try TruncatedSVD(rank: 0).decompose(a) }
        #expect(throws: NumericsError.self) { try TruncatedSVD(rank: 2, oversampling: -1).decompose(a) }
        #expect(throws: NumericsError.self) { try TruncatedSVD(rank: 2, powerIterations: -1).decompose(a) }
        #expect(throws: NumericsError.self) { try TruncatedSVD(rank: 2, krylovBlocks: 0).decompose(a) }
        let withNaN = a.mapValues { r, c, v in r == 2 && c == 1 ? .nan : v }
        #expect(throws: NumericsError.self) { try TruncatedSVD(rank: 2).decompose(withNaN) }
    }

    /// `U·diag(σ)·Vᵀ` with orthonormal random `U`, `V` and the slowly decaying `σᵢ = 1/√(i+1)` (as rating
    /// matrices decay), stored densely in CSR; returns the matrix and the optimal rank-k residuals √(Σ_{i≥k} σᵢ²).
    static func slowSpectrum(rows: Int, columns: Int, seed: UInt64) throws -> (CSRMatrix, [Double]) {
        let r = min(rows, columns)
        var u = Fixtures.randomDense(rows: rows, columns: r, seed: seed)
        var v = Fixtures.randomDense(rows: columns, columns: r, seed: seed + 1)
        u = thinQR(u).q
        v = thinQR(v).q
        let sigma = (0..<r).map { 1 / Double($0 + 1).squareRoot() }
        var ri = [Int32](), ci = [Int32](), values = [Float]()
        for i in 0..<rows {
            for j in 0..<columns {
                var x = 0.0
                for t in 0..<r { x += Double(u[i, t]) * sigma[t] * Double(v[j, t]) }
                ri.append(Int32(i)); ci.append(Int32(j)); values.append(Float(x))
            }
        }
        let optimal = (0...r).map { k in sigma[min(k, r)...].map { $0 * $0 }.reduce(0, +).squareRoot() }
        return (try CSRMatrix(rows: rows, columns: columns, rowIndices: ri, columnIndices: ci, values: values), optimal)
    }

    @Test("two Krylov blocks: a smaller residual than the classic one-block algorithm, with one product by Aᵀ fewer")
    func krylovUnion() throws {
        let (a, optimal) = try Self.slowSpectrum(rows: 300, columns: 200, seed: 81)
        let dense = a.toDense()
        let k = 16
        // l = 16, q = 2: 3 products by A, and 2 by Aᵀ (union of 32 directions) or 3 (classic, one block).
        let union = try TruncatedSVD(rank: k, oversampling: 0, powerIterations: 2, krylovBlocks: 2).decompose(a)
        let single = try TruncatedSVD(rank: k, oversampling: 0, powerIterations: 2, krylovBlocks: 1).decompose(a)
        let (eUnion, eSingle) = (Fixtures.reconstructionError(dense, union), Fixtures.reconstructionError(dense, single))
        #expect(eUnion < eSingle, "union \(eUnion) vs single block \(eSingle)")
        // This flat spectrum (σ₁₇/σ₁₆ = 0.97) is far from converged after two steps; still within 2 % of Eckart–Young.
        #expect(eUnion <= optimal[k] * 1.02, "union \(eUnion) vs optimal \(optimal[k])")
        #expect(Fixtures.orthonormalityError(union.u) < 1e-4)
        #expect(Fixtures.orthonormalityError(union.v) < 1e-4)
        // U·Σ = A·V for the Rayleigh–Ritz pairs.
        let av = a.multiplied(by: union.v)
        for j in 0..<k {
            for i in stride(from: 0, to: 300, by: 7) {
                #expect(abs(av[i, j] - union.u[i, j] * union.singularValues[j]) < 1e-4)
            }
        }
    }

    @Test("the Krylov union never exceeds the smaller dimension; zero matrices give σ = 0")
    func unionLimits() throws {
        // l = 16 and 40 columns: two blocks fit (32 ≤ 40), three do not.
        let (a, _) = try Self.slowSpectrum(rows: 120, columns: 40, seed: 91)
        let reference = denseSVD(a.toDense())
        for blocks in 1...4 {
            let svd = try TruncatedSVD(rank: 6, oversampling: 0, powerIterations: 6, krylovBlocks: blocks).decompose(a)
            for j in 0..<6 {
                let (s, e) = (svd.singularValues[j], reference.singularValues[j])
                #expect(abs(s - e) <= 2e-3 * e, "b = \(blocks), σ\(j): \(s) vs \(e)")
            }
            #expect(Fixtures.orthonormalityError(svd.v) < 1e-4)
        }
        // l = rank + oversampling = 10 with only 12 columns: not padded to 16 (the full-precision kernels), and
        // two blocks would not fit, so the one-block (classic) path.
        let narrow = try Self.lowRankPlusNoise(rows: 90, columns: 12, trueRank: 6, noise: 0.01, density: 1, seed: 93)
        let narrowReference = denseSVD(narrow.toDense())
        let narrowSVD = try TruncatedSVD(rank: 6, oversampling: 4, powerIterations: 4).decompose(narrow)
        for j in 0..<6 {
            let (s, e) = (narrowSVD.singularValues[j], narrowReference.singularValues[j])
            #expect(abs(s - e) <= 1e-4 * e, "narrow σ\(j): \(s) vs \(e)")
        }
        #expect(Fixtures.orthonormalityError(narrowSVD.u) < 1e-4)
        #expect(Fixtures.orthonormalityError(narrowSVD.v) < 1e-4)
        let zero = a.mapValues { _, _, _ in 0 }
        let svd = try TruncatedSVD(rank: 4).decompose(zero)
        #expect(svd.singularValues == [0, 0, 0, 0])
        #expect(svd.u.rows == 120 && svd.v.rows == 40 && svd.v.values.allSatisfy { $0 == 0 })
    }

    @Test("the test matrix is random signs: ±1 only, about half negative, fixed by the seed")
    func testMatrix() {
        let omega = TruncatedSVD.testMatrix(rows: 1000, columns: 37, seed: 5, options: .default)
        #expect(omega.values.allSatisfy { $0 == 1 || $0 == -1 })
        let negative = omega.values.filter { $0 < 0 }.count
        #expect(abs(Double(negative) / Double(omega.values.count) - 0.5) < 0.01)
        #expect(omega == TruncatedSVD.testMatrix(rows: 1000, columns: 37, seed: 5, options: .serial))
        #expect(omega != TruncatedSVD.testMatrix(rows: 1000, columns: 37, seed: 6, options: .default))
    }
}
