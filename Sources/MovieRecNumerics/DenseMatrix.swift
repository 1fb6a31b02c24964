import CMovieRecKernels
/// A dense row-major matrix of `Float`: element (r, c) is `values[r * columns + c]`.
public struct DenseMatrix: Sendable, Equatable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// The elements in row-major order; `values.count == rows * columns`.
    public var values: [Float]

    /// Creates a `rows × columns` matrix with every element equal to `repeating`.
    public init(rows: Int, columns: Int, repeating: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "DenseMatrix: negative shape \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = [Float](repeating: repeating, count: rows * columns)
    }

    /// Creates a `rows × columns` matrix from row-major `values` (`values.count` must be `rows * columns`).
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(rows >= 0 && columns >= 0, "DenseMatrix: negative shape \(rows)×\(columns)")
        precondition(values.count == rows * columns,
                     "DenseMatrix: \(values.count) values for a \(rows)×\(columns) matrix")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A `rows × columns` matrix whose elements are not set: for outputs that a kernel writes in full before
    /// anything reads them (saves zeroing, and the first touch of fresh pages happens on the workers).
    init(uninitializedRows rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0, "DenseMatrix: negative shape \(rows)×\(columns)")
        self.rows = rows
        self.columns = columns
        self.values = [Float](unsafeUninitializedCapacity: rows * columns) { _, count in count = rows * columns }
    }

    /// Element (row, column).
    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// Row `r` as a slice of ``values`` (indices `r·columns ..< (r+1)·columns`).
    public func row(_ r: Int) -> ArraySlice<Float> {
        values[(r * columns)..<((r + 1) * columns)]
    }

    /// The transpose `Aᵀ` (`columns × rows`), with `Aᵀ[c, r] = A[r, c]`.
    public func transposed() -> DenseMatrix {
        var result = [Float](repeating: 0, count: values.count)
        let (m, n) = (rows, columns)
        values.withUnsafeBufferPointer { src in
            result.withUnsafeMutableBufferPointer { dst in
                let block = 32
                for r0 in stride(from: 0, to: m, by: block) {
                    for c0 in stride(from: 0, to: n, by: block) {
                        for r in r0..<min(r0 + block, m) {
                            for c in c0..<min(c0 + block, n) { dst[c * m + r] = src[r * n + c] }
                        }
                    }
                }
            }
        }
        return DenseMatrix(rows: columns, columns: rows, values: result)
    }

    /// The product `C = A·B` with `C[i, j] = Σₗ A[i, l]·B[l, j]` (`other.rows` must equal `columns`).
    ///
    /// SIMD kernel over rows of `B`; rows of `C` are split across `options.threadCount` workers and the
    /// result is bit-identical for any thread count.
    public func multiplied(by other: DenseMatrix, options: ParallelOptions = .default) -> DenseMatrix {
        multiplied(by: other, options: options, otherIsUpperTriangular: false)
    }

    /// `A·B`; when `otherIsUpperTriangular` (`B` square with zeros below the diagonal) the zero terms are skipped.
    func multiplied(by other: DenseMatrix, options: ParallelOptions, otherIsUpperTriangular: Bool) -> DenseMatrix {
        precondition(!otherIsUpperTriangular || other.rows == other.columns, "upper triangular operand must be square")
        precondition(other.rows == columns,
                     "multiplied(by:): \(rows)×\(columns) · \(other.rows)×\(other.columns) do not conform")
        let width = other.columns
        let stride = paddedWidth(width)
        let source = padRows(other.values, rows: other.rows, width: width, stride: stride)
        let indices = (0..<Int32(columns)).map { $0 }
        var output = [Float](repeating: 0, count: rows * stride)
        let inner = columns
        values.withUnsafeBufferPointer { a in
            source.withUnsafeBufferPointer { b in
                indices.withUnsafeBufferPointer { idx in
                    output.withUnsafeMutableBufferPointer { out in
                        guard let pa = a.baseAddress, let pb = b.baseAddress, let pi = idx.baseAddress,
                              let po = out.baseAddress else { return }
                        let shared = SharedMutablePointer(base: po)
                        options.forEachRange(rows) { range in
                            for r in range {
                                accumulateRow(coefficients: pa + r * inner, indices: pi, count: inner,
                                              source: pb, stride: stride, output: shared.base + r * stride,
                                              upperTriangularSource: otherIsUpperTriangular)
                            }
                        }
                    }
                }
            }
        }
        return DenseMatrix(rows: rows, columns: width,
                           values: unpadRows(output, rows: rows, width: width, stride: stride))
    }

    /// Replaces `A` by `A·R` for a square upper triangular `R` (`columns × columns`), row by row in place.
    ///
    /// Gives the same bits as `multiplied(by: r, options:, otherIsUpperTriangular: true)` without a second
    /// `rows × columns` array (each output row depends only on the same input row).
    mutating func multiplyByUpperTriangular(_ r: DenseMatrix, options: ParallelOptions) {
        precondition(r.rows == columns && r.columns == columns, "multiplyByUpperTriangular: R must be \(columns)×\(columns)")
        let width = columns
        guard width % 16 == 0, rows > 0, width > 0 else {
            self = multiplied(by: r, options: options, otherIsUpperTriangular: true)
            return
        }
        // Chunks of 64 rows are copied aside and multiplied four rows at a time (`mr_dense_rows_product`: every
        // term in order from 0, which are the same bits as skipping the zero terms below the diagonal).
        let chunkRows = 64
        r.values.withUnsafeBufferPointer { source in
            values.withUnsafeMutableBufferPointer { buffer in
                let shared = SharedMutablePointer(base: buffer.baseAddress!)
                let factor = SharedPointer(base: source.baseAddress!)
                options.forEachRange((rows + chunkRows - 1) / chunkRows) { range in
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: chunkRows * width)
                    defer { scratch.deallocate() }
                    for chunk in range {
                        let first = chunk * chunkRows
                        let count = min(chunkRows, rows - first)
                        scratch.update(from: shared.base + first * width, count: count * width)
                        mr_dense_rows_product(scratch, width, width, factor.base, width, count,
                                              shared.base + first * width, 0)
                    }
                }
            }
        }
    }

    /// The product `C = Aᵀ·B` (`columns × other.columns`) without forming `Aᵀ`; `other.rows` must equal `rows`.
    ///
    /// `C[i, j] = Σᵣ A[r, i]·B[r, j]`. Rows are summed in fixed blocks of 256 (a SIMD kernel per block,
    /// blocks run in parallel) and the block sums are added in block order in `Double`, so the result does
    /// not depend on the thread count. Suited to tall-skinny Gram products such as `QᵀQ` and `QᵀY`.
    public func transposeMultiplied(by other: DenseMatrix, options: ParallelOptions = .default) -> DenseMatrix {
        let sums = transposeMultipliedInDouble(by: other, options: options)
        return DenseMatrix(rows: columns, columns: other.columns, values: sums.map { Float($0) })
    }

    /// `Aᵀ·B` as row-major `Double` values (`columns × other.columns`); see ``transposeMultiplied(by:options:)``.
    ///
    /// `gramOfSelf` computes `AᵀA` (pass `other == self`): only the upper triangle is summed, then mirrored.
    func transposeMultipliedInDouble(by other: DenseMatrix, options: ParallelOptions = .default,
                                     gramOfSelf: Bool = false) -> [Double] {
        precondition(other.rows == rows,
                     "transposeMultiplied(by:): \(rows)×\(columns)ᵀ · \(other.rows)×\(other.columns) do not conform")
        let a = columns
        let width = other.columns
        let stride = paddedWidth(width)
        let blockRows = 256
        let blockCount = (rows + blockRows - 1) / blockRows
        guard a > 0, width > 0 else { return [Double](repeating: 0, count: a * width) }
        let source = padRows(other.values, rows: other.rows, width: width, stride: stride)
        var partials = [Float](repeating: 0, count: blockCount * a * stride)
        values.withUnsafeBufferPointer { pa in
            source.withUnsafeBufferPointer { pb in
                partials.withUnsafeMutableBufferPointer { out in
                    guard let pa = pa.baseAddress, let pb = pb.baseAddress, let po = out.baseAddress else { return }
                    let shared = SharedMutablePointer(base: po)
                    options.forEachRange(blockCount) { range in
                        for block in range {
                            let start = block * blockRows
                            mr_gram_block(pa + start * a, a, a, pb + start * stride, stride, min(blockRows, rows - start),
                                          shared.base + block * a * stride, gramOfSelf ? 1 : 0)
                        }
                    }
                }
            }
        }
        var result = [Double](repeating: 0, count: a * width)
        partials.withUnsafeBufferPointer { p in
            result.withUnsafeMutableBufferPointer { out in
                let shared = SharedMutablePointer(base: out.baseAddress!)
                options.forEachRange(a) { range in
                    for i in range {
                        let first = gramOfSelf ? i : 0
                        for block in 0..<blockCount {
                            let partial = block * a * stride + i * stride
                            for j in first..<width { shared.base[i * width + j] += Double(p[partial + j]) }
                        }
                    }
                }
            }
        }
        if gramOfSelf {
            for i in 0..<a { for j in 0..<i { result[i * width + j] = result[j * width + i] } }
        }
        return result
    }
}
