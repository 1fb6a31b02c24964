import MovieRecModel
import MovieRecNumerics
import Foundation
import Testing

/// Sections 2 and 3 of the worked example, through ``AttentionScorer``.
@Suite("Attention: softmax, scaled dot-product attention, null key")
struct AttentionTests {
    @Test("softmax examples of section 2 through one-dimensional attention logits",
          arguments: [
            ([4.0, -1.0, 2.1], [0.86482256, 0.00582713, 0.12935032]),
            ([3, 2, 1], [0.66524096, 0.24472847, 0.09003057]),
            ([30, 20, 10], [0.999954600, 4.53978686e-5, 2.06106005e-9]),
          ] as [([Float], [Double])])
    func softmaxExamples(logits: [Float], expected: [Double]) {
        // d = 1, τ = 1, q = (1): the logits are the keys themselves.
        let result = AttentionScorer.attend(query: [1], keys: logits.map { [$0] }, values: logits.map { _ in [0] })
        for (weight, reference) in zip(result.weights, expected) {
            #expect(abs(Double(weight) - reference) <= 1e-6 * max(reference, 1e-3))
        }
        #expect(result.nullWeight == 0)
    }

    @Test("the fruit lookup: weights 0.6, 0.4, 0 over values 10, 5, 2 give 8")
    func softDictionary() {
        // Logits log 0.6, log 0.4 and −∞-like give the weights 0.6, 0.4, ~0.
        let keys: [[Float]] = [[Float(Foundation.log(0.6))], [Float(Foundation.log(0.4))], [-100]]
        let result = AttentionScorer.attend(query: [1], keys: keys, values: [[10], [5], [2]])
        #expect(abs(result.output[0] - 8) < 1e-4)
    }

    @Test("section 3: softmax(QKᵀ/√3)·V row by row")
    func scaledDotProductAttention() {
        let q: [[Float]] = [[2, 0, 2], [2, 0, 0], [4, 0, 2], [2, 1, 2]]
        let k: [[Float]] = [[2, 2, 2], [0, 2, 1], [2, 4, 3], [0, 1, 1]]
        let v: [[Float]] = [[1, 1, 0], [0, 1, 1], [1, 2, 1], [0, 0, 0]]
        let weights: [[Double]] = [
            [0.236089863, 0.00738987555, 0.749130386, 0.00738987555],
            [0.454826323, 0.0451736775, 0.454826323, 0.0451736775],
            [0.239275049, 0.000743870015, 0.759237211, 0.000743870015],
            [0.0899501754, 0.00281554063, 0.905653685, 0.00158059922],
        ]
        let outputs: [[Float]] = [
            [0.98522025, 1.74174051, 0.75652026], [0.90965265, 1.40965265, 0.5],
            [0.99851226, 1.75849334, 0.75998108], [0.99560386, 1.90407309, 0.90846923],
        ]
        for row in 0..<4 {
            let result = AttentionScorer.attend(query: q[row], keys: k, values: v)
            for (weight, reference) in zip(result.weights, weights[row]) { #expect(abs(Double(weight) - reference) < 1e-6) }
            for (value, reference) in zip(result.output, outputs[row]) { #expect(abs(value - reference) < 1e-5) }
        }
    }

    @Test("the null key: logit 0, value 0; weights over cosines use √d·cos/τ")
    func nullKeyWeights() {
        let scorer = AttentionScorer(dimension: 64, temperature: 2)
        let cosines: [Float] = [0.5, -1, 0.25]
        let (weights, nullWeight) = scorer.weights(cosines: cosines)
        let logits = cosines.map { 8 * Double($0) / 2 }
        let total = 1 + logits.map { Foundation.exp($0) }.reduce(0, +)
        #expect(abs(Double(nullWeight) - 1 / total) < 1e-6)
        for (weight, logit) in zip(weights, logits) { #expect(abs(Double(weight) - Foundation.exp(logit) / total) < 1e-6) }
        // No neighbours: all the weight stays on the null key.
        #expect(scorer.weights(cosines: []).nullWeight == 1)
        // Weak (opposite) neighbours leave almost everything on the null key: 1 / (1 + 2·e^(−8·1/2)).
        #expect(abs(Double(scorer.weights(cosines: [-1, -1]).nullWeight) - 1 / (1 + 2 * Foundation.exp(-4.0))) < 1e-6)
        // With a null key the section 3 output shrinks toward 0 by exactly the null weight.
        let result = AttentionScorer.attend(query: [1], keys: [[0]], values: [[6]], nullKey: true)
        #expect(abs(result.nullWeight - 0.5) < 1e-6 && abs(result.output[0] - 3) < 1e-5)
    }
}
