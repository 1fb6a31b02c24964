import Testing
import MovieRecNumerics

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
        let withNaN = a.mapValues { r, c, v in r == 2 && c == 1 ? .nan : v }
        #expect(throws: NumericsError.self) { try TruncatedSVD(rank: 2).decompose(withNaN) }
    }
}
