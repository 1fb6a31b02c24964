import Foundation

/// A plain-text table with a header row, columns padded to their widest cell (counted in characters).
///
/// ```
///    #  title               predicted
///    1  Heat (1995)         4.3 ★★★★½
/// ```
struct TextTable {
    /// How a column's cells are padded.
    enum Alignment {
        /// Text columns.
        case left
        /// Number columns.
        case right
    }

    /// Column titles and alignments.
    let columns: [(title: String, alignment: Alignment)]
    /// The cells, one array per row, one cell per column.
    private(set) var rows: [[String]] = []
    /// Lines printed under a row (e.g. explanations), indented to the second column.
    private var notes: [Int: [String]] = [:]

    /// A table with these columns.
    init(_ columns: [(title: String, alignment: Alignment)]) {
        self.columns = columns
    }

    /// Appends a row (missing cells are empty).
    mutating func append(_ cells: [String]) {
        rows.append(cells + Array(repeating: "", count: max(0, columns.count - cells.count)))
    }

    /// Adds text lines under the last row.
    mutating func note(_ lines: [String]) {
        guard !rows.isEmpty, !lines.isEmpty else { return }
        notes[rows.count - 1, default: []] += lines
    }

    /// The table as lines, each starting with `indent`.
    func render(indent: String = "  ") -> String {
        let widths = columns.indices.map { column in
            rows.reduce(columns[column].title.count) { max($0, $1[column].count) }
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { column, cell -> String in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return columns[column].alignment == .left ? cell + padding : padding + cell
            }
            return indent + padded.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "",
                                                                               options: .regularExpression)
        }
        let noteIndent = indent + String(repeating: " ", count: (widths.first ?? 0) + 2)
        var lines = [line(columns.map(\.title))]
        for (index, row) in rows.enumerated() {
            lines.append(line(row))
            lines += (notes[index] ?? []).map { noteIndent + $0 }
        }
        return lines.joined(separator: "\n")
    }
}

/// A rating as stars on a 5-star scale rounded to the nearest half star, e.g. 4.3 → `★★★★½`, 3.0 → `★★★☆☆`.
func stars(_ rating: Float) -> String {
    let halves = Int((min(max(rating, 0), 5) * 2).rounded())
    let full = halves / 2
    let half = halves % 2
    return String(repeating: "★", count: full) + (half == 1 ? "½" : "") + String(repeating: "☆", count: 5 - full - half)
}

/// `value` with `digits` decimals (locale-independent; never `-0.000`).
func fixed(_ value: Float, _ digits: Int) -> String {
    let text = String(format: "%.\(digits)f", Double(value))
    return text.hasPrefix("-") && text.allSatisfy({ "-0.".contains($0) }) ? String(text.dropFirst()) : text
}
