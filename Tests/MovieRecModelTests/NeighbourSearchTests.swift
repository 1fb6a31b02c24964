@testable import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Nearest users of the ranking attention (exact and clustered search)")
struct NeighbourSearchTests {
    /// `n` seeded unit rows of dimension `d`, drawn around 12 directions so that clusters exist.
    static func unitRows(_ n: Int, _ d: Int, seed: UInt64) -> DenseMatrix {
        var generator = SeededGenerator(seed: seed)
        let centres = (0..<12).map { _ in (0..<d).map { _ in Float(generator.nextGaussian()) } }
        var values: [Float] = []
        for r in 0..<n {
            let centre = centres[r % 12]
            var row = centre.map { $0 + 0.8 * Float(generator.nextGaussian()) }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            row = row.map { $0 / norm }
            values += row
        }
        return DenseMatrix(rows: n, columns: d, values: values)
    }

    /// The reference: every other row's cosine summed in plain order, sorted by cosine (ties: lower index).
    static func bruteForce(_ unit: DenseMatrix, row q: Int, count: Int) -> [(index: Int, cosine: Float)] {
        let d = unit.columns
        var all: [(index: Int, cosine: Float)] = []
        for v in 0..<unit.rows where v != q {
            var sum: Float = 0
            for c in 0..<d { sum += unit.values[q * d + c] * unit.values[v * d + c] }
            all.append((v, sum))
        }
        all.sort { $0.cosine > $1.cosine || ($0.cosine == $1.cosine && $0.index < $1.index) }
        return Array(all.prefix(count))
    }

    @Test("one cluster is the exact search: the same neighbours and cosines as comparing every pair")
    func exactMatchesBruteForce() {
        let unit = Self.unitRows(203, 19, seed: 3)
        let search = NeighbourSearch(unit: unit, seed: 1)
        #expect(search.clusterCount == 1)
        let (indices, cosines) = search.nearest(10)
        for q in 0..<unit.rows {
            let expected = Self.bruteForce(unit, row: q, count: 10)
            #expect(indices[(q * 10)..<((q + 1) * 10)].map(Int.init) == expected.map(\.index), "row \(q)")
            for (k, entry) in expected.enumerated() {
                #expect(abs(cosines[q * 10 + k] - entry.cosine) < 1e-5, "row \(q), neighbour \(k)")
            }
        }
    }

    @Test("clustered search: sorted, never the row itself, true cosines, most true neighbours found, deterministic")
    func clusteredSearch() {
        let unit = Self.unitRows(1_500, 16, seed: 7)
        let search = NeighbourSearch(unit: unit, seed: 11, clusters: 40, probes: 6)
        #expect(search.clusterCount == 40)
        // Every row is a member of exactly one cluster, its nearest centroid (its first probe).
        #expect(search.members.sorted() == (0..<1_500).map(Int32.init))
        let (indices, cosines) = search.nearest(20)
        var hits = 0
        for q in 0..<unit.rows {
            let found = Array(indices[(q * 20)..<((q + 1) * 20)])
            let values = Array(cosines[(q * 20)..<((q + 1) * 20)])
            #expect(!found.contains(Int32(q)))
            #expect(Set(found).count == 20)
            #expect(zip(values, values.dropFirst()).allSatisfy { $0 >= $1 }, "row \(q) not sorted")
            for (v, cosine) in zip(found, values) {
                var sum: Float = 0
                for c in 0..<16 { sum += unit.values[q * 16 + c] * unit.values[Int(v) * 16 + c] }
                #expect(abs(cosine - sum) < 1e-5)
            }
            hits += Set(Self.bruteForce(unit, row: q, count: 20).map { Int32($0.index) }).intersection(found).count
        }
        let recall = Double(hits) / Double(1_500 * 20)
        #expect(recall > 0.8 && recall < 1, "recall \(recall): 6 of 40 clusters probed should find most, not all")
        #expect(NeighbourSearch.recall(of: indices, count: 20, unit: unit, sample: 1_500) == recall)
        let again = NeighbourSearch(unit: unit, seed: 11, clusters: 40, probes: 6).nearest(20, options: .serial)
        #expect(again.indices == indices && again.cosines == cosines)
        // Probing every cluster is exact again.
        let all = NeighbourSearch(unit: unit, seed: 11, clusters: 40, probes: 40).nearest(20)
        #expect(NeighbourSearch.recall(of: all.indices, count: 20, unit: unit, sample: 1_500) == 1)
    }
}

@Suite("Nearest users of a new user (walk on the neighbour table)")
struct NewUserNeighbourTests {
    @Test("finds most of the exact nearest rows with a fraction of the cosines; nil (scan) up to the exact limit")
    func walkFindsMostNeighbours() {
        // 3,040 rows of one distribution: the first 3,000 are the users, the last 40 new users' keys.
        let rows = NeighbourSearchTests.unitRows(3_040, 16, seed: 21)
        let unit = DenseMatrix(rows: 3_000, columns: 16, values: Array(rows.values.prefix(3_000 * 16)))
        let keys = DenseMatrix(rows: 40, columns: 16, values: Array(rows.values.suffix(40 * 16)))
        let table = NeighbourSearch(unit: unit, seed: 2, clusters: 60, probes: 8).nearest(30)
        var hits = 0
        for q in 0..<keys.rows {
            let key = Array(keys.values[(q * 16)..<((q + 1) * 16)])
            #expect(NeighbourSearch.nearest(30, toKey: key, unit: unit, neighbours: table.indices, width: 30) == nil)
            let found = NeighbourSearch.nearest(30, toKey: key, unit: unit, neighbours: table.indices, width: 30,
                                                exactLimit: 1_000, sample: 200, expand: 8, rounds: 3)!
            #expect(found.count == 30)
            #expect(zip(found, found.dropFirst()).allSatisfy { $0.score >= $1.score })
            // The reference: the key's cosine with every row, summed in plain order.
            var all: [(index: Int, cosine: Float)] = []
            for v in 0..<unit.rows {
                var sum: Float = 0
                for c in 0..<16 { sum += key[c] * unit.values[v * 16 + c] }
                all.append((v, sum))
            }
            all.sort { $0.cosine > $1.cosine || ($0.cosine == $1.cosine && $0.index < $1.index) }
            for entry in found {
                #expect(abs(entry.score - all.first { $0.index == entry.index }!.cosine) < 1e-5)
            }
            hits += Set(all.prefix(30).map(\.index)).intersection(found.map(\.index)).count
        }
        let recall = Double(hits) / Double(keys.rows * 30)
        // At most 200 + 3·8·30 = 920 of the 3,000 rows are compared; 920 rows at random would hold 31 % of them.
        #expect(recall > 0.7, "recall \(recall)")
    }
}
