import CMovieRecKernels
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The dot product `Σᵢ aᵢ·bᵢ` of two equally long vectors.
///
/// 32 running lane sums (element i goes to lane i mod 32) over the multiple-of-16 prefix, folded pairwise,
/// then the tail in order; the order depends only on the length, so the result is deterministic and the
/// same on every instruction set (see `mr_dot`).
public func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    precondition(a.count == b.count, "dot: lengths differ (\(a.count) vs \(b.count))")
    guard a.count > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
    return mr_dot(pa, pb, a.count)
}

/// The dot product `Σᵢ aᵢ·bᵢ` of two equally long arrays (see the buffer overload).
public func dot(_ a: [Float], _ b: [Float]) -> Float {
    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in dot(pa, pb) } }
}

/// `output[c] = Σ_{t < count} coefficients[t] · rows[t·stride + c]` for every `c < stride` (`stride` a multiple
/// of 16): a vector–matrix product with one SIMD lane per output column, terms added in `t` order from 0
/// (so the result is the same on every instruction set).
public func weightedRowSum(coefficients: UnsafePointer<Float>, count: Int, rows: UnsafePointer<Float>, stride: Int,
                           output: UnsafeMutablePointer<Float>) {
    precondition(stride % 16 == 0 && count >= 0, "weightedRowSum: stride \(stride) must be a multiple of 16")
    mr_accumulate_row(coefficients, nil, count, rows, stride, output, 0, 0)
}

/// `out[r·stride + c] = Σ_{t < inner} a[r·aStride + t] · c[t·stride + c]` for `r < rows` and every `c < stride`
/// (`stride` a multiple of 16): a block of queries times a transposed matrix, four query rows sharing each load
/// of a row of `c`. Terms are added in `t` order from 0, so each element has the same bits as
/// ``weightedRowSum(coefficients:count:rows:stride:output:)`` with row `r` of `a` as coefficients.
public func denseRowsProduct(_ a: UnsafePointer<Float>, aStride: Int, inner: Int, times c: UnsafePointer<Float>,
                             stride: Int, rows: Int, output: UnsafeMutablePointer<Float>) {
    precondition(stride % 16 == 0 && inner >= 0 && rows >= 0, "denseRowsProduct: stride \(stride) must be a multiple of 16")
    mr_dense_rows_product(a, aStride, inner, c, stride, rows, output, 0)
}

/// IEEE binary16 bit patterns of `values`, rounded to nearest even (beyond ±65504: ±infinity).
public func halfPrecisionBits(_ values: [Float]) -> [UInt16] {
    let count = values.count
    return [UInt16](unsafeUninitializedCapacity: count) { buffer, initialized in
        values.withUnsafeBufferPointer { source in
            if let input = source.baseAddress, let output = buffer.baseAddress { mr_float_to_half(input, output, count) }
        }
        initialized = count
    }
}

/// First-pass scores of rows stored 16 to a panel in binary16 (value `c` of lane `l` of panel `p` at
/// `(p·columns + c)·16 + l`): `output[16p + l] = Σ_c query[c]·row[c]` for the panels in `panelRange`, summed
/// in `c` order in `Float`. Each score is within `(2⁻¹¹ + columns·2⁻²³)·‖query‖·‖row‖` (plus binary16 underflow,
/// at most `columns·2⁻²⁵·max|query|`) of the full-precision one; the same bits on every instruction set.
public func halfPanelScores(_ panels: UnsafePointer<UInt16>, columns: Int, panelRange: Range<Int>,
                            query: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    mr_half_panel_scores(panels, columns, panelRange.lowerBound, panelRange.upperBound, query, output)
}

