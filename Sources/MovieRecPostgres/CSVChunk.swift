/// A block of CSV lines that the server formatted itself (`string_agg` of `a || ',' || b || …` over many rows),
/// and the check that it is exactly what ``CSVRowWriter`` would have written for the same rows.
///
/// The server joins the fields with commas and nothing else, so the block is only right when no field needs
/// quoting. ``isPlain(_:rows:fields:nullRows:)`` proves that from counts alone: with no row holding a NULL
/// (a NULL line would vanish from the aggregate), exactly `rows − 1` line feeds mean no field holds a line feed,
/// and then exactly `rows × (fields − 1)` commas mean no field holds a comma; no quote, carriage return or space
/// anywhere means nothing else needs quoting (``CSVRowWriter`` quotes fields with a leading or trailing space,
/// and the importer trims unquoted spaces). A block that fails the check is fetched again row by row.
public enum CSVChunk {
    /// Whether `bytes` (the aggregate of `rows` rows of `fields` fields, `nullRows` of which held a NULL) is
    /// exactly the CSV lines of those rows, joined by line feeds without a final one.
    public static func isPlain(_ bytes: UnsafeRawBufferPointer, rows: Int, fields: Int, nullRows: Int) -> Bool {
        guard nullRows == 0, rows > 0, fields > 0 else { return rows == 0 && bytes.isEmpty }
        var lineFeeds = 0
        var commas = 0
        var special = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"): lineFeeds += 1
            case UInt8(ascii: ","): commas += 1
            case UInt8(ascii: "\""), UInt8(ascii: "\r"), UInt8(ascii: " "): special = true
            default: break
            }
        }
        return !special && lineFeeds == rows - 1 && commas == rows * (fields - 1)
    }

    /// ``isPlain(_:rows:fields:nullRows:)`` for bytes in an array (tests and small blocks).
    public static func isPlain(_ bytes: [UInt8], rows: Int, fields: Int, nullRows: Int) -> Bool {
        bytes.withUnsafeBytes { isPlain($0, rows: rows, fields: fields, nullRows: nullRows) }
    }
}
