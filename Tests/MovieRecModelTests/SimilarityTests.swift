import Foundation
import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Similarity: latent and raw co-rating cosines, nearest users and films")
struct SimilarityTests {
    @Test("raw cosine: below the minimum support it is 0; above it is shrunk by n / (n + λ_s)")
    func rawCosineSupportAndShrinkage() throws {
        // u0 and u1 share film 0 only; u0 and u2 share films 0, 1, 2.
        let matrix: [[Float]] = [
            [4, 2, 5, 1, 0],
            [4, 0, 0, 0, 3],
            [3, 1, 4, 0, 2],
        ]
        var parameters = smallParameters()
        parameters.rank = 2
        let model = try Model.train(data: ratingData(from: matrix), parameters: parameters)
        let single = try model.rawCosine(.trained(0), .trained(1))
        #expect(single.value == 0 && single.unshrunk == 0 && single.commonMovies == 1 && !single.hasEnoughOverlap)
        let three = try model.rawCosine(.trained(0), .trained(2))
        let cosine = 34 / ((45.0).squareRoot() * (26.0).squareRoot())    // (4·3 + 2·1 + 5·4) / (√45·√26)
        #expect(three.commonMovies == 3 && three.hasEnoughOverlap)
        #expect(abs(Double(three.unshrunk) - cosine) < 1e-6)
        #expect(abs(Double(three.value) - cosine * 3 / 13) < 1e-6)
        #expect(try model.commonMovieCount(.trained(0), .trained(2)) == 3)
        let comparison = try model.compare(.trained(0), .trained(2))
        #expect(comparison.common.map(\.movie) == [0, 1, 2])
        #expect(comparison.common.map(\.second) == [3, 1, 4])
    }

    @Test("most similar users: the brute-force top by latent cosine shrunk by support n/(n + λ_n), never the user itself")
    func mostSimilarUsersMatchesBruteForce() throws {
        let data = syntheticData()
        let model = try Model.train(data: data, parameters: smallParameters())
        let vectors = model.factors.userVectors
        for user in [0, 13, 79] {
            let similar = try model.mostSimilarUsers(to: user, count: 10)
            #expect(similar.count == 10)
            #expect(!similar.contains { $0.user == user })
            let lambda = Double(model.parameters.similaritySupportShrinkage)
            let reference = (0..<data.userCount).filter { $0 != user }.map { v in
                let n = Double(model.ratings.userRange(v).count)
                return (v, referenceCosine(Array(vectors.row(user)), Array(vectors.row(v))), n / (n + lambda))
            }
            for entry in similar {
                let expected = reference.first { $0.0 == entry.user }!
                #expect(abs(Double(entry.cosine) - expected.1) < 1e-5)
                #expect(abs(Double(entry.score) - expected.1 * expected.2) < 1e-5)
            }
            let returned = Set(similar.map(\.user))
            let weakestReturned = similar.map { Double($0.score) }.min()!
            #expect(reference.filter { !returned.contains($0.0) }.allSatisfy { $0.1 * $0.2 <= weakestReturned + 1e-5 })
            #expect(zip(similar, similar.dropFirst()).allSatisfy { $0.score >= $1.score })
            for entry in similar {
                let mine = Set(model.ratings.userRange(user).map { model.ratings.byUser.columnIndices[$0] })
                let theirs = Set(model.ratings.userRange(entry.user).map { model.ratings.byUser.columnIndices[$0] })
                #expect(entry.commonMovies == mine.intersection(theirs).count)
            }
        }
    }

    @Test("most similar films: the brute-force top by cosine of V_k·S_k^e rows shrunk by support, at least N ratings")
    func mostSimilarMoviesMatchesBruteForce() throws {
        let model = try Model.train(data: syntheticData(), parameters: smallParameters())
        let k = model.factors.rank
        let e = Double(model.parameters.movieSimilarityExponent)
        func scaled(_ i: Int) -> [Float] {
            (0..<k).map { model.factors.movieVectors[i, $0] * Float(Foundation.pow(Double(model.factors.singularValues[$0]), e)) }
        }
        let minimum = 25
        let similar = try model.mostSimilarMovies(to: 5, count: 8, minimumRatings: minimum)
        #expect(similar.count == 8 && !similar.contains { $0.movie == 5 })
        let lambda = Double(model.parameters.similaritySupportShrinkage)
        let reference = (0..<model.movieCount).filter { $0 != 5 && model.ratings.movieRange($0).count >= minimum }.map {
            let n = Double(model.ratings.movieRange($0).count)
            return ($0, referenceCosine(scaled(5), scaled($0)) * n / (n + lambda))
        }
        #expect(reference.count < model.movieCount - 1, "the minimum leaves some films out")
        let weakest = similar.map { Double($0.score) }.min()!
        for entry in similar {
            #expect(entry.ratingCount == model.ratings.movieRange(entry.movie).count && entry.ratingCount >= minimum)
            #expect(abs(Double(entry.score) - reference.first { $0.0 == entry.movie }!.1) < 1e-5)
        }
        #expect(reference.filter { r in !similar.contains { $0.movie == r.0 } }.allSatisfy { $0.1 <= weakest + 1e-5 })
    }

    @Test("a folded-in user finds the trained user whose ratings it copies first")
    func foldedUserFindsItsTwin() throws {
        let model = try Model.train(data: syntheticData(), parameters: smallParameters())
        let range = model.ratings.userRange(21)
        let folded = try model.foldIn(ratings: range.map {
            (movie: model.ratings.byUser.columnIndices[$0], rating: model.ratings.byUser.values[$0])
        })
        let similar = try model.mostSimilarUsers(to: .folded(folded), count: 3)
        #expect(similar.first?.user == 21)
        #expect(similar.first.map { $0.cosine > 0.999 } == true)
        #expect(similar.first?.commonMovies == range.count)
    }
}