/// `output[t] = Σ_c query[c]·row_c` for the binary16 row `rowIndices[t]` of `rows` (bit patterns, rows `stride`
/// halves apart, `stride` a multiple of 16 and `query.count == stride`), rows fetched a few steps ahead. With
/// rows that are binary16 roundings of unit vectors and a query of norm at most 1, each value is within about
/// 2⁻¹¹ of the full-precision cosine: a cheap first pass whose candidates a caller scores again exactly.
public func gatheredHalfDots(query: UnsafeBufferPointer<Float>, rows: UnsafeBufferPointer<UInt16>, stride: Int,
                             rowIndices: UnsafeBufferPointer<Int32>, output: UnsafeMutableBufferPointer<Float>) {
    precondition(stride % 16 == 0 && query.count == stride && output.count >= rowIndices.count,
                 "gatheredHalfDots: stride \(stride), query \(query.count), output \(output.count)")
    mr_gathered_half_dots(query.baseAddress!, rows.baseAddress!, stride, rowIndices.baseAddress!, rowIndices.count,
                          output.baseAddress!)
}

/// ``gatheredHalfDots(query:rows:stride:rowIndices:output:)`` of each of the `queries.count / stride` queries
/// (`stride` floats each, one after another) with the same rows: `output[q·n + t]` (n = `rowIndices.count`) is
/// query q's value for row `rowIndices[t]`, the same bits as the one-query call; each row is read from memory
/// once for all the queries (a batch predicting one film for many users compares them with the same raters).
public func gatheredHalfDots(queries: UnsafeBufferPointer<Float>, rows: UnsafeBufferPointer<UInt16>, stride: Int,
                             rowIndices: UnsafeBufferPointer<Int32>, output: UnsafeMutableBufferPointer<Float>) {
    let queryCount = stride > 0 ? queries.count / stride : 0
    precondition(stride % 16 == 0 && stride > 0 && queries.count == queryCount * stride
                    && output.count >= queryCount * rowIndices.count,
                 "gatheredHalfDots: stride \(stride), queries \(queries.count), output \(output.count)")
    guard queryCount > 0, !rowIndices.isEmpty else { return }
    mr_gathered_half_dots_many(queries.baseAddress!, queryCount, rows.baseAddress!, stride, rowIndices.baseAddress!,
                               rowIndices.count, output.baseAddress!)
}

/// The entries of a user's row (`movies`, `values`: films ascending and their ratings) that both users liked: each
/// film with `liked[film] >= 0` (the other user's rating over their mean, for the films they rated at or above it)
/// and `values[p] >= neighbourMean`, in order, with `min(liked[film], values[p] / neighbourMean)` (Swift's `min`)
/// written to `scores` and the film to `found`. Returns how many were written (`scores` and `found` have room for
/// every entry). Branch-free, so a user's row costs the same whatever share of it matches.
public func sharedScores(movies: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Float>,
                         liked: UnsafeBufferPointer<Float>, neighbourMean: Float,
                         scores: UnsafeMutableBufferPointer<Float>, found: UnsafeMutableBufferPointer<Int32>) -> Int {
    precondition(movies.count == values.count && scores.count >= movies.count && found.count >= movies.count,
                 "sharedScores: \(movies.count) films, \(values.count) values, room for \(scores.count), \(found.count)")
    guard let m = movies.baseAddress, let v = values.baseAddress, let l = liked.baseAddress,
          let s = scores.baseAddress, let f = found.baseAddress else { return 0 }
    precondition(movies.allSatisfy { $0 >= 0 && Int($0) < liked.count }, "sharedScores: a film outside the \(liked.count) liked flags")
    return mr_shared_scores(m, v, movies.count, l, neighbourMean, s, f)
}

/// The mark of a sum no scatter has touched: −0.0 (``scatterAddRows(of:rows:scales:sums:)``).
public let untouchedSum: Float = -0.0

/// Whether `sum`, filled with ``untouchedSum`` before, was touched by ``scatterAddRows(of:rows:scales:sums:)``.
@inline(__always)
public func isTouched(_ sum: Float) -> Bool { sum.bitPattern != untouchedSum.bitPattern }

