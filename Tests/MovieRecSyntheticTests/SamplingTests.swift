import Foundation
import MovieRecNumerics
import Testing
@testable import MovieRecSynthetic

@Suite("Sampling building blocks")
struct SamplingTests {
    @Test("weighted sampling without replacement matches the exact set probabilities")
    func withoutReplacementProbabilities() {
        // Weights 8:1:1, draw 2. Exactly: P{0,1} = 0.8·(1/2) + 0.1·(8/9) = 0.48889 = P{0,2}; P{1,2} = 2·0.1·(1/9) = 0.02222.
        // After the first draw takes film 0, less than half the mass is left, so the Fenwick path is exercised too.
        let sampler = PopularitySampler(weights: [8, 1, 1])
        var workspace = sampler.makeWorkspace()
        var rng = SeededGenerator(seed: 77)
        var picks = [Int32]()
        var counts = [String: Int]()
        let trials = 90_000
        for _ in 0..<trials {
            sampler.draw(2, eligible: 3, into: &picks, workspace: &workspace, using: &rng)
            counts[picks.sorted().map(String.init).joined(separator: ","), default: 0] += 1
        }
        let expected = ["0,1": 0.8 / 2 + 0.1 * 8 / 9, "0,2": 0.8 / 2 + 0.1 * 8 / 9, "1,2": 2 * 0.1 / 9]
        #expect(Set(counts.keys) == Set(expected.keys))
        for (key, p) in expected {
            let observed = Double(counts[key, default: 0]) / Double(trials)
            let sd = (p * (1 - p) / Double(trials)).squareRoot()
            #expect(abs(observed - p) < 5 * sd, "set {\(key)}: observed \(observed), expected \(p)")
        }
    }

    @Test("single draws follow the weights and never leave the eligible prefix")
    func singleDrawFrequencies() {
        let weights: [Double] = [5, 1, 3, 0.5, 0.5, 10, 2]
        let sampler = PopularitySampler(weights: weights)
        var workspace = sampler.makeWorkspace()
        var rng = SeededGenerator(seed: 3)
        var picks = [Int32]()
        var counts = [Int](repeating: 0, count: weights.count)
        let trials = 60_000
        for _ in 0..<trials {
            sampler.draw(1, eligible: 5, into: &picks, workspace: &workspace, using: &rng)
            counts[Int(picks[0])] += 1
        }
        let eligibleMass = weights.prefix(5).reduce(0, +)
        for j in 0..<5 {
            let p = weights[j] / eligibleMass
            let sd = (p * (1 - p) / Double(trials)).squareRoot()
            #expect(abs(Double(counts[j]) / Double(trials) - p) < 5 * sd, "film \(j)")
        }
        #expect(counts[5] == 0 && counts[6] == 0)
    }

    @Test("drawing the whole prefix returns each film exactly once")
    func exhaustiveDraw() {
        let weights = (0..<500).map { 1.0 / Double($0 + 1) }
        let sampler = PopularitySampler(weights: weights)
        var workspace = sampler.makeWorkspace()
        var rng = SeededGenerator(seed: 4)
        var picks = [Int32]()
        for _ in 0..<3 {
            sampler.draw(400, eligible: 400, into: &picks, workspace: &workspace, using: &rng)
            #expect(picks.map(Int.init).sorted() == Array(0..<400))
        }
    }

    @Test("start of year in Unix seconds", arguments: [
        (1970, Int64(0)), (1996, 820_454_400), (2000, 946_684_800), (2025, 1_735_689_600), (1900, -2_208_988_800),
    ])
    func yearStart(year: Int, seconds: Int64) {
        #expect(startOfYear(year) == seconds)
    }

    @Test("CSV quoting: only fields with a comma, quote or line break are quoted; inner quotes doubled")
    func quoting() {
        #expect(csvQuoted("Heat (1995)") == "Heat (1995)")
        #expect(csvQuoted("Matrix, The (1999)") == "\"Matrix, The (1999)\"")
        #expect(csvQuoted("\"Great\" Cats (1998)") == "\"\"\"Great\"\" Cats (1998)\"")
    }

    @Test("decimal formatting of integers")
    func decimals() {
        for value in [0, 7, 10, 99, 100, 2_147_483_647, 1_735_689_599, -42] {
            var bytes = Array("x".utf8)
            appendDecimal(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == "x\(value)")
        }
    }

    @Test("generator: reproducible, uniform in [0, 1), Gaussian with mean 0 and variance 1")
    func generatorMoments() {
        var a = SeededGenerator(seed: 12), b = SeededGenerator(seed: 12), c = SeededGenerator(seed: 13)
        let first = (0..<4).map { _ in a.next() }
        #expect(first == (0..<4).map { _ in b.next() })
        #expect(first != (0..<4).map { _ in c.next() })
        let n = 200_000
        var sum = 0.0, sumU = 0.0, sumSquares = 0.0, inRange = true
        for _ in 0..<n {
            let u = a.nextUniform()
            inRange = inRange && u >= 0 && u < 1
            sumU += u
            let g = a.nextGaussian()
            sum += g
            sumSquares += g * g
        }
        #expect(inRange)
        #expect(abs(sumU / Double(n) - 0.5) < 0.005)
        #expect(abs(sum / Double(n)) < 0.01)
        #expect(abs(sumSquares / Double(n) - 1) < 0.02)
    }
}

@Suite("Portable math")
struct PortableMathTests {
    @Test("log and exp agree with the C library to within a few ulps over the ranges the generator uses")
    func agreesWithLibm() {
        var rng = SeededGenerator(seed: 21)
        for _ in 0..<20_000 {
            let x = Foundation.exp(rng.nextUniform() * 80 - 40)  // 4e-18 … 2e17
            let log = PortableMath.log(x)
            #expect(abs(log - Foundation.log(x)) <= 4 * Foundation.log(x).ulp.magnitude + 1e-300, "log(\(x))")
            let y = rng.nextUniform() * 40 - 20
            let exp = PortableMath.exp(y)
            #expect(abs(exp - Foundation.exp(y)) <= 4 * Foundation.exp(y).ulp, "exp(\(y))")
        }
        #expect(PortableMath.log(1) == 0)
        #expect(PortableMath.exp(0) == 1)
        #expect(abs(PortableMath.log(1 - 0x1p-53) + 0x1p-53) < 1e-30)
    }

    @Test("polar-method normals have mean 0, variance 1 and a normal tail (P(|z| > 2) ≈ 0.0455)")
    func normalMoments() {
        var rng = SeededGenerator(seed: 8)
        let n = 200_000
        var sum = 0.0, squares = 0.0, beyondTwo = 0
        for _ in 0..<n {
            let z = rng.nextGaussian()
            sum += z
            squares += z * z
            if abs(z) > 2 { beyondTwo += 1 }
        }
        #expect(abs(sum / Double(n)) < 0.01)
        #expect(abs(squares / Double(n) - 1) < 0.02)
        #expect(abs(Double(beyondTwo) / Double(n) - 0.0455) < 0.003)
    }
}
