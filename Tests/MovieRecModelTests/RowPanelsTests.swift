import MovieRecNumerics
import Testing
@testable import MovieRecModel

@Suite("Row panels: the best rows through a half-precision first pass")
struct RowPanelsTests {
    /// Unit rows (some repeated, so scores tie; one zero row) in a `rows × columns` matrix, and unit queries.
    static func unitRows(rows: Int, columns: Int, seed: UInt64) -> DenseMatrix {
        var generator = SeededGenerator(seed: seed)
        var m = DenseMatrix(rows: rows, columns: columns)
        for r in 0..<rows {
            if r % 17 == 5 && r > 20 {       // a copy of an earlier row: an exact tie
                for c in 0..<columns { m[r, c] = m[r - 11, c] }
                continue
            }
            guard r != 7 else { continue }   // a zero row
            let v = (0..<columns).map { _ in Float(generator.nextGaussian()) }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for c in 0..<columns { m[r, c] = v[c] / norm }
        }
        return m
    }

    /// The reference: every score of the full-precision product (times its row's scale) offered to a selection.
    static func fullScan(_ panels: RowPanels, _ x: [Float], count: Int, excluding: Int?,
                         scales: [Float]? = nil) -> [TopSelection.Entry] {
        var selection = TopSelection(capacity: count)
        for (row, score) in panels.multiplied(by: x, options: .serial).enumerated() where row != excluding {
            selection.offer(score: score * (scales?[row] ?? 1), index: row)
        }
        return selection.sorted()
    }

    @Test("equals the full-precision scan (rows and bit-identical scores) for any count, exclusion, order and workers",
          arguments: [false, true])
    func matchesFullScan(sortedByNorm: Bool) {
        let (rows, columns) = (1203, 40)        // neither a multiple of 16
        let m = Self.unitRows(rows: rows, columns: columns, seed: 3)
        let half = RowPanels(m, sortedByNorm: sortedByNorm, halfCopy: true)
        let plain = RowPanels(m, sortedByNorm: sortedByNorm)
        #expect(half.halfValues.count == half.values.count && plain.halfValues.isEmpty)
        var generator = SeededGenerator(seed: 4)
        for trial in 0..<12 {
            // Queries: rows of the matrix itself (many near-ties at the top) and random unit vectors.
            var x = trial % 2 == 0 ? Array(m.row(trial * 31 + 1))
                                   : (0..<columns).map { _ in Float(generator.nextGaussian()) }
            let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            x = x.map { $0 / norm }
            for count in [1, 10, 50, rows + 5] {
                let excluded: Int? = trial % 3 == 0 ? nil : trial * 31 + 1
                let expected = Self.fullScan(plain, x, count: count, excluding: excluded)
                for threads in [1, 2] {
                    let options = ParallelOptions(threadCount: threads)
                    #expect(half.best(count, for: x, excluding: excluded, options: options) == expected,
                            "trial \(trial), count \(count), \(threads) workers")
                    #expect(plain.best(count, for: x, excluding: excluded, options: options) == expected)
                }
            }
        }
        #expect(half.best(0, for: Array(m.row(0)), excluding: nil).isEmpty)
    }

    @Test("with per-row scales: the full scan of the scaled scores, one pass, each with its unscaled score",
          arguments: [false, true])
    func scaledMatchesFullScan(sortedByNorm: Bool) {
        let (rows, columns) = (1203, 40)
        let m = Self.unitRows(rows: rows, columns: columns, seed: 5)
        let half = RowPanels(m, sortedByNorm: sortedByNorm, halfCopy: true)
        let plain = RowPanels(m, sortedByNorm: sortedByNorm)
        var generator = SeededGenerator(seed: 6)
        // Support shrinkage n/(n + 20) for n in 0…300: many rows scaled hard, some to 0.
        let scales = (0..<rows).map { _ -> Float in
            let n = Float(generator.next() % 301)
            return n / (n + 20)
        }
        for trial in 0..<8 {
            var x = trial % 2 == 0 ? Array(m.row(trial * 37 + 11))
                                   : (0..<columns).map { _ in Float(generator.nextGaussian()) }
            let norm = x.reduce(0) { $0 + $1 * $1 }.squareRoot()
            x = x.map { $0 / norm }
            let all = plain.multiplied(by: x, options: .serial)
            for count in [1, 10, 64, rows + 5] {
                let excluded: Int? = trial % 3 == 0 ? nil : trial * 37 + 11
                let expected = Self.fullScan(plain, x, count: count, excluding: excluded, scales: scales)
                // Without scales the order differs: the test would fail if the scales were ignored.
                if count == 10 { #expect(expected != Self.fullScan(plain, x, count: count, excluding: excluded)) }
                for (panels, threads) in [(half, 1), (half, 2), (plain, 1)] {
                    let found = panels.best(count, for: x, scaledBy: scales, excluding: excluded,
                                            options: ParallelOptions(threadCount: threads))
                    #expect(found.map(\.entry) == expected, "trial \(trial), count \(count)")
                    #expect(found.allSatisfy { $0.unscaled == all[$0.entry.index] })
                }
            }
        }
    }

    @Test("a tight cluster whose scores differ far below the half-precision error still gives the exact top rows")
    func nearTies() {
        // 300 rows b + 0.003·gᵢ (normalised) around a unit b, among 500 random rows: their cosines with b differ by
        // about 10⁻⁶, far below the first pass's error (about 5·10⁻⁴), so that pass alone would rank them at random.
        let (rows, columns) = (800, 64)
        var generator = SeededGenerator(seed: 9)
        func unit(_ v: [Float]) -> [Float] { let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot(); return v.map { $0 / n } }
        let b = unit((0..<columns).map { _ in Float(generator.nextGaussian()) })
        var m = DenseMatrix(rows: rows, columns: columns)
        for r in 0..<rows {
            let g = (0..<columns).map { _ in Float(generator.nextGaussian()) }
            let v = r % 8 < 3 ? unit(zip(b, g).map { $0 + 0.003 * $1 }) : unit(g)
            for c in 0..<columns { m[r, c] = v[c] }
        }
        let half = RowPanels(m, halfCopy: true)
        for count in [1, 5, 10, 40] {
            let expected = Self.fullScan(half, b, count: count, excluding: 3)
            #expect(half.best(count, for: b, excluding: 3, options: .serial) == expected, "count \(count)")
        }
    }
}