/// For the rows `rows` of `matrix` in order, row `rows[r]` scaled by `scales[r]`: `sums[c] += scales[r]·v` for each
/// entry (c, v) of the row (the product rounded, then added: the same bits as the plain loop; a −0.0 product is
/// added as +0.0) (``mr_scatter_add_rows``, each next row fetched ahead). `sums` holds an entry for every column.
/// Fill `sums` with ``untouchedSum`` first and the columns of the rows are those that are then ``isTouched(_:)``,
/// each holding the bits a sum from +0.0 would hold.
public func scatterAddRows(of matrix: CSRMatrix, rows: [Int32], scales: [Float], sums: UnsafeMutablePointer<Float>) {
    withScatterRows(rows, scales, rowCount: matrix.rows) { r, s in
        guard matrix.nonzeroCount > 0 else { return }
        matrix.rowPointers.withUnsafeBufferPointer { pointers in
            matrix.columnIndices.withUnsafeBufferPointer { columns in
                matrix.values.withUnsafeBufferPointer { values in
                    mr_scatter_add_rows(pointers.baseAddress!, columns.baseAddress!, values.baseAddress!, r, s,
                                        rows.count, sums)
                }
            }
        }
    }
}

/// Checks the rows and scales of a scatter over a matrix of `rowCount` rows (as many scales as rows, each row
/// inside) and hands their storage to `body`; nothing is called for no rows.
func withScatterRows(_ rows: [Int32], _ scales: [Float], rowCount: Int,
                     _ body: (UnsafePointer<Int32>, UnsafePointer<Float>) -> Void) {
    precondition(rows.count == scales.count, "scatterAddRows: \(rows.count) rows, \(scales.count) scales")
    precondition(rows.allSatisfy { $0 >= 0 && Int($0) < rowCount }, "scatterAddRows: a row outside the \(rowCount) rows")
    guard !rows.isEmpty else { return }
    rows.withUnsafeBufferPointer { r in scales.withUnsafeBufferPointer { s in body(r.baseAddress!, s.baseAddress!) } }
}

/// The `k` best of `scores`, best first (higher score first, ties: lower position first; NaN scores and the position
/// `skip` left out), as their positions and scores (``mr_top_k``): the entries and order a selection offering every
/// score in turn keeps.
public func topK(_ scores: [Float], k: Int, skipping skip: Int = -1) -> (positions: [Int32], scores: [Float]) {
    let room = max(0, min(k, scores.count))
    guard room > 0 else { return ([], []) }
    var kept = [Float](repeating: 0, count: room)
    var positions = [Int32](repeating: 0, count: room)
    let count = scores.withUnsafeBufferPointer { s in
        positions.withUnsafeMutableBufferPointer { p in
            kept.withUnsafeMutableBufferPointer { topK(s, k: room, skipping: skip, positions: p, scores: $0) }
        }
    }
    if count < room {
        positions.removeLast(room - count)
        kept.removeLast(room - count)
    }
    return (positions, kept)
}

/// ``topK(_:k:skipping:)`` into buffers with room for `min(k, scores.count)` entries (a prediction's neighbours
/// without an allocation); returns how many were written.
public func topK(_ scores: UnsafeBufferPointer<Float>, k: Int, skipping skip: Int = -1,
                 positions: UnsafeMutableBufferPointer<Int32>, scores kept: UnsafeMutableBufferPointer<Float>) -> Int {
    let room = max(0, min(k, scores.count))
    guard room > 0 else { return 0 }
    precondition(positions.count >= room && kept.count >= room, "topK: room for \(positions.count), \(kept.count) of \(room)")
    return mr_top_k(scores.baseAddress!, scores.count, skip, room, positions.baseAddress!, kept.baseAddress!)
}

/// Fetches `array[indices[t]]` for every t into the cache ahead of their use (``mr_prefetch_gathered``); changes
/// nothing else.
public func prefetch(_ array: [Float], at indices: UnsafeBufferPointer<Int32>) {
    guard let first = indices.baseAddress, !indices.isEmpty else { return }
    array.withUnsafeBufferPointer { mr_prefetch_gathered($0.baseAddress!, first, indices.count) }
}

/// The first position `t` of `scores` from `start` on with `!(scores[t] < bound)` (NaN counts), or `scores.count`
/// (``mr_first_not_below``: 16 scores a step where the processor allows).
public func firstNotBelow(_ scores: UnsafeBufferPointer<Float>, from start: Int, bound: Float) -> Int {
    guard start < scores.count else { return scores.count }
    return mr_first_not_below(scores.baseAddress!, start, scores.count, bound)
}

