import Testing
import MovieRecNumerics

@Suite("Matrix products against reference loops")
struct KernelTests {
    static let shapes: [(Int, Int, Int)] = [(1, 1, 1), (3, 15, 17), (17, 33, 15), (40, 16, 64), (9, 70, 74), (65, 5, 33)]

    @Test("dense A·B", arguments: shapes.indices)
    func denseProduct(index: Int) {
        let (m, k, n) = Self.shapes[index]
        let a = Fixtures.randomDense(rows: m, columns: k, seed: 1)
        let b = Fixtures.randomDense(rows: k, columns: n, seed: 2)
        let c = a.multiplied(by: b)
        #expect(c.rows == m && c.columns == n)
        #expect(Fixtures.maxDifference(c.values, Fixtures.referenceProduct(a, b)) < 1e-4)
    }

    @Test("dense Aᵀ·B without forming Aᵀ", arguments: shapes.indices)
    func transposeProduct(index: Int) {
        let (m, k, n) = Self.shapes[index]
        let a = Fixtures.randomDense(rows: 300 + m, columns: k, seed: 3)   // > one 256-row block
        let b = Fixtures.randomDense(rows: 300 + m, columns: n, seed: 4)
        let c = a.transposeMultiplied(by: b)
        #expect(c.rows == k && c.columns == n)
        #expect(Fixtures.maxDifference(c.values, Fixtures.referenceProduct(a.transposed(), b)) < 1e-3)
    }

    @Test("sparse A·D with empty rows and columns", arguments: shapes.indices)
    func sparseProduct(index: Int) throws {
        let (m, k, n) = Self.shapes[index]
        let a = try Fixtures.randomSparse(rows: m + 2, columns: k + 1, density: 0.3, seed: UInt64(index),
                                          emptyRows: [0, m + 1], emptyColumns: [k])
        let d = Fixtures.randomDense(rows: k + 1, columns: n, seed: 6)
        let c = a.multiplied(by: d)
        #expect(c.rows == m + 2 && c.columns == n)
        #expect(Fixtures.maxDifference(c.values, Fixtures.referenceProduct(a.toDense(), d)) < 1e-4)
        #expect(c.row(0).allSatisfy { $0 == 0 } && c.row(m + 1).allSatisfy { $0 == 0 })
        let ct = a.transposed().multiplied(by: Fixtures.randomDense(rows: m + 2, columns: n, seed: 7))
        #expect(ct.row(k).allSatisfy { $0 == 0 })
    }

    @Test("a matrix with no stored entries multiplies to zeros")
    func emptySparse() throws {
        let a = try CSRMatrix(rows: 3, columns: 2, rowIndices: [], columnIndices: [], values: [])
        #expect(a.multiplied(by: DenseMatrix(rows: 2, columns: 5, repeating: 1)) == DenseMatrix(rows: 3, columns: 5))
        #expect(a.transposed().rowPointers == [0, 0, 0] && a.transposed().rows == 2)
    }

    @Test("results are bitwise identical with 1, 2 and 3 threads")
    func threadIndependence() throws {
        let a = try Fixtures.randomSparse(rows: 301, columns: 97, density: 0.1, seed: 11, emptyRows: [7])
        let d = Fixtures.randomDense(rows: 97, columns: 74, seed: 12)
        let tall = Fixtures.randomDense(rows: 1000, columns: 33, seed: 13)
        let tall2 = Fixtures.randomDense(rows: 1000, columns: 17, seed: 14)
        let small = Fixtures.randomDense(rows: 33, columns: 20, seed: 15)
        let one = ParallelOptions(threadCount: 1)
        let large = try Fixtures.randomSparse(rows: 300, columns: 211, density: 0.3, seed: 16, emptyColumns: [5])
        #expect(large.nonzeroCount > 1 << 14)   // enough entries for the parallel transpose
        for threads in [2, 3] {
            let many = ParallelOptions(threadCount: threads)
            #expect(large.transposed(options: one) == large.transposed(options: many))
            #expect(large.transposed(options: many).toDense() == large.toDense().transposed())
            #expect(a.multiplied(by: d, options: one).values == a.multiplied(by: d, options: many).values)
            #expect(tall.transposeMultiplied(by: tall2, options: one).values
                    == tall.transposeMultiplied(by: tall2, options: many).values)
            #expect(tall.multiplied(by: small, options: one).values == tall.multiplied(by: small, options: many).values)
        }
    }

    @Test("dense transpose, row access and subscripts")
    func denseBasics() {
        var m = DenseMatrix(rows: 2, columns: 3, values: [1, 2, 3, 4, 5, 6])
        #expect(Array(m.row(1)) == [4, 5, 6])
        #expect(m.transposed().values == [1, 4, 2, 5, 3, 6])
        m[1, 2] = 9
        #expect(m.values[5] == 9)
        let big = Fixtures.randomDense(rows: 45, columns: 70, seed: 9)
        #expect(big.transposed().transposed() == big)
        #expect(big.transposed()[12, 40] == big[40, 12])
    }

    @Test("strided sample: positions first + ⌊t·n/s⌋ and their entries, the excluded value skipped",
          arguments: [(0, 0), (5, 1), (7, 7), (7, 20), (1000, 3), (1000, 400), (997, 400), (401, 400), (64, 17)])
    func stridedSampleMatchesFormula(count: Int, scanned: Int) {
        // Entries 3·i + 1 (strictly increasing, like a CSR row), behind an offset of 11.
        let columns = (0..<(count + 20)).map { Int32(3 * $0 + 1) }
        let first = 11
        let s = min(scanned, count)
        let excluded = s > 2 ? columns[first + 2 * count / s] : -1   // the entry at t = 2
        var expectedPositions: [Int] = []
        for t in 0..<s {
            let p = first + t * count / s
            if columns[p] != excluded { expectedPositions.append(p) }
        }
        let sample = stridedSample(columns, ratings: nil, range: first..<(first + count), scanned: scanned,
                                   excluding: excluded)
        #expect(sample.positions == expectedPositions)
        #expect(sample.values == expectedPositions.map { columns[$0] })
        #expect(sample.positions.count == (s > 2 ? s - 1 : s))
        // With the ratings parallel to the entries, the ratings at the same positions come along.
        let ratings = columns.indices.map { Float($0) * 0.5 + 0.25 }
        let withRatings = stridedSample(columns, ratings: ratings, range: first..<(first + count), scanned: scanned,
                                        excluding: excluded)
        #expect(withRatings.positions == expectedPositions)
        #expect(withRatings.values == expectedPositions.map { columns[$0] })
        #expect(withRatings.ratings == expectedPositions.map { ratings[$0] })
        #expect(sample.ratings.isEmpty)
    }
}
