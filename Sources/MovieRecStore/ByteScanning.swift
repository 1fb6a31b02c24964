import Foundation

/// One field of a delimited line, as byte offsets into the mapped file (surrounding spaces and quotes removed).
struct FieldSlice {
    /// First byte of the field's content.
    var start: Int
    /// One past the last byte.
    var end: Int
    /// The field was quoted and contains doubled quotes (`""`) that must be unescaped.
    var hasEscapedQuotes: Bool

    var isEmpty: Bool { start == end }
}

/// Splits lines of a memory-mapped file into fields without allocating per line.
///
/// Quoted fields (`"a, b"`, with `""` for a quote) are supported inside one line; a quote that is not closed
/// before the end of the line makes the line malformed.
struct FieldSplitter {
    /// The separator.
    let delimiter: FieldDelimiter
    /// Reused storage for the fields of the current line.
    private(set) var fields: [FieldSlice] = []
    /// Number of fields found on the current line (may exceed `fields.count` when capped).
    private(set) var count = 0

    init(delimiter: FieldDelimiter) { self.delimiter = delimiter }

    /// Splits `bytes[start..<end]`. Returns `false` when a quoted field is not terminated properly.
    @inline(__always)
    mutating func split(_ bytes: UnsafePointer<UInt8>, from start: Int, to end: Int) -> Bool {
        fields.removeAll(keepingCapacity: true)
        count = 0
        var position = start
        let quote = UInt8(ascii: "\"")
        while true {
            while position < end && bytes[position] == 0x20 { position += 1 }
            var field: FieldSlice
            if position < end && bytes[position] == quote {
                var cursor = position + 1
                var escaped = false
                var closed = false
                while cursor < end {
                    if bytes[cursor] == quote {
                        if cursor + 1 < end && bytes[cursor + 1] == quote { escaped = true; cursor += 2; continue }
                        closed = true
                        break
                    }
                    cursor += 1
                }
                guard closed else { return false }
                field = FieldSlice(start: position + 1, end: cursor, hasEscapedQuotes: escaped)
                position = cursor + 1
                while position < end && bytes[position] == 0x20 { position += 1 }
                guard position == end || isDelimiter(bytes, at: position, end: end) else { return false }
            } else {
                var cursor = position
                while cursor < end && !isDelimiter(bytes, at: cursor, end: end) { cursor += 1 }
                var last = cursor
                while last > position && bytes[last - 1] == 0x20 { last -= 1 }
                field = FieldSlice(start: position, end: last, hasEscapedQuotes: false)
                position = cursor
            }
            fields.append(field)
            count += 1
            if position >= end { return true }
            position += delimiterLength
        }
    }

    private var delimiterLength: Int {
        if case .doubleColon = delimiter { return 2 }
        return 1
    }

    @inline(__always)
    private func isDelimiter(_ bytes: UnsafePointer<UInt8>, at position: Int, end: Int) -> Bool {
        switch delimiter {
        case .byte(let byte): return bytes[position] == byte
        case .doubleColon:
            return bytes[position] == UInt8(ascii: ":") && position + 1 < end && bytes[position + 1] == UInt8(ascii: ":")
        }
    }
}

/// Iterates the lines of a byte buffer: skips a UTF-8 BOM, strips `\r\n`/`\n`, counts line numbers from 1.
struct LineCursor {
    let bytes: UnsafePointer<UInt8>
    let count: Int
    /// Offset of the next unread byte.
    private(set) var position: Int
    /// The 1-based number of the line last returned.
    private(set) var lineNumber = 0

    init(_ buffer: UnsafeBufferPointer<UInt8>) {
        bytes = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
        count = buffer.count
        let hasBOM = count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        position = hasBOM ? 3 : 0
    }

    /// A cursor over the lines of `buffer[start..<end]` (offsets stay relative to the whole buffer); `start`
    /// must be a line start, and line numbers count from 1 there.
    init(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) {
        bytes = buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!
        count = end
        position = start
    }

    /// The next line's byte range (without line terminator), or `nil` at the end of the buffer.
    @inline(__always)
    mutating func next() -> (start: Int, end: Int)? {
        guard position < count else { return nil }
        let start = position
        var end: Int
        if let found = memchr(bytes + start, 0x0A, count - start) {
            end = bytes.distance(to: found.assumingMemoryBound(to: UInt8.self))
            position = end + 1
        } else {
            end = count
            position = count
        }
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        lineNumber += 1
        return (start, end)
    }
}

/// Byte-level number and text decoding used by the parsers.
enum ByteDecoding {
    /// Outcome of parsing a decimal number.
    enum NumberResult {
        case value(Double)
        case nonFinite
        case invalid
    }

    private static let powersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

