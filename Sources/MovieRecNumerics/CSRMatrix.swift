import CMovieRecKernels

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
    /// Triplets already in CSR order (rows nondecreasing, columns strictly increasing within a row — what
    /// a store reading `ORDER BY user, movie` yields) are used as they are: one checking pass counts the
    /// rows and the column and value arrays are shared, not copied. Otherwise triplets are counting-sorted
    /// by row (O(nnz + rows)), then sorted by column within each row.
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
        if let pointers = Self.rowPointersIfOrdered(rows: rows, columns: columns, rowIndices: rowIndices,
                                                    columnIndices: columnIndices) {
            self.init(unchecked: rows, columns: columns, rowPointers: pointers, columnIndices: columnIndices,
                      values: values)
            return
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

    /// The row pointers of triplets already in CSR order with every index in range, else `nil`.
    private static func rowPointersIfOrdered(rows: Int, columns: Int, rowIndices: [Int32],
                                             columnIndices: [Int32]) -> [Int]? {
        var pointers = [Int](repeating: 0, count: rows + 1)
        let ordered = rowIndices.withUnsafeBufferPointer { rowBuffer in
            columnIndices.withUnsafeBufferPointer { columnBuffer -> Bool in
                var (previousRow, previousColumn): (Int32, Int32) = (0, -1)
                for t in 0..<rowBuffer.count {
                    let (r, c) = (rowBuffer[t], columnBuffer[t])
                    guard Int(r) < rows, c >= 0, Int(c) < columns else { return false }
                    if r == previousRow {
                        guard c > previousColumn else { return false }
                    } else {
                        guard r > previousRow else { return false }
                        for skipped in Int(previousRow) + 1...Int(r) { pointers[skipped] = t }
                        previousRow = r
                    }
                    previousColumn = c
                }
                if !rowBuffer.isEmpty { for skipped in Int(previousRow) + 1...rows { pointers[skipped] = rowBuffer.count } }
                return true
            }
        }
        return ordered ? pointers : nil
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
    ///
    /// Rows are split over `options.threadCount` workers (`f` is called concurrently and must only read
    /// shared state); every value is computed once, so the result does not depend on the thread count.
    public func mapValues(options: ParallelOptions = .default,
                          _ f: (_ row: Int, _ column: Int, _ value: Float) -> Float) -> CSRMatrix {
        var newValues = [Float](repeating: 0, count: values.count)
        newValues.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let out = SharedMutablePointer(base: base)
            let serial = nonzeroCount < 1 << 14 ? ParallelOptions.serial : options
            serial.forEachRange(rows) { range in
                for r in range {
                    for p in rowPointers[r]..<rowPointers[r + 1] {
                        out.base[p] = f(r, Int(columnIndices[p]), values[p])
                    }
                }
            }
        }
        return CSRMatrix(unchecked: rows, columns: columns, rowPointers: rowPointers,
                         columnIndices: columnIndices, values: newValues)
    }

    /// The product `C = A·D` of this sparse matrix and a dense matrix (`dense.rows` must equal `columns`):
    /// `C[i, :] = Σ_{(i,j) stored} A[i, j]·D[j, :]`.
    ///
    /// `D` is copied into rows padded to a multiple of 16 floats; for every output row the kernel
    /// (`mr_sparse_dense_rows`, AVX-512/AVX2/baseline picked at run time) gathers the rows of `D` named by the
    /// stored columns, fetching them a few entries ahead, and sums them in stored order. Rows are split across
    /// `options.threadCount` workers in chunks of about equal nonzero count; since each output element has one
    /// fixed summation order, results are bit-identical for any thread count and instruction set.
    public func multiplied(by dense: DenseMatrix, options: ParallelOptions = .default) -> DenseMatrix {
        precondition(dense.rows == columns,
                     "multiplied(by:): sparse \(rows)×\(columns) · dense \(dense.rows)×\(dense.columns) do not conform")
        let width = dense.columns
        guard nonzeroCount > 0, width > 0 else { return DenseMatrix(rows: rows, columns: width) }
        let stride = paddedWidth(width)
        let source = DenseMatrix(rows: dense.rows, columns: stride,
                                 values: padRows(dense.values, rows: dense.rows, width: width, stride: stride))
        var output = DenseMatrix(rows: rows, columns: stride)
        multiply(source, into: &output, options: options)
        return DenseMatrix(rows: rows, columns: width,
                           values: unpadRows(output.values, rows: rows, width: width, stride: stride))
    }

    /// The product `C = Aᵀ·D` without forming `Aᵀ` (`dense.rows` must equal `rows`):
    /// `C[j, :] = Σ_{(i,j) stored} A[i, j]·D[i, :]`, each element summed in row order `i = 0, 1, …` — the
    /// same order, and so the same bits, as `transposed().multiplied(by:)`.
    ///
    /// The kernel (`mr_sparse_transpose_scatter`) reads each row of `D` once and adds it into the output rows
    /// of its stored columns. Workers own disjoint column ranges of about equal nonzero count (see
    /// ``TransposeProductPlan``), so the result does not depend on the thread count. Pass a `plan` made once
    /// when multiplying the same matrix repeatedly.
    public func transposeMultiplied(by dense: DenseMatrix, options: ParallelOptions = .default,
                                    plan: TransposeProductPlan? = nil) -> DenseMatrix {
        precondition(dense.rows == rows,
                     "transposeMultiplied(by:): sparse \(rows)×\(columns)ᵀ · dense \(dense.rows)×\(dense.columns) do not conform")
        let width = dense.columns
        guard nonzeroCount > 0, width > 0 else { return DenseMatrix(rows: columns, columns: width) }
        let plan = plan ?? TransposeProductPlan(self, options: options)
        precondition(plan.rows == rows && plan.nonzeroCount == nonzeroCount,
                     "transposeMultiplied(by:): the plan was made for another matrix")
        let stride = paddedWidth(width)
        let source = DenseMatrix(rows: dense.rows, columns: stride,
                                 values: padRows(dense.values, rows: dense.rows, width: width, stride: stride))
        var output = DenseMatrix(rows: columns, columns: stride)
        transposeMultiply(source, into: &output, options: options, plan: plan)
        return DenseMatrix(rows: columns, columns: width,
                           values: unpadRows(output.values, rows: columns, width: width, stride: stride))
    }

    /// `output = A·D` written into an existing `rows × dense.columns` matrix (no new array when
    /// `dense.columns` is a multiple of 16); same bits as ``multiplied(by:options:)``.
    func multiply(_ dense: DenseMatrix, into output: inout DenseMatrix, options: ParallelOptions) {
        let width = dense.columns
        guard width % 16 == 0, nonzeroCount > 0, width > 0, output.rows == rows, output.columns == width,
              dense.rows == columns else {
            output = multiplied(by: dense, options: options)
            return
        }
        dense.values.withUnsafeBufferPointer { src in
            gatherRows(into: &output, options: options) { ptrs, idx, vals, first, end, out in
                mr_sparse_dense_rows(ptrs, idx, vals, first, end, src.baseAddress!, width, out)
            }
        }
    }

    /// `output = A·D̃` where `D̃` is `dense` rounded to binary16 (IEEE half precision, round to nearest even):
    /// half the bytes gathered per stored entry, each element of `D̃` converted exactly back to `Float` and
    /// summed as in ``multiplied(by:options:)``. For operands that only need about three significant digits,
    /// such as the bases of the SVD's power iterations. `halfBuffer` is scratch space reused between calls.
    /// `dense.columns` must be a multiple of 16 (otherwise this is the full-precision product).
    func multiplyRounded(_ dense: DenseMatrix, into output: inout DenseMatrix, halfBuffer: inout [UInt16],
                         options: ParallelOptions) {
        let width = dense.columns
        guard width % 16 == 0, nonzeroCount > 0, width > 0, output.rows == rows, output.columns == width,
              dense.rows == columns else {
            multiply(dense, into: &output, options: options)
            return
        }
        if halfBuffer.count != dense.values.count {
            // Written in full just below.
            let count = dense.values.count
            halfBuffer = [UInt16](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        }
        dense.values.withUnsafeBufferPointer { src in
            halfBuffer.withUnsafeMutableBufferPointer { half in
                let out = SharedMutablePointer(base: half.baseAddress!)
                options.forEachRange(dense.rows) { range in
                    mr_float_to_half(src.baseAddress! + range.lowerBound * width, out.base + range.lowerBound * width,
                                     range.count * width)
                }
            }
        }
        halfBuffer.withUnsafeBufferPointer { src in
            gatherRows(into: &output, options: options) { ptrs, idx, vals, first, end, out in
                mr_sparse_half_rows(ptrs, idx, vals, first, end, src.baseAddress!, width, out)
            }
        }
    }

    /// Runs a row kernel `kernel(rowPointers, columnIndices, values, firstRow, endRow, output)` over chunks of
    /// rows of about equal nonzero count on the workers; every output row is written by exactly one chunk.
    private func gatherRows(into output: inout DenseMatrix, options: ParallelOptions,
                            _ kernel: (UnsafePointer<Int>, UnsafePointer<Int32>, UnsafePointer<Float>, Int, Int,
                                       UnsafeMutablePointer<Float>) -> Void) {
        let chunks = balancedRowChunks(options)
        values.withUnsafeBufferPointer { vals in
            columnIndices.withUnsafeBufferPointer { idx in
                rowPointers.withUnsafeBufferPointer { ptrs in
                    output.values.withUnsafeMutableBufferPointer { buffer in
                        let out = SharedMutablePointer(base: buffer.baseAddress!)
                        options.forEachTask(chunks.count - 1) { chunk in
                            kernel(ptrs.baseAddress!, idx.baseAddress!, vals.baseAddress!, chunks[chunk],
                                   chunks[chunk + 1], out.base)
                        }
                    }
                }
            }
        }
    }

    /// `output = Aᵀ·D` written into an existing `columns × dense.columns` matrix (no new array when
    /// `dense.columns` is a multiple of 16); same bits as ``transposeMultiplied(by:options:plan:)``.
    func transposeMultiply(_ dense: DenseMatrix, into output: inout DenseMatrix, options: ParallelOptions,
                           plan: TransposeProductPlan) {
        let width = dense.columns
        guard width % 16 == 0, nonzeroCount > 0, width > 0, output.rows == columns, output.columns == width,
              dense.rows == rows else {
            output = transposeMultiplied(by: dense, options: options, plan: plan)
            return
        }
        values.withUnsafeBufferPointer { vals in
            columnIndices.withUnsafeBufferPointer { idx in
                plan.rowStarts.withUnsafeBufferPointer { starts in
                    dense.values.withUnsafeBufferPointer { src in
                        output.values.withUnsafeMutableBufferPointer { buffer in
                            buffer.update(repeating: 0)
                            let out = SharedMutablePointer(base: buffer.baseAddress!)
                            options.forEachTask(plan.partCount) { part in
                                mr_sparse_transpose_scatter(starts.baseAddress! + part * rows,
                                                            starts.baseAddress! + (part + 1) * rows,
                                                            idx.baseAddress!, vals.baseAddress!, rows,
                                                            src.baseAddress!, width, out.base)
                            }
                        }
                    }
                }
            }
        }
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

/// How ``CSRMatrix/transposeMultiplied(by:options:plan:)`` splits the columns of a matrix among workers:
/// contiguous column ranges of about equal nonzero count, and for every row where each range's entries start.
///
/// Making it costs one pass over the column indices and a binary search per row and range; reuse it when the
/// same matrix is multiplied several times (as in ``TruncatedSVD``).
public struct TransposeProductPlan: Sendable {
    /// Rows of the matrix the plan was made for.
    public let rows: Int
    /// Stored entries of the matrix the plan was made for.
    public let nonzeroCount: Int
    /// Number of column ranges (one per worker).
    public let partCount: Int
    /// `rowStarts[k·rows + r]`: the first entry of row r whose column is in range k or later; part k's entries
    /// of row r are `rowStarts[k·rows + r] ..< rowStarts[(k+1)·rows + r]` (`partCount + 1` blocks of `rows`).
    let rowStarts: [Int]

    /// Splits the columns of `matrix` into `options.threadCount` ranges (one when serial or small).
    public init(_ matrix: CSRMatrix, options: ParallelOptions = .default) {
        let parts = options.threadCount == 1 || matrix.nonzeroCount < 1 << 14 ? 1 : options.threadCount
        var bounds = [0]
        if parts > 1 {
            // Entries per column, tallied by the workers over slices of the entries (integer sums: any order).
            let slices = parts
            let columnCount = matrix.columns
            var partial = [Int32](repeating: 0, count: slices * columnCount)
            partial.withUnsafeMutableBufferPointer { tally in
                let shared = SharedMutablePointer(base: tally.baseAddress!)
                matrix.columnIndices.withUnsafeBufferPointer { columns in
                    options.forEachTask(slices) { slice in
                        let own = shared.base + slice * columnCount
                        let lower = columns.count * slice / slices
                        let upper = columns.count * (slice + 1) / slices
                        for p in lower..<upper { own[Int(columns[p])] &+= 1 }
                    }
                }
            }
            var counts = [Int](repeating: 0, count: columnCount)
            for slice in 0..<slices {
                for c in 0..<columnCount { counts[c] += Int(partial[slice * columnCount + c]) }
            }
            var running = 0
            for c in 0..<matrix.columns {
                running += counts[c]
                // Close range k after the column where the running count first reaches k/parts of the entries.
                if bounds.count < parts && running * parts >= bounds.count * matrix.nonzeroCount { bounds.append(c + 1) }
            }
        }
        while bounds.count <= parts { bounds.append(matrix.columns) }
        let rows = matrix.rows
        var starts = [Int](repeating: 0, count: (parts + 1) * rows)
        starts.withUnsafeMutableBufferPointer { buffer in
            let out = SharedMutablePointer(base: buffer.baseAddress!)
            options.forEachRange(rows) { range in
                for r in range {
                    let (first, end) = (matrix.rowPointers[r], matrix.rowPointers[r + 1])
                    out.base[r] = first
                    out.base[parts * rows + r] = end
                    for k in 1..<max(parts, 1) {
                        var (lo, hi) = (first, end)   // first entry with column ≥ bounds[k]
                        while lo < hi {
                            let mid = (lo + hi) / 2
                            if Int(matrix.columnIndices[mid]) < bounds[k] { lo = mid + 1 } else { hi = mid }
                        }
                        out.base[k * rows + r] = lo
                    }
                }
            }
        }
        self.rows = rows
        self.nonzeroCount = matrix.nonzeroCount
        self.partCount = parts
        self.rowStarts = starts
    }
}
