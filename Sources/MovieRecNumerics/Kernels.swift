#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The dot product `Σᵢ aᵢ·bᵢ` of two equally long vectors.
///
/// Uses two `SIMD16<Float>` accumulators over 32-element steps, then a scalar tail; the summation
/// order depends only on the length, so the result is deterministic.
public func dot(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
    precondition(a.count == b.count, "dot: lengths differ (\(a.count) vs \(b.count))")
    let n = a.count
    guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return 0 }
    let ra = UnsafeRawPointer(pa)
    let rb = UnsafeRawPointer(pb)
    var acc0 = SIMD16<Float>()
    var acc1 = SIMD16<Float>()
    var i = 0
    while i &+ 32 <= n {
        let offset = i &* 4
        acc0 = acc0 + ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            * rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
        acc1 = acc1 + ra.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
            * rb.loadUnaligned(fromByteOffset: offset &+ 64, as: SIMD16<Float>.self)
        i &+= 32
    }
    if i &+ 16 <= n {
        let offset = i &* 4
        acc0 = acc0 + ra.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            * rb.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
        i &+= 16
    }
    var sum = (acc0 + acc1).sum()
    while i < n {
        sum = sum + pa[i] * pb[i]
        i &+= 1
    }
    return sum
}

/// The dot product `Σᵢ aᵢ·bᵢ` of two equally long arrays (see the buffer overload).
public func dot(_ a: [Float], _ b: [Float]) -> Float {
    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in dot(pa, pb) } }
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

/// Rounds `width` up to a multiple of the SIMD width 16.
@inline(__always)
func paddedWidth(_ width: Int) -> Int {
    (width + 15) & ~15
}

/// Writes one output row `out[c] = Σₜ coefficients[t] · source[indices[t]·stride + c]` for
/// `c ∈ firstColumn ..< stride` (columns before `firstColumn` are left untouched).
///
/// `stride` and `firstColumn` must be multiples of 16 and `source` rows must be `stride` floats apart.
/// Columns are processed in blocks of 64 (four `SIMD16` accumulators) then 16; terms are added in index
/// order, so each output element always sees the same summation order. With `upperTriangularSource`
/// (dense sources indexed 0, 1, 2, … whose row t is zero before column t) the terms that can only add
/// zeros are skipped, which does not change the result.
@inline(__always)
func accumulateRow(
    coefficients: UnsafePointer<Float>, indices: UnsafePointer<Int32>, count: Int,
    source: UnsafePointer<Float>, stride: Int, output: UnsafeMutablePointer<Float>,
    firstColumn: Int = 0, upperTriangularSource: Bool = false
) {
    let out = UnsafeMutableRawPointer(output)
    let src = UnsafeRawPointer(source)
    let rowBytes = stride &* 4
    var column = firstColumn
    while column &+ 64 <= stride {
        let terms = upperTriangularSource ? min(count, column &+ 64) : count
        var a0 = SIMD16<Float>()
        var a1 = SIMD16<Float>()
        var a2 = SIMD16<Float>()
        var a3 = SIMD16<Float>()
        let base = src + column &* 4
        var t = 0
        while t < terms {
            let w = SIMD16<Float>(repeating: coefficients[t])
            let p = base + Int(indices[t]) &* rowBytes
            a0 = a0 + w * p.loadUnaligned(as: SIMD16<Float>.self)
            a1 = a1 + w * p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            a2 = a2 + w * p.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
            a3 = a3 + w * p.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
            t &+= 1
        }
        let o = out + column &* 4
        o.storeBytes(of: a0, as: SIMD16<Float>.self)
        o.storeBytes(of: a1, toByteOffset: 64, as: SIMD16<Float>.self)
        o.storeBytes(of: a2, toByteOffset: 128, as: SIMD16<Float>.self)
        o.storeBytes(of: a3, toByteOffset: 192, as: SIMD16<Float>.self)
        column &+= 64
    }
    while column < stride {
        let terms = upperTriangularSource ? min(count, column &+ 16) : count
        var a0 = SIMD16<Float>()
        let base = src + column &* 4
        var t = 0
        while t < terms {
            let w = SIMD16<Float>(repeating: coefficients[t])
            a0 = a0 + w * (base + Int(indices[t]) &* rowBytes).loadUnaligned(as: SIMD16<Float>.self)
            t &+= 1
        }
        (out + column &* 4).storeBytes(of: a0, as: SIMD16<Float>.self)
        column &+= 16
    }
}

/// Writes `output[0..<16] = Σₜ coefficients[t] · panel[indices[t]·16 ..< +16]` with one `SIMD16`
/// accumulator, adding terms in index order.
@inline(__always)
func accumulatePanelRow(
    coefficients: UnsafePointer<Float>, indices: UnsafePointer<Int32>, count: Int,
    panel: UnsafeRawPointer, output: UnsafeMutablePointer<Float>
) {
    var acc = SIMD16<Float>()
    var t = 0
    while t < count {
        acc = acc + SIMD16<Float>(repeating: coefficients[t])
            * (panel + Int(indices[t]) &* 64).loadUnaligned(as: SIMD16<Float>.self)
        t &+= 1
    }
    UnsafeMutableRawPointer(output).storeBytes(of: acc, as: SIMD16<Float>.self)
}

/// The columns of `matrix`, zero padded to a multiple of 16, as consecutive panels of 16 columns:
/// element (r, c) lands at `(c / 16)·rows·16 + r·16 + c % 16`.
func columnPanels(_ matrix: DenseMatrix) -> [Float] {
    let (rows, width) = (matrix.rows, matrix.columns)
    let panelCount = paddedWidth(width) / 16
    var panels = [Float](repeating: 0, count: panelCount * rows * 16)
    matrix.values.withUnsafeBufferPointer { src in
        panels.withUnsafeMutableBufferPointer { dst in
            for r in 0..<rows {
                for c in 0..<width { dst[(c >> 4) * rows * 16 + r * 16 + (c & 15)] = src[r * width + c] }
            }
        }
    }
    return panels
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

/// A pointer that may be shared with the workers of ``ParallelOptions``; every worker writes a
/// disjoint part of the buffer.
struct SharedMutablePointer<Element>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Element>
}
