import CMovieRecKernels

/// The rows of a ``CSRMatrix`` stored compactly for ``scatterAddRows(of:rows:scales:sums:)-(CodedRows,_,_,_)``:
/// 16-bit columns and an 8-bit code per value, the values themselves in a table of at most 256 (a rating set has a
/// handful of distinct ratings). Three bytes an entry instead of eight, the same values exactly.
public struct CodedRows: Sendable {
    /// The matrix's row pointers (shared storage).
    public let rowPointers: [Int]
    /// Column of each entry.
    public let columns: [UInt16]
    /// Code of each entry's value: its position in ``table``.
    public let codes: [UInt8]
    /// The distinct values, in the order the entries first hold them.
    public let table: [Float]

    /// The most distinct values a coded matrix holds.
    public static let tableLimit = 256

    /// Codes `matrix`, or `nil` when it has more than 65,536 columns or more than ``tableLimit`` distinct values
    /// (told apart by their bits, so −0.0 and +0.0 are two values).
    public init?(_ matrix: CSRMatrix) {
        guard matrix.columns <= Int(UInt16.max) + 1 else { return nil }
        // An open-addressed table of the values seen (1,024 slots for at most 256 values; the key is the bits).
        var slots = [UInt32](repeating: 0, count: 1024)
        var slotCodes = [Int16](repeating: -1, count: 1024)
        var distinct: [UInt32] = []
        var codes = [UInt8](repeating: 0, count: matrix.nonzeroCount)
        let complete = matrix.values.withUnsafeBufferPointer { values in
            codes.withUnsafeMutableBufferPointer { out in
                for p in 0..<values.count {
                    let bits = values[p].bitPattern
                    var slot = Int((bits &* 0x9E37_79B1) >> 22)
                    while slotCodes[slot] >= 0 && slots[slot] != bits { slot = (slot + 1) & 1023 }
                    if slotCodes[slot] < 0 {
                        guard distinct.count < Self.tableLimit else { return false }
                        slots[slot] = bits
                        slotCodes[slot] = Int16(distinct.count)
                        distinct.append(bits)
                    }
                    out[p] = UInt8(slotCodes[slot])
                }
                return true
            }
        }
        guard complete else { return nil }
        rowPointers = matrix.rowPointers
        columns = matrix.columnIndices.map { UInt16(truncatingIfNeeded: $0) }
        self.codes = codes
        table = distinct.map(Float.init(bitPattern:))
    }

    /// Number of rows.
    public var rows: Int { rowPointers.count - 1 }

    /// The value of entry `p`.
    public func value(at p: Int) -> Float { table[Int(codes[p])] }
}

/// ``scatterAddRows(of:rows:scales:sums:)`` on the coded copy of the matrix (``mr_scatter_add_coded_rows``): the
/// same sums, bit for bit, from less memory per entry.
public func scatterAddRows(of matrix: CodedRows, rows: [Int32], scales: [Float], sums: UnsafeMutablePointer<Float>) {
    withScatterRows(rows, scales, rowCount: matrix.rows) { r, s in
        guard !matrix.codes.isEmpty else { return }
        matrix.rowPointers.withUnsafeBufferPointer { pointers in
            matrix.columns.withUnsafeBufferPointer { columns in
                matrix.codes.withUnsafeBufferPointer { codes in
                    matrix.table.withUnsafeBufferPointer { table in
                        mr_scatter_add_coded_rows(pointers.baseAddress!, columns.baseAddress!, codes.baseAddress!,
                                                  table.baseAddress!, table.count, r, s, rows.count, sums)
                    }
                }
            }
        }
    }
}