/// Softmax attention with a null key (``mr_null_key_softmax``): logits `scale·cosines[t]` and 0 for the null key
/// (value 0), `weights[t]` the neighbours' weights (the one at `own`, when in range, left out with weight 0).
/// Returns `Σ weights[t]·values[t]` (0 without `values`) and the null key's weight. The same bits on every
/// processor: the exponential is built from IEEE arithmetic, not the C library's.
public func nullKeySoftmax(cosines: UnsafeBufferPointer<Float>, values: UnsafeBufferPointer<Float>?, skipping own: Int = -1,
                           scale: Float, weights: UnsafeMutableBufferPointer<Float>) -> (sum: Float, nullWeight: Float) {
    let n = cosines.count
    precondition(weights.count >= n && (values.map { $0.count >= n } ?? true),
                 "nullKeySoftmax: \(n) cosines, \(weights.count) weights, \(values?.count ?? 0) values")
    guard n > 0 else { return (0, 1) }
    var nullWeight: Float = 1
    let sum = mr_null_key_softmax(cosines.baseAddress!, values?.baseAddress, n, own, scale, weights.baseAddress!,
                                  &nullWeight)
    return (sum, nullWeight)
}

/// Where each of the ascending `targets` sits in each row of `rows` of `matrix` (``mr_sorted_row_lookups``): entry
/// `t·rows.count + r` is the position of column `targets[t]` in row `rows[r]` (an index into `columnIndices` and
/// `values`), or -1 when that row has no entry there. Each row is read once for all targets.
public func sortedRowLookups(in matrix: CSRMatrix, rows: [Int32], targets: [Int32]) -> [Int] {
    precondition(rows.allSatisfy { $0 >= 0 && Int($0) < matrix.rows }, "sortedRowLookups: a row outside the \(matrix.rows) rows")
    precondition(zip(targets, targets.dropFirst()).allSatisfy { $0 < $1 }, "sortedRowLookups: targets not ascending")
    guard !rows.isEmpty, !targets.isEmpty else { return [] }
    return [Int](unsafeUninitializedCapacity: rows.count * targets.count) { buffer, initialized in
        matrix.rowPointers.withUnsafeBufferPointer { pointers in
            matrix.columnIndices.withUnsafeBufferPointer { columns in
                rows.withUnsafeBufferPointer { r in
                    targets.withUnsafeBufferPointer { t in
                        // An empty matrix has no column buffer: every lookup misses.
                        if let columnBase = columns.baseAddress {
                            mr_sorted_row_lookups(pointers.baseAddress!, columnBase, r.baseAddress!, rows.count,
                                                  t.baseAddress!, targets.count, buffer.baseAddress!)
                        } else {
                            buffer.initialize(repeating: -1)
                        }
                    }
                }
            }
        }
        initialized = rows.count * targets.count
    }
}

/// The ranking's candidates in ascending film order with their bounds (``mr_bounded_candidates``): every film
/// `i < count` whose `attention[i]` ``isTouched(_:)``, not `rated[i]` (when given) and `allowed[i]` (when given) is
/// written to `indices`,
/// and `scale·attention[i] + reach·norms[i]` to `bounds`. Returns how many were written (both outputs need room
/// for `count`).
public func boundedCandidates(attention: UnsafePointer<Float>, rated: UnsafePointer<Bool>?,
                              allowed: UnsafePointer<Bool>?, norms: UnsafePointer<Float>, scale: Float, reach: Float,
                              count: Int, indices: UnsafeMutablePointer<Int32>, bounds: UnsafeMutablePointer<Float>) -> Int {
    mr_bounded_candidates(attention, rated, allowed, norms, scale, reach, count, indices, bounds)
}

