import Foundation

/// CSV lines as the server's `COPY … TO STDOUT WITH (FORMAT csv)` writes them, and the check that they are
/// exactly what ``CSVRowWriter`` would have written for the same rows.
///
/// The server quotes a field holding a comma, a quote, CR or LF (and an empty string, to tell it from NULL, which
/// it writes as an empty field, as the writer does); it does not quote a field with a leading or trailing space,
/// which the writer quotes because the importer trims unquoted spaces. So lines with no quote, carriage return or
/// space anywhere are the writer's lines byte for byte (and hold exactly one row per line feed); any other block
/// is read again row by row.
public enum CSVChunk {
    /// Whether the server's CSV `bytes` hold no quote, carriage return or space.
    public static func isPlain(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return true }
        for byte in [UInt8(ascii: "\""), UInt8(ascii: "\r"), UInt8(ascii: " ")]
        where memchr(base, Int32(byte), bytes.count) != nil {
            return false
        }
        return true
    }

    /// ``isPlain(_:)`` for bytes in an array (tests and small blocks).
    public static func isPlain(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isPlain($0) }
    }
}
