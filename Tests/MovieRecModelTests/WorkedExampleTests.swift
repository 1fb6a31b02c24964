import MovieRecModel
import MovieRecNumerics
import Testing

/// Exact values of section 1 of the worked example (`baseline none`).
@Suite("Worked example: truncated SVD, latent cosines, fold-in")
struct WorkedExampleTests {
    @Test("singular values 12.4810, 9.5086, 1.3456")
    func singularValues() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 3))
        let expected: [Float] = [12.4810, 9.5086, 1.3456]
        for (value, reference) in zip(model.factors.singularValues, expected) {
            #expect(abs(value - reference) < 1e-3)
        }
        #expect(model.factors.rank == 3)
    }

    @Test("user vectors U_k·S_k match the worked example up to the sign of each column")
    func userVectors() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 2))
        let expected: [[Float]] = [[1.7174, 0.2245], [5.1521, 0.6735], [6.8695, 0.8980], [8.5869, 1.1226],
                                   [1.9068, -5.6206], [0.9013, -6.9538], [0.9534, -2.8103]]
        let vectors = model.factors.userVectors
        for column in 0..<2 {
            let sign: Float = vectors[0, column] * expected[0][column] < 0 ? -1 : 1
            for user in 0..<7 {
                #expect(abs(sign * vectors[user, column] - expected[user][column]) < 2e-3,
                        "P\(user + 1), column \(column)")
            }
        }
    }

    @Test("latent cosines: P1–P4 1.0, P5–P6 0.9804, P1–P5 0.1958, P1–P6 −0.0011")
    func latentCosines() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 2))
        func cosine(_ a: Int, _ b: Int) throws -> Float { try model.latentCosine(.trained(a - 1), .trained(b - 1)) }
        #expect(abs(try cosine(1, 4) - 1) < 1e-4)
        #expect(abs(try cosine(2, 3) - 1) < 1e-4)
        #expect(abs(try cosine(5, 7) - 1) < 1e-3)
        #expect(abs(try cosine(5, 6) - 0.9804) < 1e-4)
        #expect(abs(try cosine(1, 5) - 0.1958) < 1e-4)
        #expect(abs(try cosine(1, 6) - -0.0011) < 1e-4)
    }

    @Test("P8/P9: raw cosine 0 (no common film), fold-in cosine 0.9877 in U space and 0.9926 scaled")
    func foldInOfNewUsers() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 2))
        let p8 = try model.foldIn(ratings: WorkedExample.p8)
        let p9 = try model.foldIn(ratings: WorkedExample.p9)
        let comparison = try model.compare(.folded(p8), .folded(p9))
        #expect(comparison.rawCosine.value == 0)
        #expect(comparison.rawCosine.commonMovies == 0)
        #expect(!comparison.rawCosine.hasEnoughOverlap)
        #expect(abs(referenceCosine(p8.latentCoordinates, p9.latentCoordinates) - 0.9877) < 1e-4)
        #expect(abs(referenceCosine(p8.similarityVector, p9.similarityVector) - 0.9926) < 1e-4)
        #expect(abs(comparison.latentCosine - 0.9926) < 1e-4)
        // The scaled vector is u·S_k.
        for c in 0..<2 {
            #expect(abs(p9.latentCoordinates[c] * model.factors.singularValues[c] - p9.similarityVector[c]) < 1e-4)
        }
    }

    @Test("fold-in of a trained user's own row reproduces the trained vector (baseline none)")
    func foldInOfExistingUsers() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 2))
        for (user, row) in WorkedExample.matrix.enumerated() {
            let ratings = row.enumerated().filter { $0.element != 0 }.map { (movie: Int32($0.offset), rating: $0.element) }
            let folded = try model.foldIn(ratings: ratings)
            for c in 0..<2 {
                #expect(abs(folded.similarityVector[c] - model.factors.userVectors[user, c]) < 1e-4)
            }
            #expect(folded.bias == 0)
        }
    }
}