    /// Parses `[+-]digits[.digits][(e|E)[+-]digits]`; recognises `nan`/`inf`/`infinity` as ``NumberResult/nonFinite``.
    /// Short inputs are converted exactly: `mantissa / 10^k` with mantissa < 2^53 and k ≤ 22 is correctly rounded.
    @inline(__always)
    static func decimal(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> NumberResult {
        var position = start
        var negative = false
        if position < end && (bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+")) {
            negative = bytes[position] == UInt8(ascii: "-")
            position += 1
        }
        let scan = scanDecimal(bytes, position, end)
        if let magnitude = plainValue(scan, end: end) { return .value(negative ? -magnitude : magnitude) }
        let text = string(bytes, start, end).lowercased()
        if ["nan", "inf", "infinity"].contains(text.trimmingCharacters(in: CharacterSet(charactersIn: "+-"))) {
            return .nonFinite
        }
        guard scan.digits > 0, let value = Double(text) else { return .invalid }
        return value.isFinite ? .value(value) : .nonFinite
    }

    /// The value of an unsigned `digits[.digits]` spanning `bytes[start..<end]` with at most 15 digits (the exact
    /// fast case of ``decimal(_:_:_:)``, which gives the same value), else `nil`.
    @inline(__always)
    static func plainDecimal(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        plainValue(scanDecimal(bytes, start, end), end: end)
    }

    /// The leading `digits[.digits]` of `bytes[start..<end]`: mantissa, digit counts, and where it stopped.
    @inline(__always)
    private static func scanDecimal(
        _ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int
    ) -> (mantissa: UInt64, digits: Int, fractionDigits: Int, position: Int) {
        var position = start
        var mantissa: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        while position < end, case let digit = bytes[position] &- 0x30, digit < 10 {
            mantissa = mantissa &* 10 &+ UInt64(digit)
            digits += 1
            position += 1
        }
        if position < end && bytes[position] == UInt8(ascii: ".") {
            position += 1
            while position < end, case let digit = bytes[position] &- 0x30, digit < 10 {
                mantissa = mantissa &* 10 &+ UInt64(digit)
                digits += 1
                fractionDigits += 1
                position += 1
            }
        }
        return (mantissa, digits, fractionDigits, position)
    }

    /// `mantissa / 10^fractionDigits` when the scan covered the whole field with 1–15 digits.
    @inline(__always)
    private static func plainValue(
        _ scan: (mantissa: UInt64, digits: Int, fractionDigits: Int, position: Int), end: Int
    ) -> Double? {
        guard scan.digits > 0 && scan.position == end && scan.digits <= 15 && scan.fractionDigits <= 22 else { return nil }
        return Double(scan.mantissa) / powersOfTen[scan.fractionDigits]
    }

    /// Parses an optionally negative integer of at most 18 digits.
    @inline(__always)
    static func integer(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int64? {
        var position = start
        var negative = false
        if position < end && bytes[position] == UInt8(ascii: "-") { negative = true; position += 1 }
        guard position < end, end - position <= 18 else { return nil }
        var value: Int64 = 0
        while position < end {
            let digit = bytes[position] &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + Int64(digit)
            position += 1
        }
        return negative ? -value : value
    }

    /// The value of a canonical non-negative decimal (no sign, no leading zero, ≤ 18 digits), else `nil`.
    /// Only canonical integers may take the integer fast path, so `"007"` stays a distinct text id.
    @inline(__always)
    static func canonicalInteger(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        let length = end - start
        guard length > 0, length <= 18, length == 1 || bytes[start] != UInt8(ascii: "0") else { return nil }
        var value = 0
        for position in start..<end {
            let digit = bytes[position] &- 0x30
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    /// Longest line a parser accepts (1 MiB): a longer one is reported at once instead of being decoded.
    static let maximumLineBytes = 1 << 20

    /// Why `bytes[start..<end]` cannot be an id or title kept exactly, or `nil` when it can: a NUL byte, another
    /// C0 control character or DEL, or (unless `latin1`) a sequence that is not UTF-8. Positions are 1-based
    /// byte offsets in the field.
    @inline(__always)
    static func textProblem(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int, latin1: Bool) -> String? {
        var plain = true
        for position in start..<end where bytes[position] < 0x20 || bytes[position] >= 0x7F {
            plain = false
            break
        }
        return plain ? nil : slowTextProblem(bytes, start, end, latin1: latin1)
    }

    private static func slowTextProblem(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int, latin1: Bool) -> String? {
        for position in start..<end {
            let byte = bytes[position]
            if byte == 0 { return "contains a NUL byte (at byte \(position - start + 1))" }
            if byte < 0x20 || byte == 0x7F {
                return "contains the control character " + String(format: "0x%02X", byte) + " (at byte \(position - start + 1))"
            }
        }
        guard !latin1 else { return nil }
        var position = start
        while position < end {
            let byte = bytes[position]
            let length: Int
            switch byte {
            case 0..<0x80: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: length = 0
            }
            var valid = length > 0 && position + length <= end
            if valid && length > 1 {
                for offset in 1..<length where bytes[position + offset] & 0xC0 != 0x80 { valid = false }
                if valid {
                    let second = bytes[position + 1]
                    if (byte == 0xE0 && second < 0xA0) || (byte == 0xED && second > 0x9F)
                        || (byte == 0xF0 && second < 0x90) || (byte == 0xF4 && second > 0x8F) { valid = false }
                }
            }
            guard valid else {
                return "is not valid UTF-8 (byte " + String(format: "0x%02X", byte) + " at byte \(position - start + 1))"
            }
            position += length
        }
        return nil
    }

    /// What a text field must be, for messages after ``textProblem(_:_:_:latin1:)``.
    static func textExpectation(latin1: Bool, problem: String = "") -> String {
        if latin1 { return "latin-1 text without control characters" }
        return problem.contains("UTF-8") ? "UTF-8 text (pass --encoding latin1 for a latin-1 file)"
            : "text without control characters"
    }

    /// Decodes bytes as UTF-8 (invalid sequences become U+FFFD) or, with `latin1`, as ISO 8859-1.
    static func string(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int, latin1: Bool) -> String {
        guard latin1 else { return string(bytes, start, end) }
        var scalars = String.UnicodeScalarView()
        for position in start..<end { scalars.append(UnicodeScalar(bytes[position])) }
        return String(scalars)
    }

    /// The text of a field (see ``string(_:_:)``), decoded as latin-1 when `latin1`.
    static func string(_ bytes: UnsafePointer<UInt8>, _ field: FieldSlice, latin1: Bool) -> String {
        guard latin1 else { return string(bytes, field) }
        let text = string(bytes, field.start, field.end, latin1: true)
        return field.hasEscapedQuotes ? text.replacingOccurrences(of: "\"\"", with: "\"") : text
    }

    /// At most `limit` bytes of `bytes[start..<end]`, decoded leniently, for echoing a bad line.
    static func excerpt(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int, limit: Int = 1024) -> String {
        string(bytes, start, min(end, start + limit))
    }

    /// Decodes bytes as UTF-8 (invalid sequences become U+FFFD).
    static func string(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(start: bytes + start, count: end - start), as: UTF8.self)
    }

    /// The text of a field, with `""` unescaped to `"` when it was quoted.
    static func string(_ bytes: UnsafePointer<UInt8>, _ field: FieldSlice) -> String {
        let text = string(bytes, field.start, field.end)
        return field.hasEscapedQuotes ? text.replacingOccurrences(of: "\"\"", with: "\"") : text
    }
}

/// Maps external ids (as text) to dense indices 0, 1, 2, ... in order of first appearance.
///
/// Canonical integers (MovieLens ids) are looked up by value — in a flat array for values below 2^24 —
/// so the hot loop allocates no `String` per row; other ids go through a `[String: Int32]` table.
struct ExternalIDTable {
    private static let flatLimit = 1 << 24
    private var flat: [Int32] = []
    private var largeIntegers: [Int: Int32] = [:]
    private var texts: [String: Int32] = [:]
    /// Dense index → external id as given.
    private(set) var externalIDs: [String] = []

    /// The dense index of the id in `bytes[field]` (decoded as latin-1 when `latin1`, else UTF-8), adding it
    /// when new.
    @inline(__always)
    mutating func index(_ bytes: UnsafePointer<UInt8>, _ field: FieldSlice, latin1: Bool = false) -> Int32 {
        if !field.hasEscapedQuotes, let value = ByteDecoding.canonicalInteger(bytes, field.start, field.end) {
            return index(integer: value)
        }
        return index(text: ByteDecoding.string(bytes, field, latin1: latin1))
    }

    /// The dense index of the id written as `externalID`, adding it when new (merging tables of file chunks).
    mutating func index(externalID: String) -> Int32 {
        let utf8 = Array(externalID.utf8)
        if let value = utf8.withUnsafeBufferPointer({ buffer in
            buffer.baseAddress.flatMap { ByteDecoding.canonicalInteger($0, 0, buffer.count) }
        }) {
            return index(integer: value)
        }
        return index(text: externalID)
    }

    /// The dense index of the canonical integer id `value`, adding it when new.
    @inline(__always)
    mutating func index(integer value: Int) -> Int32 {
        if value < Self.flatLimit {
            if value >= flat.count {
                flat.append(contentsOf: [Int32](repeating: -1, count: min(max(value + 1, flat.count * 2, 1024), Self.flatLimit) - flat.count))
            }
            let existing = flat[value]
            if existing >= 0 { return existing }
            let next = Int32(externalIDs.count)
            flat[value] = next
            externalIDs.append(String(value))
            return next
        }
        if let existing = largeIntegers[value] { return existing }
        let next = Int32(externalIDs.count)
        largeIntegers[value] = next
        externalIDs.append(String(value))
        return next
    }

    private mutating func index(text: String) -> Int32 {
        if let existing = texts[text] { return existing }
        let next = Int32(externalIDs.count)
        texts[text] = next
        externalIDs.append(text)
        return next
    }
}