/// An even sample of at most `scanned` entries of `columns[range]`: positions `range.lowerBound + ⌊t·n/s⌋` for
/// `t < s` (n = `range.count`, s = `min(scanned, n)`), skipping entries equal to `excluded`; returns the positions,
/// the entries and, with `ratings` (parallel to `columns`), the ratings at those positions (empty without), in
/// order. The entries are fetched ahead (``mr_strided_sample``).
public func stridedSample(_ columns: [Int32], ratings: [Float]?, range: Range<Int>, scanned: Int,
                          excluding excluded: Int32) -> (positions: [Int], values: [Int32], ratings: [Float]) {
    precondition(range.lowerBound >= 0 && range.upperBound <= columns.count, "stridedSample: range \(range) of \(columns.count)")
    precondition(ratings.map { $0.count == columns.count } ?? true, "stridedSample: ratings not parallel to the entries")
    let capacity = max(0, min(scanned, range.count))
    var written = 0
    var values = [Int32]()
    var sampledRatings = [Float]()
    let positions = [Int](unsafeUninitializedCapacity: capacity) { positionBuffer, positionCount in
        values = [Int32](unsafeUninitializedCapacity: capacity) { valueBuffer, valueCount in
            sampledRatings = [Float](unsafeUninitializedCapacity: ratings == nil ? 0 : capacity) { ratingBuffer, ratingCount in
                columns.withUnsafeBufferPointer { all in
                    if capacity > 0, let base = all.baseAddress {
                        if let ratings {
                            written = ratings.withUnsafeBufferPointer { source in
                                mr_strided_sample(base, range.lowerBound, range.count, capacity, excluded,
                                                  positionBuffer.baseAddress!, valueBuffer.baseAddress!,
                                                  source.baseAddress!, ratingBuffer.baseAddress!)
                            }
                        } else {
                            written = mr_strided_sample(base, range.lowerBound, range.count, capacity, excluded,
                                                        positionBuffer.baseAddress!, valueBuffer.baseAddress!, nil, nil)
                        }
                    }
                }
                ratingCount = ratings == nil ? 0 : written
            }
            valueCount = written
        }
        positionCount = written
    }
    return (positions, values, sampledRatings)
}

/// `output[t] = dot(query, row rowIndices[t] of rows)` for every t, where `rows` holds rows of
/// `query.count` floats back to back; rows are fetched a few steps ahead (for large factor matrices whose
/// rows are not in cache). Each value equals ``dot(_:_:)-(UnsafeBufferPointer<Float>,_)`` of the two rows.
public func gatheredDots(query: UnsafeBufferPointer<Float>, rows: UnsafeBufferPointer<Float>,
                         rowIndices: UnsafeBufferPointer<Int32>, output: UnsafeMutableBufferPointer<Float>) {
    precondition(rowIndices.count == output.count, "gatheredDots: \(rowIndices.count) indices, \(output.count) outputs")
    let d = query.count
    guard d > 0, !rowIndices.isEmpty, let q = query.baseAddress, let base = rows.baseAddress,
          let idx = rowIndices.baseAddress, let out = output.baseAddress else {
        for t in 0..<output.count { output[t] = 0 }
        return
    }
    precondition(rowIndices.allSatisfy { $0 >= 0 && (Int($0) + 1) * d <= rows.count },
                 "gatheredDots: a row index is outside the \(rows.count / d) rows")
    mr_gathered_dots(q, base, d, idx, rowIndices.count, out)
}

/// `output[q·count + t] = dot(query q, row rowIndices[t] of rows)` for the `queries.count / dimension` queries held
/// back to back in `queries` and every t (`count = rowIndices.count`): the same bits as ``gatheredDots(query:rows:rowIndices:output:)``
/// for each query, with each row read from memory once for all the queries (for many queries against the same
/// rows, e.g. many films against the films one user rated).
public func gatheredDots(queries: UnsafeBufferPointer<Float>, dimension d: Int, rows: UnsafeBufferPointer<Float>,
                         rowIndices: UnsafeBufferPointer<Int32>, output: UnsafeMutableBufferPointer<Float>) {
    precondition(d > 0 && queries.count % d == 0, "gatheredDots: \(queries.count) query values for dimension \(d)")
    let queryCount = queries.count / d
    precondition(output.count == queryCount * rowIndices.count,
                 "gatheredDots: \(output.count) outputs for \(queryCount) queries × \(rowIndices.count) rows")
    guard queryCount > 0, !rowIndices.isEmpty, let q = queries.baseAddress, let base = rows.baseAddress,
          let idx = rowIndices.baseAddress, let out = output.baseAddress else {
        for t in 0..<output.count { output[t] = 0 }
        return
    }
    precondition(rowIndices.allSatisfy { $0 >= 0 && (Int($0) + 1) * d <= rows.count },
                 "gatheredDots: a row index is outside the \(rows.count / d) rows")
    mr_gathered_dots_many(q, queryCount, base, d, idx, rowIndices.count, out)
}

