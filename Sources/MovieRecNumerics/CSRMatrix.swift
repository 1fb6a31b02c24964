/// A sparse matrix in compressed-sparse-row form: `Float` values and `Int32` column indices.
///
/// The nonzeros of row `r` are `values[rowPointers[r] ..< rowPointers[r+1]]` at columns
/// `columnIndices[rowPointers[r] ..< rowPointers[r+1]]`, strictly increasing within a row.
public struct CSRMatrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// Start of each row in ``columnIndices``/``values``; `rows + 1` entries, from 0 to ``nonzeroCount``.
    public let rowPointers: [Int]
    /// Column of each stored entry.
    public let columnIndices: [Int32]
    /// Value of each stored entry.
    public let values: [Float]

    /// Creates a matrix from CSR arrays after validating them.
    ///
    /// - Throws: ``NumericsError`` when `rowPointers` does not have `rows + 1` nondecreasing entries from 0
    ///   to `values.count`, when `columnIndices.count != values.count`, or when a column index is outside
    ///   `0..<columns` or not strictly increasing within its row.
    public init(rows: Int, columns: Int, rowPointers: [Int], columnIndices: [Int32], values: [Float]) throws {
        try Self.validateShape(rows: rows, columns: columns)
        guard rowPointers.count == rows + 1 else {
            throw NumericsError(.shapeMismatch, field: "rowPointers.count", value: "\(rowPointers.count)",
                                expected: "rows + 1 = \(rows + 1)")
        }
        guard columnIndices.count == values.count else {
            throw NumericsError(.shapeMismatch, field: "columnIndices.count", value: "\(columnIndices.count)",
                                expected: "values.count = \(values.count)")
        }
        guard rowPointers[0] == 0 else {
            throw NumericsError(.invalidSparseStructure, field: "rowPointers", position: 0,
                                value: "\(rowPointers[0])", expected: "0")
        }
        guard rowPointers[rows] == values.count else {
            throw NumericsError(.invalidSparseStructure, field: "rowPointers", position: rows,
                                value: "\(rowPointers[rows])", expected: "the number of values, \(values.count)")
        }
        for r in 0..<rows {
            let (start, end) = (rowPointers[r], rowPointers[r + 1])
            guard start <= end else {
                throw NumericsError(.invalidSparseStructure, field: "rowPointers", position: r + 1,
                                    value: "\(end)", expected: "a value ≥ rowPointers[\(r)] = \(start)")
            }
            var previous: Int32 = -1
            for p in start..<end {
                let c = columnIndices[p]
                guard c >= 0 && Int(c) < columns else {
                    throw NumericsError(.indexOutOfRange, field: "columnIndices", position: p, value: "\(c)",
                                        expected: "a column index in 0..<\(columns) (row \(r))")
                }
                guard c > previous else {
                    throw NumericsError(.invalidSparseStructure, field: "columnIndices", position: p, value: "\(c)",
                                        expected: "column indices strictly increasing within row \(r) (previous \(previous))")
                }
                previous = c
            }
        }
        self.init(unchecked: rows, columns: columns, rowPointers: rowPointers,
                  columnIndices: columnIndices, values: values)
    }

    /// Creates a matrix from (row, column, value) triplets given in any order.
    ///
    /// Triplets are counting-sorted by row (O(nnz + rows)), then sorted by column within each row.
    /// - Throws: ``NumericsError`` when the three arrays differ in length, an index is out of range,
    ///   or the same (row, column) pair occurs twice.
    public init(rows: Int, columns: Int, rowIndices: [Int32], columnIndices: [Int32], values: [Float]) throws {
        try Self.validateShape(rows: rows, columns: columns)
        guard rowIndices.count == values.count else {
            throw NumericsError(.shapeMismatch, field: "rowIndices.count", value: "\(rowIndices.count)",
                                expected: "values.count = \(values.count)")
        }
        guard columnIndices.count == values.count else {
            throw NumericsError(.shapeMismatch, field: "columnIndices.count", value: "\(columnIndices.count)",
                                expected: "values.count = \(values.count)")
        }
        var pointers = [Int](repeating: 0, count: rows + 1)
        for (t, r) in rowIndices.enumerated() {
            guard r >= 0 && Int(r) < rows else {
                throw NumericsError(.indexOutOfRange, field: "rowIndices", position: t, value: "\(r)",
                                    expected: "a row index in 0..<\(rows)")
            }
            let c = columnIndices[t]
            guard c >= 0 && Int(c) < columns else {
                throw NumericsError(.indexOutOfRange, field: "columnIndices", position: t, value: "\(c)",
                                    expected: "a column index in 0..<\(columns)")
            }
            pointers[Int(r) + 1] += 1
        }
        for r in 0..<rows { pointers[r + 1] += pointers[r] }
        var order = [Int](repeating: 0, count: values.count)
        var next = pointers
        for (t, r) in rowIndices.enumerated() {
            order[next[Int(r)]] = t
            next[Int(r)] += 1
        }
        var sortedColumns = [Int32](repeating: 0, count: values.count)
        var sortedValues = [Float](repeating: 0, count: values.count)
        for r in 0..<rows {
            let start = pointers[r]
            let rowOrder = order[start..<pointers[r + 1]].sorted {
                (columnIndices[$0], $0) < (columnIndices[$1], $1)
            }
            for (offset, t) in rowOrder.enumerated() {
                let p = start + offset
                if offset > 0 && columnIndices[t] == sortedColumns[p - 1] {
                    throw NumericsError(.duplicateEntry, field: "triplets", position: t,
                                        value: "(row \(r), column \(columnIndices[t]))",
                                        expected: "each (row, column) pair at most once (also at triplet \(rowOrder[offset - 1]))")
                }
                sortedColumns[p] = columnIndices[t]
                sortedValues[p] = values[t]
            }
        }
        self.init(unchecked: rows, columns: columns, rowPointers: pointers,
                  columnIndices: sortedColumns, values: sortedValues)
    }

    /// Stores already-valid CSR arrays.
    init(unchecked rows: Int, columns: Int, rowPointers: [Int], columnIndices: [Int32], values: [Float]) {
        self.rows = rows
        self.columns = columns
        self.rowPointers = rowPointers
        self.columnIndices = columnIndices
        self.values = values
    }

    private static func validateShape(rows: Int, columns: Int) throws {
        guard rows >= 0 else {
            throw NumericsError(.invalidParameter, field: "rows", value: "\(rows)", expected: "a count ≥ 0")
        }
        guard columns >= 0 && columns <= Int(Int32.max) else {
            throw NumericsError(.invalidParameter, field: "columns", value: "\(columns)",
                                expected: "a count in 0...\(Int32.max)")
        }
    }

    /// The number of stored entries.
    public var nonzeroCount: Int { values.count }

    /// The transpose `Aᵀ` in CSR form, built by an O(nnz + columns) counting pass; columns within each
    /// row of the result come out sorted because rows of `A` are visited in order.
    ///
    /// With several workers the rows of `A` are cut into chunks: each chunk counts its entries per column,
    /// the counts give every chunk its own write position inside each row of `Aᵀ`, and the chunks then
    /// scatter in parallel. The result is identical to the serial pass.
    public func transposed(options: ParallelOptions = .default) -> CSRMatrix {
        guard nonzeroCount > 0 else {
            return CSRMatrix(unchecked: columns, columns: rows, rowPointers: [Int](repeating: 0, count: columns + 1),
                             columnIndices: [], values: [])
        }
        let chunkCount = options.threadCount == 1 || nonzeroCount < 1 << 14 ? 1 : min(rows, options.threadCount * 4)
        let bounds = (0...chunkCount).map { $0 * rows / max(chunkCount, 1) }
        // counts[k * columns + c]: entries of chunk k in column c; afterwards the chunk's first write position.
        var positions = [Int](repeating: 0, count: chunkCount * columns)
        positions.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedMutablePointer(base: buffer.baseAddress!)
            options.forEachTask(chunkCount) { k in
                let counts = shared.base + k * columns
                for p in rowPointers[bounds[k]]..<rowPointers[bounds[k + 1]] { counts[Int(columnIndices[p])] += 1 }
            }
        }
        var pointers = [Int](repeating: 0, count: columns + 1)
        var running = 0
        for c in 0..<columns {
            pointers[c] = running
            for k in 0..<chunkCount {
                let count = positions[k * columns + c]
                positions[k * columns + c] = running
                running += count
            }
        }
        pointers[columns] = running
        var newColumns = [Int32](repeating: 0, count: nonzeroCount)
        var newValues = [Float](repeating: 0, count: nonzeroCount)
        positions.withUnsafeMutableBufferPointer { buffer in
            newColumns.withUnsafeMutableBufferPointer { outColumns in
                newValues.withUnsafeMutableBufferPointer { outValues in
                    let next = SharedMutablePointer(base: buffer.baseAddress!)
                    let columnsOut = SharedMutablePointer(base: outColumns.baseAddress!)
                    let valuesOut = SharedMutablePointer(base: outValues.baseAddress!)
                    options.forEachTask(chunkCount) { k in
                        let chunkNext = next.base + k * columns
                        for r in bounds[k]..<bounds[k + 1] {
                            for p in rowPointers[r]..<rowPointers[r + 1] {
                                let c = Int(columnIndices[p])
                                let q = chunkNext[c]
                                columnsOut.base[q] = Int32(r)
                                valuesOut.base[q] = values[p]
                                chunkNext[c] = q + 1
                            }
                        }
                    }
                }
            }
        }
        return CSRMatrix(unchecked: columns, columns: rows, rowPointers: pointers,
                         columnIndices: newColumns, values: newValues)
    }

    /// A matrix with the same sparsity pattern and values `f(row, column, value)`.
    public func mapValues(_ f: (_ row: Int, _ column: Int, _ value: Float) -> Float) -> CSRMatrix {
        var newValues = values
        for r in 0..<rows {
            for p in rowPointers[r]..<rowPointers[r + 1] {
                newValues[p] = f(r, Int(columnIndices[p]), values[p])
            }
        }
        return CSRMatrix(unchecked: rows, columns: columns, rowPointers: rowPointers,
                         columnIndices: columnIndices, values: newValues)
    }

    /// The product `C = A·D` of this sparse matrix and a dense matrix (`dense.rows` must equal `columns`):
    /// `C[i, :] = Σ_{(i,j) stored} A[i, j]·D[j, :]`.
    ///
    /// `D` is split into panels of 16 columns (one 64-byte cache line per row, so the rows gathered for a
    /// panel stay in cache far better than whole rows of `D`); for each panel a `SIMD16<Float>` kernel sums
    /// every output row in stored order. Rows are split across `options.threadCount` workers in chunks of
    /// about equal nonzero count; since each output element has one fixed summation order, results are
    /// bit-identical for any thread count. Use ``transposed()`` once and multiply again to get `Aᵀ·D`.
    public func multiplied(by dense: DenseMatrix, options: ParallelOptions = .default) -> DenseMatrix {
        precondition(dense.rows == columns,
                     "multiplied(by:): sparse \(rows)×\(columns) · dense \(dense.rows)×\(dense.columns) do not conform")
        let width = dense.columns
        guard nonzeroCount > 0, width > 0 else { return DenseMatrix(rows: rows, columns: width) }
        let stride = paddedWidth(width)
        let panelCount = stride / 16
        let panels = columnPanels(dense)
        let chunks = balancedRowChunks(options)
        var output = [Float](repeating: 0, count: rows * stride)
        values.withUnsafeBufferPointer { vals in
            columnIndices.withUnsafeBufferPointer { idx in
                rowPointers.withUnsafeBufferPointer { ptrs in
                    panels.withUnsafeBufferPointer { src in
                        output.withUnsafeMutableBufferPointer { out in
                            guard let pv = vals.baseAddress, let pi = idx.baseAddress, let ps = src.baseAddress,
                                  let po = out.baseAddress else { return }
                            let shared = SharedMutablePointer(base: po)
                            let panelSize = columns * 16
                            // One parallel region; tasks are claimed panel by panel, so the workers
                            // share the cached rows of the same panel.
                            let chunkCount = chunks.count - 1
                            options.forEachTask(panelCount * chunkCount) { task in
                                let (panel, chunk) = task.quotientAndRemainder(dividingBy: chunkCount)
                                let source = UnsafeRawPointer(ps + panel * panelSize)
                                for r in chunks[chunk]..<chunks[chunk + 1] {
                                    let start = ptrs[r]
                                    accumulatePanelRow(coefficients: pv + start, indices: pi + start,
                                                       count: ptrs[r + 1] &- start, panel: source,
                                                       output: shared.base + r * stride + panel * 16)
                                }
                            }
                        }
                    }
                }
            }
        }
        return DenseMatrix(rows: rows, columns: width,
                           values: unpadRows(output, rows: rows, width: width, stride: stride))
    }

    /// Row boundaries `0 = b₀ < … < b_c = rows` splitting the rows into about 32 chunks per worker of
    /// roughly equal nonzero count (one chunk when serial).
    private func balancedRowChunks(_ options: ParallelOptions) -> [Int] {
        let chunkCount = max(1, min(rows, options.threadCount == 1 ? 1 : options.threadCount * 32))
        var bounds = [0]
        for c in 1..<chunkCount {
            let target = nonzeroCount * c / chunkCount
            var (lo, hi) = (bounds[bounds.count - 1], rows)   // first row whose start pointer reaches target
            while lo < hi {
                let mid = (lo + hi) / 2
                if rowPointers[mid] < target { lo = mid + 1 } else { hi = mid }
            }
            if lo > bounds[bounds.count - 1] && lo < rows { bounds.append(lo) }
        }
        bounds.append(rows)
        return bounds
    }

    /// The dense `rows × columns` matrix with zeros where nothing is stored.
    public func toDense() -> DenseMatrix {
        var dense = DenseMatrix(rows: rows, columns: columns)
        for r in 0..<rows {
            for p in rowPointers[r]..<rowPointers[r + 1] { dense[r, Int(columnIndices[p])] = values[p] }
        }
        return dense
    }
}
