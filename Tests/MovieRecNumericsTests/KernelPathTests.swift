import CMovieRecKernels
import Foundation
import Testing
@testable import MovieRecNumerics

/// The C kernels: every instruction-set path against the others (bit for bit) and against reference loops.
@Suite("C kernels: instruction-set paths, scatter products, gathered dots", .serialized)
struct KernelPathTests {
    /// Runs `body` once per instruction-set level the machine supports (the baseline always), restoring the
    /// automatic choice afterwards.
    private func perLevel<T>(_ body: () throws -> T) rethrows -> [T] {
        defer { _ = mr_kernel_level_set(-1) }
        var results: [T] = []
        var seen: Set<Int> = []
        for level in 0...2 {
            let used = Int(mr_kernel_level_set(Int32(level)).rawValue)
            guard seen.insert(used).inserted else { continue }
            results.append(try body())
        }
        return results
    }

    @Test("sparse, dense and dot kernels give the same bits on every instruction set")
    func levelsAgree() throws {
        let a = try Fixtures.randomSparse(rows: 157, columns: 83, density: 0.2, seed: 21, emptyRows: [3],
                                          emptyColumns: [9])
        let d = Fixtures.randomDense(rows: 83, columns: 150, seed: 22)        // 150: not a multiple of 16
        let e = Fixtures.randomDense(rows: 157, columns: 37, seed: 23)
        let tall = Fixtures.randomDense(rows: 700, columns: 45, seed: 24)
        let x = Fixtures.randomDense(rows: 1, columns: 1001, seed: 25).values
        let y = Fixtures.randomDense(rows: 1, columns: 1001, seed: 26).values
        let results = perLevel { () -> [[Float]] in
            [a.multiplied(by: d).values, a.transposeMultiplied(by: e).values,
             tall.transposeMultiplied(by: tall).values,
             tall.multiplied(by: Fixtures.randomDense(rows: 45, columns: 20, seed: 27)).values,
             (1...1001).map { n in dot(Array(x.prefix(n)), Array(y.prefix(n))) },
             roundedProduct(a, Fixtures.randomDense(rows: 83, columns: 48, seed: 28)).values]
        }
        #expect(results.count >= 1)
        for other in results.dropFirst() { #expect(other == results[0]) }
    }

    @Test("scatter-add of whole rows: the sums of a plain loop over the rows in order from +0, bit for bit; untouched columns keep the −0.0 mark")
    func scatterAddRowsMatchesLoop() throws {
        let matrix = try Fixtures.randomSparse(rows: 40, columns: 37, density: 0.5, seed: 61, emptyRows: [7],
                                               emptyColumns: [4])
        let rows: [Int32] = [3, 7] + (0..<40).reversed().map(Int32.init) + [25]   // the empty row 7, repeated rows
        let scales: [Float] = rows.indices.map { Float($0 % 7) * 0.375 - 1 }
        var expectedSums = [Float](repeating: 0, count: 37)
        var expectedTouched = [Bool](repeating: false, count: 37)
        for (row, scale) in zip(rows, scales) {
            for p in matrix.rowPointers[Int(row)]..<matrix.rowPointers[Int(row) + 1] {
                let i = Int(matrix.columnIndices[p])
                expectedTouched[i] = true
                let term = scale * matrix.values[p]
                expectedSums[i] += term
            }
        }
        #expect(expectedTouched.filter { $0 }.count == 36, "every column but the empty one is touched")
        var sums = [Float](repeating: untouchedSum, count: 37)
        scatterAddRows(of: matrix, rows: rows, scales: scales, sums: &sums)
        #expect(sums.map(isTouched) == expectedTouched)
        for i in 0..<37 where expectedTouched[i] { #expect(sums[i].bitPattern == expectedSums[i].bitPattern, "column \(i)") }
        #expect(sums[4].bitPattern == untouchedSum.bitPattern)
    }

    @Test("scatter-add: a column touched only by terms of ±0 (a zero scale, a negative value) is touched, with +0.0")
    func scatterAddZeroTerms() throws {
        // Row 0: columns 0 (−2) and 2 (3); row 1: column 2 (−1). Column 1 is in no row.
        let matrix = try CSRMatrix(rows: 2, columns: 3, rowPointers: [0, 2, 3], columnIndices: [0, 2, 2], values: [-2, 3, -1])
        var sums = [Float](repeating: untouchedSum, count: 3)
        // Scale +0: the terms are 0 × −2 = −0.0 and 0 × 3 = +0.0; then row 1 adds 0.5 × −1 to column 2.
        scatterAddRows(of: matrix, rows: [0, 1], scales: [0, 0.5], sums: &sums)
        #expect(sums.map(isTouched) == [true, false, true])
        #expect(sums[0].bitPattern == Float(0).bitPattern && sums[2] == -0.5)
        #expect(sums[1].bitPattern == untouchedSum.bitPattern)
    }

    @Test("scatter-add from the coded copy (16-bit columns, 8-bit value codes) gives the plain matrix's sums bit for bit, on every instruction set")
    func codedScatterMatchesPlain() throws {
        // Ratings on a half-star grid, −0.0 and +0.0 among them (two codes), and an empty row.
        var generator = SeededGenerator(seed: 63)
        let plain = try Fixtures.randomSparse(rows: 50, columns: 300, density: 0.3, seed: 62, emptyRows: [5],
                                              emptyColumns: [0])
        let values = plain.values.enumerated().map { p, _ -> Float in
            p % 97 == 0 ? -0.0 : p % 89 == 0 ? 0 : Float(Int.random(in: 1...10, using: &generator)) / 2
        }
        let matrix = try CSRMatrix(rows: 50, columns: 300, rowPointers: plain.rowPointers,
                                   columnIndices: plain.columnIndices, values: values)
        let coded = try #require(CodedRows(matrix))
        #expect(coded.table.count == 12, "ten half stars, −0.0 and +0.0")
        #expect((0..<matrix.nonzeroCount).allSatisfy { coded.value(at: $0).bitPattern == values[$0].bitPattern })
        let rows: [Int32] = [5, 49, 0] + (0..<50).map { Int32(($0 * 7) % 50) } + [49]
        let scales: [Float] = rows.indices.map { $0 % 5 == 0 ? 0 : Float($0 % 11) * 0.173 - 0.9 }
        for _ in perLevel({ () }) {
            var expected = [Float](repeating: untouchedSum, count: 300)
            var sums = [Float](repeating: untouchedSum, count: 300)
            scatterAddRows(of: matrix, rows: rows, scales: scales, sums: &expected)
            scatterAddRows(of: coded, rows: rows, scales: scales, sums: &sums)
            #expect(sums.map(\.bitPattern) == expected.map(\.bitPattern))
            #expect(sums.contains { !isTouched($0) } && sums.contains(where: isTouched))
        }
    }

    @Test("a matrix is not coded when its values or columns do not fit: over 256 distinct values, over 65,536 columns")
    func codedRowsLimits() throws {
        let many = try CSRMatrix(rows: 1, columns: 300, rowPointers: [0, 257], columnIndices: (0..<257).map(Int32.init),
                                 values: (0..<257).map { Float($0) / 4 })
        #expect(CodedRows(many) == nil)
        let fits = try CSRMatrix(rows: 1, columns: 300, rowPointers: [0, 256], columnIndices: (0..<256).map(Int32.init),
                                 values: (0..<256).map { Float($0) / 4 })
        #expect(CodedRows(fits)?.table.count == 256)
        let wide = try CSRMatrix(rows: 2, columns: 65_537, rowPointers: [0, 1, 2], columnIndices: [65_535, 65_536],
                                 values: [1, 2])
        #expect(CodedRows(wide) == nil)
        let widest = try CSRMatrix(rows: 2, columns: 65_536, rowPointers: [0, 1, 2], columnIndices: [0, 65_535],
                                   values: [1, 2])
        #expect(CodedRows(widest)?.columns == [0, 65_535])
    }

    @Test("first not below: the first position from the start whose score is not below the bound (NaN counts), on every instruction set",
          arguments: [0, 1, 15, 16, 17, 40, 1000])
    func firstNotBelowMatchesLoop(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count) + 77)
        let scores: [Float] = (0..<count).map { _ in
            Int.random(in: 0..<50, using: &generator) == 0 ? .nan : Float(Int.random(in: -20...20, using: &generator)) / 10
        }
        for bound: Float in [-3, -0.5, 0, 1.5, 1.9, 2.1] {
            for start in Set([0, 1, count / 2, max(count - 1, 0), count, count + 2]) {
                let expected = (start..<max(start, count)).first { !(scores[$0] < bound) } ?? count
                for found in perLevel({ scores.withUnsafeBufferPointer { firstNotBelow($0, from: start, bound: bound) } }) {
                    #expect(found == expected, "bound \(bound), start \(start)")
                }
            }
        }
    }

