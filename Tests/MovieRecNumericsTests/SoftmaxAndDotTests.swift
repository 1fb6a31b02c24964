import Testing
import MovieRecNumerics

@Suite("softmax and dot (worked example sections 2 and 3)")
struct SoftmaxAndDotTests {
    private func expectClose(_ actual: [Float], _ expected: [Double], relative: Double = 2e-6,
                             sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count, sourceLocation: sourceLocation)
        for (a, e) in zip(actual, expected) {
            #expect(abs(Double(a) - e) <= relative * abs(e) + 1e-12, "\(a) vs \(e)", sourceLocation: sourceLocation)
        }
    }

    @Test("section 2 examples")
    func section2() {
        expectClose(softmax([4.0, -1.0, 2.1]), [0.86482256, 0.00582713, 0.12935032])
        expectClose(softmax([3, 2, 1]), [0.66524096, 0.24472847, 0.09003057])
        expectClose(softmax([30, 20, 10]), [0.999954600, 4.53978686e-5, 2.06106005e-9])
    }

    @Test("large magnitudes do not overflow: softmax(1000, 999) = (e/(e+1), 1/(e+1))")
    func largeMagnitude() {
        let e = 2.718281828459045
        expectClose(softmax([1000, 999]), [e / (e + 1), 1 / (e + 1)])
        expectClose(softmax([-1000, -1001]), [e / (e + 1), 1 / (e + 1)])
        #expect(softmax([]).isEmpty)
        expectClose(softmax([5]), [1])
    }

    @Test("section 3: scaled dot-product attention weights and outputs")
    func section3() {
        let q: [[Float]] = [[2, 0, 2], [2, 0, 0], [4, 0, 2], [2, 1, 2]]
        let k: [[Float]] = [[2, 2, 2], [0, 2, 1], [2, 4, 3], [0, 1, 1]]
        let v: [[Double]] = [[1, 1, 0], [0, 1, 1], [1, 2, 1], [0, 0, 0]]
        let expectedScores: [[Float]] = [[8, 2, 10, 2], [4, 0, 4, 0], [12, 2, 14, 2], [10, 4, 14, 3]]
        let expectedWeights: [[Double]] = [
            [0.236089863, 0.00738987555, 0.749130386, 0.00738987555],
            [0.454826323, 0.0451736775, 0.454826323, 0.0451736775],
            [0.239275049, 0.000743870015, 0.759237211, 0.000743870015],
            [0.0899501754, 0.00281554063, 0.905653685, 0.00158059922],
        ]
        let expectedOutputs: [[Double]] = [
            [0.98522025, 1.74174051, 0.75652026],
            [0.90965265, 1.40965265, 0.5],
            [0.99851226, 1.75849334, 0.75998108],
            [0.99560386, 1.90407309, 0.90846923],
        ]
        for i in 0..<4 {
            let scores = k.map { dot(q[i], $0) }
            #expect(scores == expectedScores[i])
            let weights = softmax(scores.map { $0 / Float(3).squareRoot() })
            expectClose(weights, expectedWeights[i], relative: 1e-5)
            let output = (0..<3).map { c in Float(zip(weights, v).map { Double($0) * $1[c] }.reduce(0, +)) }
            expectClose(output, expectedOutputs[i], relative: 1e-5)
        }
    }

    @Test("dot matches a Double reference for lengths around the SIMD widths", arguments: [0, 1, 15, 16, 17, 31, 32, 33, 100])
    func dotLengths(length: Int) {
        var g = SeededGenerator(seed: UInt64(length))
        let a = (0..<length).map { _ in Float(g.nextUniform() - 0.5) }
        let b = (0..<length).map { _ in Float(g.nextUniform() - 0.5) }
        let reference = zip(a, b).map { Double($0) * Double($1) }.reduce(0, +)
        #expect(abs(Double(dot(a, b)) - reference) < 1e-5)
    }
}
