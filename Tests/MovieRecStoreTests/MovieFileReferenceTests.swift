import Foundation
import Testing
@testable import MovieRecStore

/// The movie-file readers against straightforward reference versions (character by character, Foundation
/// trimming) on random text full of separators, quotes, line breaks, multi-byte and Unicode-space characters.
@Suite("Movie file parser against reference implementations")
struct MovieFileReferenceTests {
    /// RFC 4180 records the simple way: one Unicode scalar at a time into `String`s.
    static func referenceCSVRows(_ text: String) -> [(line: Int, fields: [String]?, raw: String)] {
        var rows: [(line: Int, fields: [String]?, raw: String)] = []
        var fields: [String] = []
        var field = ""
        var raw = ""
        var inQuotes = false
        var line = 1
        var startLine = 1
        let scalars = Array(text.unicodeScalars)
        var index = 0
        let iterator = AnyIterator<UnicodeScalar> {
            defer { index += 1 }
            return index < scalars.count ? scalars[index] : nil
        }
        var pending: UnicodeScalar? = nil
        // A carriage return is a line-break character only before a line feed or at the end of the text.
        func lineBreakCR() -> Bool { pending == nil && (index >= scalars.count || scalars[index] == "\n") }
        func finishRecord() {
            fields.append(field)
            let blank = fields.count == 1 && fields[0].trimmingCharacters(in: .whitespaces).isEmpty
            if !blank { rows.append((startLine, fields, raw)) }
            fields = []
            field = ""
            raw = ""
        }
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if inQuotes {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\""); raw += "\"\""; continue }
                        pending = next
                    }
                    inQuotes = false
                    raw.unicodeScalars.append(scalar)
                } else {
                    if scalar == "\n" { line += 1 }
                    if scalar != "\r" || !lineBreakCR() { field.unicodeScalars.append(scalar) }
                    raw.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.isEmpty:
                inQuotes = true
                raw.unicodeScalars.append(scalar)
            case ",":
                fields.append(field)
                field = ""
                raw.unicodeScalars.append(scalar)
            case "\r" where lineBreakCR():
                continue
            case "\n":
                finishRecord()
                line += 1
                startLine = line
            default:
                field.unicodeScalars.append(scalar)
                raw.unicodeScalars.append(scalar)
            }
        }
        if inQuotes {
            rows.append((startLine, nil, raw))
        } else if !field.isEmpty || !fields.isEmpty {
            finishRecord()
        }
        return rows
    }

    static func randomText(_ generator: inout SeededGeneratorForTests, alphabet: [String], length: Int) -> String {
        (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }.joined()
    }

    @Test("CSV records (fields, line numbers, raw text) equal the scalar-by-scalar reference on random text")
    func csvMatchesReference() {
        let alphabet = ["a", "Z", "7", ",", ",", "\"", "\"", "\r", "\n", "\r\n", " ", "\t", "é", "日本", "\u{A0}", "|", "("]
        var generator = SeededGeneratorForTests(seed: 11)
        for trial in 0..<3000 {
            let text = Self.randomText(&generator, alphabet: alphabet, length: trial % 80)
            let mine = MoviesFormat.csvRows(text)
            let reference = Self.referenceCSVRows(text)
            let same = mine.count == reference.count && zip(mine, reference).allSatisfy {
                $0.line == $1.line && $0.fields == $1.fields && $0.raw == $1.raw
            }
            #expect(same, "text \(text.debugDescription)")
            if !same { break }
        }
    }

    @Test("id trimming equals Foundation's on random text")
    func trimmingMatchesFoundation() {
        let alphabet = ["1", "a", " ", "\t", "\u{A0}", "\u{2003}", "é", "\n"]
        var generator = SeededGeneratorForTests(seed: 13)
        for trial in 0..<5000 {
            let text = Self.randomText(&generator, alphabet: alphabet, length: trial % 7)
            #expect(MoviesFormat.trimmingWhitespace(text) == text.trimmingCharacters(in: .whitespaces),
                    "text \(text.debugDescription)")
        }
    }

    @Test("years read from the bytes equal the general (Foundation) path on random titles, ASCII tails or not")
    func yearMatchesReference() {
        let alphabet = ["1", "9", "9", "5", "2", "0", "(", ")", ")", "-", " ", "\t", "\u{A0}", "\u{2003}", "+", "a", "é", "x"]
        var generator = SeededGeneratorForTests(seed: 12)
        for trial in 0..<20000 {
            let title = "Film " + Self.randomText(&generator, alphabet: alphabet, length: trial % 12)
            #expect(MovieRecord.year(inTitle: title) == MovieRecord.generalYear(inTitle: title), "title \(title.debugDescription)")
        }
        for title in ["Heat (1995)", "Heat (1995)\u{A0}", "Heat ( 1995 )", "Heat (1995\t)", "Heat (\t1995-96)",
                      "Heat (1995\u{2003})", "Heat (+995)", "Heat (19é5)", "(1995)", ")"] {
            #expect(MovieRecord.year(inTitle: title) == MovieRecord.generalYear(inTitle: title), "title \(title.debugDescription)")
        }
    }
}

/// splitmix64, enough for test text.
struct SeededGeneratorForTests {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