    @Test("top k: the k best by score then lower position, NaN and the skipped position left out, as a full sort gives, on every instruction set",
          arguments: [0, 1, 5, 40, 41, 160, 1000, 1024, 1025, 3000])
    func topKMatchesSort(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count) + 91)
        // Scores on a coarse grid, so many tie (−0.0 and +0.0 among them, which tie), with some NaN; a continuous
        // part so the selection's pivot falls between distinct scores too.
        let scores: [Float] = (0..<count).map { t in
            if Int.random(in: 0..<20, using: &generator) == 0 { return .nan }
            if t % 3 == 0 { return Float.random(in: -1...1, using: &generator) }
            let grid = Float(Int.random(in: -8...8, using: &generator)) / 8
            return grid == 0 && t % 2 == 0 ? -0.0 : grid
        }
        for k in [0, 1, 7, 40, count / 3, count + 3] {
            for skip in [-1, 0, count / 2, count - 1] {
                let expected = scores.indices.filter { $0 != skip && !scores[$0].isNaN }
                    .sorted { (scores[$0], -$0) > (scores[$1], -$1) }.prefix(max(k, 0))
                for kept in perLevel({ topK(scores, k: k, skipping: skip) }) {
                    #expect(kept.positions.map(Int.init) == Array(expected), "k \(k), skip \(skip)")
                    #expect(kept.scores.map(\.bitPattern) == expected.map { scores[$0].bitPattern })
                }
            }
        }
    }

    @Test("sorted row lookups: each target's position in each row, as a linear search of the row finds it")
    func sortedRowLookupsMatchSearch() throws {
        let matrix = try Fixtures.randomSparse(rows: 30, columns: 41, density: 0.4, seed: 71, emptyRows: [2],
                                               emptyColumns: [0, 40])
        let rows: [Int32] = [2, 29, 0, 13, 13, 7]   // an empty row, a repeated row
        // The first and last columns (in no row), columns inside rows, and ones some rows skip.
        let targets: [Int32] = [0, 1, 5, 6, 17, 18, 30, 39, 40]
        let positions = sortedRowLookups(in: matrix, rows: rows, targets: targets)
        #expect(positions.count == rows.count * targets.count)
        var hits = 0
        for (t, target) in targets.enumerated() {
            for (r, row) in rows.enumerated() {
                let range = matrix.rowPointers[Int(row)]..<matrix.rowPointers[Int(row) + 1]
                let expected = range.first { matrix.columnIndices[$0] == target } ?? -1
                #expect(positions[t * rows.count + r] == expected, "target \(target), row \(row)")
                if expected >= 0 { hits += 1 }
            }
        }
        #expect(hits > 10 && hits < rows.count * targets.count - 10, "both hits and misses are checked")
        #expect(sortedRowLookups(in: matrix, rows: [], targets: targets).isEmpty)
        #expect(sortedRowLookups(in: matrix, rows: rows, targets: []).isEmpty)
    }

    @Test("bounded candidates: the touched (not −0.0), unexcluded films in order with a·A + r·‖v‖, on every instruction set",
          arguments: [0, 1, 15, 16, 17, 63, 1000])
    func boundedCandidatesMatchLoop(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count) + 5)
        let norms = (0..<count).map { _ in Float.random(in: 0...2, using: &generator) }
        let touched = (0..<count).map { _ in Bool.random(using: &generator) }
        // Touched films hold a sum (+0.0 among them); the others the untouched mark −0.0.
        let attention = (0..<count).map { i -> Float in
            touched[i] ? (i % 9 == 0 ? 0 : Float.random(in: -1...3, using: &generator)) : untouchedSum
        }
        let rated = (0..<count).map { _ in Int.random(in: 0..<5, using: &generator) == 0 }
        let allowed = (0..<count).map { _ in Int.random(in: 0..<4, using: &generator) != 0 }
        let (a, r): (Float, Float) = (0.37, 1.91)
        for (useRated, useAllowed) in [(false, false), (true, false), (true, true), (false, true)] {
            // The reference: a plain loop, each product rounded to Float before the sum.
            var expectedIndices: [Int32] = []
            var expectedBounds: [Float] = []
            for i in 0..<count where touched[i] && !(useRated && rated[i]) && !(useAllowed && !allowed[i]) {
                let part = a * attention[i]
                let room = r * norms[i]
                expectedIndices.append(Int32(i))
                expectedBounds.append(part + room)
            }
            let results = perLevel { () -> ([Int32], [Float]) in
                var indices = [Int32](repeating: -1, count: max(count, 1))
                var bounds = [Float](repeating: .nan, count: max(count, 1))
                let written = attention.withUnsafeBufferPointer { at in
                    rated.withUnsafeBufferPointer { ra in
                        allowed.withUnsafeBufferPointer { al in
                            norms.withUnsafeBufferPointer { n in
                                boundedCandidates(attention: at.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                                  rated: useRated ? ra.baseAddress : nil,
                                                  allowed: useAllowed ? al.baseAddress : nil,
                                                  norms: n.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                                  scale: a, reach: r, count: count, indices: &indices, bounds: &bounds)
                            }
                        }
                    }
                }
                return (Array(indices.prefix(written)), Array(bounds.prefix(written)))
            }
            for (indices, bounds) in results {
                #expect(indices == expectedIndices, "rated \(useRated), allowed \(useAllowed)")
                #expect(bounds == expectedBounds, "rated \(useRated), allowed \(useAllowed)")
            }
        }
    }

    /// `A·D̃` through ``CSRMatrix/multiplyRounded(_:into:halfBuffer:options:)``.
    private func roundedProduct(_ a: CSRMatrix, _ d: DenseMatrix, threads: Int = 2) -> DenseMatrix {
        var output = DenseMatrix(rows: a.rows, columns: d.columns)
        var scratch: [UInt16] = []
        a.multiplyRounded(d, into: &output, halfBuffer: &scratch, options: ParallelOptions(threadCount: threads))
        return output
    }

    #if !(os(macOS) && arch(x86_64))   // Swift has no Float16 on Intel Macs
    @Test("A·D with D rounded to half precision equals the product with Float(Float16(d)) bit for bit, any workers")
    func halfOperand() throws {
        let a = try Fixtures.randomSparse(rows: 120, columns: 70, density: 0.3, seed: 71, emptyRows: [5])
        var d = Fixtures.randomDense(rows: 70, columns: 32, seed: 72)
        // Also values that round to half subnormals, ties and large magnitudes.
        d.values[0] = 3e-6; d.values[1] = -6.1e-5; d.values[2] = 1 + 0x1p-11; d.values[3] = 1 + 3 * 0x1p-11
        d.values[4] = 60000; d.values[5] = -0.0
        let rounded = DenseMatrix(rows: 70, columns: 32, values: d.values.map { Float(Float16($0)) })
        let expected = a.multiplied(by: rounded)
        for threads in 1...3 { #expect(roundedProduct(a, d, threads: threads).values == expected.values) }
        #expect(rounded.values[2] == 1 && rounded.values[3] == 1 + 0x1p-9)   // ties to even
    }
    #endif

    @Test("Aᵀ·D by scattering equals the product with the transposed copy bit for bit, for 1–3 workers",
          arguments: [(1, 1, 1), (40, 30, 16), (97, 211, 74), (300, 120, 33)])
    func scatterMatchesTranspose(shape: (Int, Int, Int)) throws {
        let (m, n, w) = shape
        let a = try Fixtures.randomSparse(rows: m + 2, columns: n + 1, density: m > 200 ? 0.5 : 0.3,
                                          seed: UInt64(m), emptyRows: [0], emptyColumns: [n])
        let d = Fixtures.randomDense(rows: m + 2, columns: w, seed: 31)
        let expected = a.transposed().multiplied(by: d)
        for threads in 1...3 {
            let options = ParallelOptions(threadCount: threads)
            let product = a.transposeMultiplied(by: d, options: options)
            #expect(product.rows == n + 1 && product.columns == w)
            #expect(product.values == expected.values, "\(threads) workers")
            #expect(product.row(n).allSatisfy { $0 == 0 })
        }
        #expect(Fixtures.maxDifference(expected.values, Fixtures.referenceProduct(a.toDense().transposed(), d)) < 1e-4)
    }

    @Test("a reused plan splits the columns into ranges of about equal entry count")
    func planBalances() throws {
        let a = try Fixtures.randomSparse(rows: 400, columns: 90, density: 0.5, seed: 41)
        let plan = TransposeProductPlan(a, options: ParallelOptions(threadCount: 2))
        #expect(plan.partCount == 2 && plan.rows == 400)
        let first = (0..<400).map { plan.rowStarts[400 + $0] - plan.rowStarts[$0] }.reduce(0, +)
        #expect(abs(Double(first) / Double(a.nonzeroCount) - 0.5) < 0.05, "first range holds \(first) of \(a.nonzeroCount)")
        let d = Fixtures.randomDense(rows: 400, columns: 16, seed: 42)
        #expect(a.transposeMultiplied(by: d, plan: plan).values == a.transposed().multiplied(by: d).values)
    }

    @Test("gathered dots equal dot of each gathered row")
    func gatheredDotsMatch() {
        let rows = Fixtures.randomDense(rows: 50, columns: 37, seed: 51)
        let query = Fixtures.randomDense(rows: 1, columns: 37, seed: 52).values
        let picks: [Int32] = [49, 0, 7, 7, 23, 1]
        var out = [Float](repeating: -1, count: picks.count)
        query.withUnsafeBufferPointer { q in
            rows.values.withUnsafeBufferPointer { r in
                picks.withUnsafeBufferPointer { p in
                    out.withUnsafeMutableBufferPointer { gatheredDots(query: q, rows: r, rowIndices: p, output: $0) }
                }
            }
        }
        for (t, row) in picks.enumerated() {
            #expect(out[t] == dot(query, Array(rows.row(Int(row)))))
            let reference = (0..<37).reduce(0.0) { $0 + Double(query[$1]) * Double(rows[Int(row), $1]) }
            #expect(abs(Double(out[t]) - reference) < 1e-4)
        }
    }

    @Test("gathered dots of 16 rows at a time (one fold of 16 vectors) equal a scalar reference folded lane by lane, bit for bit, on every instruction set",
          arguments: [8, 37, 40, 64, 100])
    func gatheredDotBlocks(dimension: Int) {
        let rows = Fixtures.randomDense(rows: 61, columns: dimension, seed: 53)
        let query = Fixtures.randomDense(rows: 1, columns: dimension, seed: 54).values
        // Two blocks of 16 and a rest of 5; rows repeated and out of order.
        let picks = (0..<37).map { Int32(($0 * 29 + 3) % 61) }
        /// mr_dot's order written out: two 16-lane accumulators over 32-float steps (a 16-float step more into the
        /// first), added; the lanes folded lo + hi down to one; then the remaining elements one by one.
        func reference(_ row: Int) -> Float {
            var (first, second) = ([Float](repeating: 0, count: 16), [Float](repeating: 0, count: 16))
            var i = 0
            while i + 32 <= dimension {
                for l in 0..<16 {
                    first[l] = first[l] + query[i + l] * rows[row, i + l]
                    second[l] = second[l] + query[i + 16 + l] * rows[row, i + 16 + l]
                }
                i += 32
            }
            if i + 16 <= dimension {
                for l in 0..<16 { first[l] = first[l] + query[i + l] * rows[row, i + l] }
                i += 16
            }
            var lanes = (0..<16).map { first[$0] + second[$0] }
            var width = 16
            while width > 1 {
                width /= 2
                for l in 0..<width { lanes[l] = lanes[l] + lanes[l + width] }
            }
            var sum = lanes[0]
            for j in i..<dimension { sum = sum + query[j] * rows[row, j] }
            return sum
        }
        let expected = picks.map { reference(Int($0)) }
        let results = perLevel { () -> [Float] in
            var out = [Float](repeating: .nan, count: picks.count)
            query.withUnsafeBufferPointer { q in
                rows.values.withUnsafeBufferPointer { r in
                    picks.withUnsafeBufferPointer { p in
                        out.withUnsafeMutableBufferPointer { gatheredDots(query: q, rows: r, rowIndices: p, output: $0) }
                    }
                }
            }
            return out
        }
        for result in results {
            #expect(result.map(\.bitPattern) == expected.map(\.bitPattern))
            #expect(result == picks.map { dot(query, Array(rows.row(Int($0)))) })
        }
    }

    @Test("gathered dots of many queries at once equal gathered dots of each query, bit for bit, on every instruction set",
          arguments: [8, 37, 64, 100])
    func gatheredDotsOfManyQueries(dimension: Int) {
        let rows = Fixtures.randomDense(rows: 61, columns: dimension, seed: 55)
        let queries = Fixtures.randomDense(rows: 7, columns: dimension, seed: 56).values
        let picks = (0..<45).map { Int32(($0 * 17 + 11) % 61) }   // two blocks of 16 and a rest of 13
        let results = perLevel { () -> (many: [Float], single: [Float]) in
            var many = [Float](repeating: .nan, count: 7 * picks.count)
            var single = [Float](repeating: .nan, count: 7 * picks.count)
            queries.withUnsafeBufferPointer { q in
                rows.values.withUnsafeBufferPointer { r in
                    picks.withUnsafeBufferPointer { p in
                        many.withUnsafeMutableBufferPointer {
                            gatheredDots(queries: q, dimension: dimension, rows: r, rowIndices: p, output: $0)
                        }
                        single.withUnsafeMutableBufferPointer { out in
                            for query in 0..<7 {
                                gatheredDots(query: UnsafeBufferPointer(rebasing: q[(query * dimension)..<((query + 1) * dimension)]),
                                             rows: r, rowIndices: p,
                                             output: UnsafeMutableBufferPointer(rebasing: out[(query * picks.count)..<((query + 1) * picks.count)]))
                            }
                        }
                    }
                }
            }
            return (many, single)
        }
        for result in results {
            #expect(result.many.map(\.bitPattern) == result.single.map(\.bitPattern))
            #expect(!result.many.contains { $0.isNaN })
        }
    }

    /// `softmax(0, scale·c₀, …)` in Double with the C library's `exp`: the neighbours' weights (`own` left out,
    /// weight 0), the null key's weight and `Σ w·value`. The logits and their differences to the largest are
    /// Float, as in the kernel (the exponent's rounding is not what is tested).
    private func referenceSoftmax(_ cosines: [Float], values: [Float], own: Int, scale: Float)
        -> (weights: [Double], null: Double, sum: Double) {
        let logits = cosines.map { $0 * scale }
        let m = logits.indices.filter { $0 != own }.map { logits[$0] }.reduce(Float(0), max)
        let e = logits.indices.map { $0 == own ? 0 : Foundation.exp(Double(logits[$0] - m)) }
        let mDouble = Double(m)
        let total = e.reduce(Foundation.exp(-mDouble), +)
        let weights = e.map { $0 / total }
        return (weights, Foundation.exp(-mDouble) / total, zip(weights, values).map { $0 * Double($1) }.reduce(0, +))
    }

    @Test("null-key softmax: weights, null weight and weighted sum within a few ulp of a Double reference, the same bits on every instruction set",
          arguments: [0, 1, 15, 16, 17, 40, 100, 1000])
    func nullKeySoftmaxMatchesReference(count: Int) {
        var generator = SeededGenerator(seed: UInt64(count) + 7)
        let cosines = (0..<count).map { _ in Float.random(in: -1...1, using: &generator) }
        let values = (0..<count).map { _ in Float.random(in: 0...2, using: &generator) }
        for (own, scale) in [(-1, Float(80)), (count / 2, Float(8)), (count - 1, Float(0.5))] {
            let results = perLevel { () -> (weights: [Float], sum: Float, null: Float) in
                var weights = [Float](repeating: .nan, count: count)
                let (sum, null) = cosines.withUnsafeBufferPointer { c in
                    values.withUnsafeBufferPointer { v in
                        weights.withUnsafeMutableBufferPointer {
                            nullKeySoftmax(cosines: c, values: v, skipping: own, scale: scale, weights: $0)
                        }
                    }
                }
                return (weights, sum, null)
            }
            let reference = referenceSoftmax(cosines, values: values, own: own, scale: scale)
            for result in results {
                #expect(result.weights.map(\.bitPattern) == results[0].weights.map(\.bitPattern))
                #expect(result.sum.bitPattern == results[0].sum.bitPattern && result.null.bitPattern == results[0].null.bitPattern)
            }
            let result = results[0]
            for (w, expected) in zip(result.weights, reference.weights) {
                // Weights below 2⁻¹²⁶ of the largest are flushed to 0 (e^x below −87); above, a few ulp.
                #expect(abs(Double(w) - expected) <= 1e-6 * expected + 1e-37, "\(w) vs \(expected)")
            }
            if own >= 0 && own < count { #expect(result.weights[own] == 0) }
            #expect(abs(Double(result.null) - reference.null) <= 1e-6 * reference.null + 1e-37)
            #expect(abs(Double(result.sum) - reference.sum) <= 1e-5 * reference.sum + 1e-30)
            if count == 0 { #expect(result.null == 1 && result.sum == 0) }
        }
    }

    @Test("null-key softmax: exponents far below the largest give weight 0, and a logit of 0 against the null key gives ½")
    func nullKeySoftmaxEdges() {
        var weights = [Float](repeating: .nan, count: 3)
        let cosines: [Float] = [1, -1, 0]
        let (_, null) = cosines.withUnsafeBufferPointer { c in
            weights.withUnsafeMutableBufferPointer { nullKeySoftmax(cosines: c, values: nil, scale: 100, weights: $0) }
        }
        // Logits 100, −100, 0: the second is e^−200 of the first (0 in Float); the null key and the third e^−100 (0).
        #expect(weights == [1, 0, 0] && null == 0)
        var half = [Float](repeating: .nan, count: 1)
        let zero: [Float] = [0]
        let (_, evenNull) = zero.withUnsafeBufferPointer { c in
            half.withUnsafeMutableBufferPointer { nullKeySoftmax(cosines: c, values: nil, scale: 3, weights: $0) }
        }
        #expect(half == [0.5] && evenNull == 0.5)
    }

    @Test("the dot product folds its lanes pairwise: exact on integers, and on a known rounding case")
    func dotOrder() {
        let n = 70
        let a = (0..<n).map { Float($0 % 7) - 3 }
        let b = (0..<n).map { Float($0 % 5) }
        var exact = 0
        for i in 0..<n { exact += (i % 7 - 3) * (i % 5) }
        #expect(dot(a, b) == Float(exact))
        // 2²⁴ + 1 + … : in sequential order the 1s vanish; lane-wise they are summed apart from 2²⁴ first.
        var big = [Float](repeating: 1, count: 32)
        big[0] = 16_777_216
        let ones = [Float](repeating: 1, count: 32)
        // Lane sums: lane 0 = 2²⁴, lanes 1…31 = 1; folds (i, i+16) → lane 0 = 2²⁴ + 1 (rounds to 2²⁴), lanes
        // 1…15 = 2; then 8, 4, 2, 1 lanes: the 2s add up to 30 before meeting lane 0: 2²⁴ + 30 exactly.
        #expect(dot(big, ones) == 16_777_216 + 30)
    }

    @Test("without left vectors: the same σ and V, an empty U (randomized and dense paths)")
    func withoutLeftVectors() throws {
        for (m, n, rank) in [(300, 90, 5), (40, 12, 4)] {   // the second takes the dense path (l ≥ min(m, n))
            let a = try Fixtures.randomSparse(rows: m, columns: n, density: 0.4, seed: UInt64(m))
            let full = try TruncatedSVD(rank: rank).decompose(a)
            let lean = try TruncatedSVD(rank: rank).decompose(a, leftVectors: false)
            #expect(lean.singularValues == full.singularValues && lean.v == full.v)
            #expect(lean.u.rows == 0 && lean.u.columns == rank && full.u.rows == m)
        }
    }

    @Test("Cholesky QR reports the condition number of a column-scaled orthonormal matrix")
    func conditionEstimate() {
        var y = DenseMatrix(rows: 64, columns: 4)
        let scales: [Float] = [100, 1, 10, 0.5]   // the first pass's shift 10⁻⁶·trace/l barely moves these
        for j in 0..<4 { y[2 * j, j] = scales[j]; y[2 * j + 1, j] = 0 }   // orthogonal columns, norms = scales
        let condition = choleskyOrthonormalize(&y, passes: 2, options: .serial)
        #expect(abs(condition - 200) < 0.01 * 200)
        #expect(Fixtures.orthonormalityError(y) < 1e-5)
    }

    @Test("a spectrum spanning 10⁶ (far wider than rating matrices) still matches the dense SVD")
    func wideSpectrum() throws {
        // A = U·diag(σ)·Vᵀ with σ from 10⁶ down to 1: (σ₁/σ_l)² ≈ 4·10⁴, far above the 10³ limit.
        let (m, n, r) = (200, 120, 40)
        var u = Fixtures.randomDense(rows: m, columns: r, seed: 61)
        var v = Fixtures.randomDense(rows: n, columns: r, seed: 62)
        choleskyOrthonormalize(&u, passes: 3, options: .serial)
        choleskyOrthonormalize(&v, passes: 3, options: .serial)
        var us = u
        for i in 0..<m { for j in 0..<r { us[i, j] *= Float(pow(10.0, 6.0 * (1 - Double(j) / Double(r - 1)))) } }
        let dense = us.multiplied(by: v.transposed())
        var ri = [Int32](), ci = [Int32](), values = [Float]()
        for i in 0..<m { for j in 0..<n { ri.append(Int32(i)); ci.append(Int32(j)); values.append(dense[i, j]) } }
        let a = try CSRMatrix(rows: m, columns: n, rowIndices: ri, columnIndices: ci, values: values)
        let reference = denseSVD(a.toDense())
        // σ₁₆/σ₁ ≈ 10⁻²·³ and σ₃₂/σ₁ ≈ 10⁻⁴·⁸: the power steps run far past the condition limit.
        let svd = try TruncatedSVD(rank: 16, oversampling: 16, powerIterations: 3).decompose(a)
        for j in 0..<16 {
            let (s, e) = (Double(svd.singularValues[j]), Double(reference.singularValues[j]))
            #expect(abs(s - e) <= 1e-3 * e, "σ\(j): \(s) vs \(e)")
        }
    }

    @Test("Gram blocks and four-row products equal scalar loops in term order, bit for bit on every instruction set")
    func gramAndRowProducts() {
        let (rows, aw, stride) = (203, 45, 48)          // 45 columns of a: not a multiple of 4; 203 rows: nor of 4
        let a = Fixtures.randomDense(rows: rows, columns: aw, seed: 61).values
        let b = Fixtures.randomDense(rows: rows, columns: stride, seed: 62).values
        let c = Fixtures.randomDense(rows: aw, columns: stride, seed: 63).values
        let start = Fixtures.randomDense(rows: rows, columns: stride, seed: 64).values
        // Scalar references: each element summed over the terms in order from 0 (or from its start value).
        var gram = [Float](repeating: 0, count: aw * stride)
        for i in 0..<aw {
            for j in 0..<stride {
                var acc: Float = 0
                for r in 0..<rows { acc = acc + a[r * aw + i] * b[r * stride + j] }
                gram[i * stride + j] = acc
            }
        }
        var product = [Float](repeating: 0, count: rows * stride)
        var added = [Float](repeating: 0, count: rows * stride)
        for r in 0..<rows {
            for j in 0..<stride {
                var acc: Float = 0
                var more = start[r * stride + j]
                for t in 0..<aw {
                    acc = acc + a[r * aw + t] * c[t * stride + j]
                    more = more + a[r * aw + t] * c[t * stride + j]
                }
                product[r * stride + j] = acc
                added[r * stride + j] = more
            }
        }
        let results = perLevel { () -> [[Float]] in
            var full = [Float](repeating: .nan, count: aw * stride)
            var upper = [Float](repeating: .nan, count: aw * stride)
            var rowsOut = [Float](repeating: .nan, count: rows * stride)
            var rowsAdded = start
            mr_gram_block(a, aw, aw, b, stride, rows, &full, 0)
            mr_gram_block(a, aw, aw, b, stride, rows, &upper, 1)
            mr_dense_rows_product(a, aw, aw, c, stride, rows, &rowsOut, 0)
            mr_dense_rows_product(a, aw, aw, c, stride, rows, &rowsAdded, 1)
            // Upper only: row i from column i rounded down to 16; the rest untouched.
            var upperOK = true
            for i in 0..<aw {
                for j in 0..<stride {
                    let value = upper[i * stride + j]
                    upperOK = upperOK && (j < (i & ~15) ? value.isNaN : value == gram[i * stride + j])
                }
            }
            #expect(upperOK)
            return [full, rowsOut, rowsAdded]
        }
        for result in results {
            #expect(result[0] == gram)
            #expect(result[1] == product)
            #expect(result[2] == added)
        }
    }

    #if !(os(macOS) && arch(x86_64))   // Swift has no Float16 on Intel Macs
    @Test("rounding to half precision in place equals Float(Float16(x)), tails included, on every instruction set")
    func roundToHalfMatches() {
        var x = Fixtures.randomDense(rows: 1, columns: 1037, seed: 65).values.map { $0 * 3 }
        x[0] = 3e-6; x[1] = -6.1e-5; x[2] = 1 + 0x1p-11; x[3] = 1 + 3 * 0x1p-11; x[4] = 60000; x[5] = -0.0
        let expected = x.map { Float(Float16($0)) }
        let results = perLevel { () -> [Float] in
            var y = x
            roundToHalf(&y, options: ParallelOptions(threadCount: 2))
            return y
        }
        for result in results { #expect(result == expected) }
    }
    #endif

    #if !(os(macOS) && arch(x86_64))   // Swift has no Float16 on Intel Macs
    @Test("gathered half-precision dots equal 16 lane sums over Float(Float16(row)) folded pairwise, on every instruction set")
    func gatheredHalfDotsMatchReference() {
        let (rows, rowStride) = (23, 48)
        let values = Fixtures.randomDense(rows: rows, columns: rowStride, seed: 68).values
        let query = Fixtures.randomDense(rows: 1, columns: rowStride, seed: 69).values
        let halves = halfPrecisionBits(values)
        // 39 picks: two blocks of 16 rows folded together and a rest of 7 folded one by one.
        let picks: [Int32] = [22, 0, 7, 7, 13, 1, 21] + (0..<32).map { Int32(($0 * 7 + 5) % rows) }
        let expected = picks.map { row -> Float in
            var lanes = [Float](repeating: 0, count: 16)
            for piece in stride(from: 0, to: rowStride, by: 16) {
                for l in 0..<16 {
                    lanes[l] = lanes[l] + query[piece + l] * Float(Float16(values[Int(row) * rowStride + piece + l]))
                }
            }
            var width = 16
            while width > 1 {   // lo + hi halves, as the vector folds do
                width /= 2
                for l in 0..<width { lanes[l] = lanes[l] + lanes[l + width] }
            }
            return lanes[0]
        }
        let results = perLevel { () -> [Float] in
            var out = [Float](repeating: .nan, count: picks.count)
            query.withUnsafeBufferPointer { q in
                halves.withUnsafeBufferPointer { h in
                    picks.withUnsafeBufferPointer { p in
                        out.withUnsafeMutableBufferPointer { o in
                            gatheredHalfDots(query: q, rows: h, stride: rowStride, rowIndices: p, output: o)
                        }
                    }
                }
            }
            return out
        }
        for result in results { #expect(result == expected) }
    }

    @Test("many-query gathered half dots give each query's one-query values bit for bit, on every instruction set",
          arguments: [1, 2, 5], [48, 272])
    func gatheredHalfDotsOfManyQueries(queryCount: Int, rowStride: Int) {
        // 48: blocks converted once into the kernel's buffer; 272: wider than it, rows converted per query.
        let rows = 29
        let halves = halfPrecisionBits(Fixtures.randomDense(rows: rows, columns: rowStride, seed: 70).values)
        let queries = Fixtures.randomDense(rows: queryCount, columns: rowStride, seed: 71).values
        // 39 picks: two blocks of 16 rows and a rest of 7, with repeats.
        let picks: [Int32] = [28, 0, 7, 7, 13, 1, 21] + (0..<32).map { Int32(($0 * 11 + 3) % rows) }
        let results = perLevel { () -> (many: [Float], single: [Float]) in
            var many = [Float](repeating: .nan, count: queryCount * picks.count)
            var single = [Float](repeating: .nan, count: queryCount * picks.count)
            halves.withUnsafeBufferPointer { h in
                picks.withUnsafeBufferPointer { p in
                    queries.withUnsafeBufferPointer { q in
                        many.withUnsafeMutableBufferPointer { o in
                            gatheredHalfDots(queries: q, rows: h, stride: rowStride, rowIndices: p, output: o)
                        }
                        single.withUnsafeMutableBufferPointer { o in
                            for n in 0..<queryCount {
                                gatheredHalfDots(query: UnsafeBufferPointer(rebasing: q[(n * rowStride)..<((n + 1) * rowStride)]),
                                                 rows: h, stride: rowStride, rowIndices: p,
                                                 output: UnsafeMutableBufferPointer(rebasing: o[(n * picks.count)...]))
                            }
                        }
                    }
                }
            }
            return (many, single)
        }
        for result in results {
            #expect(result.many.allSatisfy { !$0.isNaN })
            #expect(result.many == result.single)
            #expect(result.many == results[0].many)
        }
    }

    @Test("half-precision panel scores equal scalar sums over Float(Float16(row)) in order, on every instruction set")
    func halfPanels() {
        let (panelCount, columns) = (5, 37)
        let values = Fixtures.randomDense(rows: 1, columns: panelCount * columns * 16, seed: 66).values
        let query = Fixtures.randomDense(rows: 1, columns: columns, seed: 67).values
        let halves = halfPrecisionBits(values)
        #expect(halves.map { Float(Float16(bitPattern: $0)) } == values.map { Float(Float16($0)) })
        var expected = [Float](repeating: 0, count: panelCount * 16)
        for p in 0..<panelCount {
            for lane in 0..<16 {
                var acc: Float = 0
                for c in 0..<columns { acc = acc + query[c] * Float(Float16(values[(p * columns + c) * 16 + lane])) }
                expected[p * 16 + lane] = acc
            }
        }
        let results = perLevel { () -> [Float] in
            var out = [Float](repeating: .nan, count: panelCount * 16)
            halves.withUnsafeBufferPointer { h in
                query.withUnsafeBufferPointer { q in
                    out.withUnsafeMutableBufferPointer { o in
                        // Two calls over parts of the range, as the workers make them.
                        halfPanelScores(h.baseAddress!, columns: columns, panelRange: 0..<2, query: q.baseAddress!,
                                        output: o.baseAddress!)
                        halfPanelScores(h.baseAddress!, columns: columns, panelRange: 2..<panelCount,
                                        query: q.baseAddress!, output: o.baseAddress!)
                    }
                }
            }
            return out
        }
        for result in results { #expect(result == expected) }
    }
    #endif
}
