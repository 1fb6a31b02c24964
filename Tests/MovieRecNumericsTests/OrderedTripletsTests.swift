import Testing
import MovieRecNumerics

@Suite("CSRMatrix from triplets already in CSR order")
struct OrderedTripletsTests {
    @Test("ordered triplets (with empty first, middle and last rows) give the CSR arrays as they are")
    func orderedInput() throws {
        // 5 × 4: rows 0, 2 and 4 empty; row 1: (1,0)=1 (1,3)=2; row 3: (3,1)=3 (3,2)=4 (3,3)=5
        let m = try CSRMatrix(rows: 5, columns: 4, rowIndices: [1, 1, 3, 3, 3], columnIndices: [0, 3, 1, 2, 3],
                              values: [1, 2, 3, 4, 5])
        #expect(m.rowPointers == [0, 0, 2, 2, 5, 5])
        #expect(m.columnIndices == [0, 3, 1, 2, 3])
        #expect(m.values == [1, 2, 3, 4, 5])
    }

    @Test("a seeded random matrix gives the same CSR from ordered and from shuffled triplets")
    func orderedEqualsShuffled() throws {
        var generator = SeededGenerator(seed: 3)
        var triplets: [(Int32, Int32, Float)] = []
        for r in 0..<37 { for c in 0..<23 where generator.nextUniform() < 0.2 {
            triplets.append((Int32(r), Int32(c), Float(generator.nextUniform())))
        } }
        var shuffled = triplets
        for i in stride(from: shuffled.count - 1, to: 0, by: -1) {
            shuffled.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        let ordered = try CSRMatrix(rows: 37, columns: 23, rowIndices: triplets.map(\.0),
                                    columnIndices: triplets.map(\.1), values: triplets.map(\.2))
        let sorted = try CSRMatrix(rows: 37, columns: 23, rowIndices: shuffled.map(\.0),
                                   columnIndices: shuffled.map(\.1), values: shuffled.map(\.2))
        #expect(ordered == sorted)
        // Reference: dense fill.
        var dense = [Float](repeating: 0, count: 37 * 23)
        for (r, c, v) in triplets { dense[Int(r) * 23 + Int(c)] = v }
        #expect(ordered.toDense().values == dense)
    }

    @Test("ordered input is still validated: a repeated pair and an out-of-range column are rejected")
    func orderedValidation() {
        #expect(throws: NumericsError.self) {
            _ = try CSRMatrix(rows: 2, columns: 3, rowIndices: [0, 0, 1], columnIndices: [1, 1, 2], values: [1, 2, 3])
        }
        #expect(throws: NumericsError.self) {
            _ = try CSRMatrix(rows: 2, columns: 3, rowIndices: [0, 1], columnIndices: [1, 3], values: [1, 2])
        }
        #expect(throws: NumericsError.self) {
            _ = try CSRMatrix(rows: 2, columns: 3, rowIndices: [0, 2], columnIndices: [1, 0], values: [1, 2])
        }
    }
}
