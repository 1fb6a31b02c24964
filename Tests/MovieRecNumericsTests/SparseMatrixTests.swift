import Testing
import MovieRecNumerics

@Suite("CSRMatrix construction, transpose and mapping")
struct SparseMatrixTests {
    @Test("triplets in any order are sorted by row, then column")
    func fromUnsortedTriplets() throws {
        // 3 × 4:  row 0: (0,3)=1 (0,1)=2   row 1: empty   row 2: (2,2)=3 (2,0)=4
        let m = try CSRMatrix(rows: 3, columns: 4, rowIndices: [2, 0, 2, 0], columnIndices: [2, 3, 0, 1],
                              values: [3, 1, 4, 2])
        #expect(m.rowPointers == [0, 2, 2, 4])
        #expect(m.columnIndices == [1, 3, 0, 2])
        #expect(m.values == [2, 1, 4, 3])
        #expect(m.nonzeroCount == 4)
        #expect(m.toDense().values == [0, 2, 0, 1, 0, 0, 0, 0, 4, 0, 3, 0])
    }

    @Test("duplicate (row, column) pairs are rejected with the pair in the message")
    func duplicates() {
        #expect {
            _ = try CSRMatrix(rows: 2, columns: 2, rowIndices: [1, 0, 1], columnIndices: [1, 0, 1], values: [1, 2, 3])
        } throws: { error in
            guard let e = error as? NumericsError else { return false }
            return e.kind == .duplicateEntry && e.description.contains("row 1, column 1")
        }
    }

    @Test("out-of-range indices and malformed CSR arrays are rejected")
    func validation() {
        #expect(throws: NumericsError.self) {
            try CSRMatrix(rows: 2, columns: 2, rowIndices: [2], columnIndices: [0], values: [1])
        }
        #expect(throws: NumericsError.self) {
            try CSRMatrix(rows: 2, columns: 2, rowIndices: [0], columnIndices: [-1], values: [1])
        }
        #expect(throws: NumericsError.self) {
            try CSRMatrix(rows: 2, columns: 2, rowIndices: [0, 1], columnIndices: [0], values: [1, 2])
        }
        // Unsorted columns within a row.
        #expect(throws: NumericsError.self) {
            try CSRMatrix(rows: 1, columns: 3, rowPointers: [0, 2], columnIndices: [2, 1], values: [1, 1])
        }
        // Wrong number of row pointers, and a last pointer that disagrees with the value count.
        #expect(throws: NumericsError.self) {
            try CSRMatrix(rows: 2, columns: 3, rowPointers: [0, 1], columnIndices: [0], values: [1])
        }
        #expect(throws: NumericsError.self) {
            try CSRMatrix(rows: 1, columns: 3, rowPointers: [0, 2], columnIndices: [0], values: [1])
        }
        #expect(throws: Never.self) {
            try CSRMatrix(rows: 2, columns: 3, rowPointers: [0, 2, 2], columnIndices: [0, 2], values: [1, 1])
        }
    }

    @Test("transpose matches the dense transpose, and transposing twice is the identity")
    func transpose() throws {
        let m = try Fixtures.randomSparse(rows: 37, columns: 23, density: 0.2, seed: 5, emptyRows: [3], emptyColumns: [0, 22])
        let t = m.transposed()
        #expect(t.rows == 23 && t.columns == 37)
        #expect(t.toDense() == m.toDense().transposed())
        #expect(t.transposed() == m)
        // The transpose is itself valid CSR.
        #expect(throws: Never.self) {
            try CSRMatrix(rows: t.rows, columns: t.columns, rowPointers: t.rowPointers,
                          columnIndices: t.columnIndices, values: t.values)
        }
    }

    @Test("mapValues keeps the pattern and passes row, column and value")
    func mapValues() throws {
        let m = try CSRMatrix(rows: 2, columns: 3, rowIndices: [0, 1, 1], columnIndices: [2, 0, 1], values: [5, 6, 7])
        let mapped = m.mapValues { r, c, v in v * 10 + Float(r * 3 + c) }
        #expect(mapped.columnIndices == m.columnIndices && mapped.rowPointers == m.rowPointers)
        #expect(mapped.values == [52, 63, 74])
    }

    @Test("error messages name the field, position, value and expectation")
    func errorMessage() {
        let e = NumericsError(.indexOutOfRange, field: "columnIndices", position: 4, value: "9",
                              expected: "a column index in 0..<5")
        #expect(e.description == "index out of range: columnIndices[4] is 9, but expected a column index in 0..<5")
        #expect(e.errorDescription == e.description)
    }
}
