import Foundation

/// Writes rows of text fields as RFC 4180 CSV into a byte buffer (the file the file importer then reads).
///
/// A field is quoted when it contains the delimiter, a quote, CR or LF, or starts or ends with a space; quotes
/// are doubled. A missing field (SQL NULL) is written empty. Pure and allocation-light: the row streamer
/// appends the raw bytes of each cell.
public struct CSVRowWriter: Sendable {
    /// The bytes written so far (flush them with ``takeBytes()``).
    public private(set) var bytes: [UInt8] = []
    /// Rows written, header not counted.
    public private(set) var rows = 0

    /// Creates a writer that starts with the header line `header` (names joined by commas), or with nothing.
    public init(header: [String]?) {
        guard let header else { return }
        for (index, name) in header.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            Self.appendField(Array(name.utf8)[...], to: &bytes)
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Appends one row; `nil` fields are written empty.
    public mutating func append<C: BidirectionalCollection>(_ fields: [C?]) where C.Element == UInt8 {
        for (index, field) in fields.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            if let field { Self.appendField(field, to: &bytes) }
        }
        bytes.append(UInt8(ascii: "\n"))
        rows += 1
    }

    /// Returns the bytes written since the last call and empties the buffer.
    public mutating func takeBytes() -> [UInt8] {
        defer { bytes.removeAll(keepingCapacity: true) }
        return bytes
    }

    static func appendField<C: BidirectionalCollection>(_ field: C, to out: inout [UInt8]) where C.Element == UInt8 {
        let needsQuotes = field.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 10 || $0 == 13 }
            || field.first == UInt8(ascii: " ") || field.last == UInt8(ascii: " ")
        guard needsQuotes else {
            out.append(contentsOf: field)
            return
        }
        out.append(UInt8(ascii: "\""))
        for byte in field {
            if byte == UInt8(ascii: "\"") { out.append(byte) }
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