/// The numerically stable softmax `softmax(x)ᵢ = exp(xᵢ − m) / Σⱼ exp(xⱼ − m)` with `m = maxⱼ xⱼ`.
///
/// Subtracting the maximum keeps every exponent ≤ 0, so large scores such as (1000, 999) do not
/// overflow; exponentials and their sum are accumulated in `Double`. An empty input gives an empty output.
public func softmax(_ scores: [Float]) -> [Float] {
    guard let maximum = scores.max() else { return [] }
    let m = Double(maximum)
    let exponentials = scores.map { exp(Double($0) - m) }
    var total = 0.0
    for e in exponentials { total += e }
    return exponentials.map { Float($0 / total) }
}

/// Replaces each value by its IEEE binary16 rounding (nearest even), converted back exactly: the values a
/// half-precision product such as ``CSRMatrix/multiplyRounded(_:into:halfBuffer:options:)`` multiplies by.
func roundToHalf(_ values: inout [Float], options: ParallelOptions) {
    let count = values.count
    values.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        let shared = SharedMutablePointer(base: base)
        options.forEachRange((count + 15) / 16) { range in
            let start = range.lowerBound * 16
            mr_round_to_half(shared.base + start, min(range.upperBound * 16, count) - start)
        }
    }
}

/// Rounds `width` up to a multiple of the SIMD width 16.
@inline(__always)
func paddedWidth(_ width: Int) -> Int {
    (width + 15) & ~15
}

/// Writes one output row `out[c] = Σₜ coefficients[t] · source[indices[t]·stride + c]` for
/// `c ∈ firstColumn ..< stride` (columns before `firstColumn` are left untouched).
///
/// `stride` and `firstColumn` must be multiples of 16 and `source` rows must be `stride` floats apart.
/// Terms are added in index order, so each output element always sees the same summation order. With
/// `upperTriangularSource` (dense sources indexed 0, 1, 2, … whose row t is zero before column t) the terms
/// that can only add zeros are skipped, which does not change the result. See `mr_accumulate_row`.
@inline(__always)
func accumulateRow(
    coefficients: UnsafePointer<Float>, indices: UnsafePointer<Int32>, count: Int,
    source: UnsafePointer<Float>, stride: Int, output: UnsafeMutablePointer<Float>,
    firstColumn: Int = 0, upperTriangularSource: Bool = false
) {
    mr_accumulate_row(coefficients, indices, count, source, stride, output, firstColumn,
                      upperTriangularSource ? 1 : 0)
}

/// Copies a row-major `rows × width` array into rows of `stride` floats (zero padded), or returns
/// it unchanged when `stride == width`.
func padRows(_ values: [Float], rows: Int, width: Int, stride: Int) -> [Float] {
    guard stride != width else { return values }
    var padded = [Float](repeating: 0, count: rows * stride)
    values.withUnsafeBufferPointer { src in
        padded.withUnsafeMutableBufferPointer { dst in
            for r in 0..<rows {
                for c in 0..<width { dst[r * stride + c] = src[r * width + c] }
            }
        }
    }
    return padded
}

/// Inverse of ``padRows(_:rows:width:stride:)``: drops the padding columns.
func unpadRows(_ values: [Float], rows: Int, width: Int, stride: Int) -> [Float] {
    guard stride != width else { return values }
    var compact = [Float](repeating: 0, count: rows * width)
    values.withUnsafeBufferPointer { src in
        compact.withUnsafeMutableBufferPointer { dst in
            for r in 0..<rows {
                for c in 0..<width { dst[r * width + c] = src[r * stride + c] }
            }
        }
    }
    return compact
}

/// A read-only pointer that may be shared with the workers of ``ParallelOptions``.
struct SharedPointer<Element>: @unchecked Sendable {
    let base: UnsafePointer<Element>
}

/// A pointer that may be shared with the workers of ``ParallelOptions``; every worker writes a
/// disjoint part of the buffer.
struct SharedMutablePointer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
}
