import Foundation
import MovieRecModel
import MovieRecNumerics
import Testing

@Suite("Archive round trip and errors")
struct ArchiveAndErrorTests {
    @Test("encode → restore gives identical predictions, rankings and similarities")
    func roundTrip() throws {
        let data = syntheticData()
        let model = try Model.train(data: data, parameters: smallParameters())
        let archive = model.encode()
        #expect(archive.header.rank == 8 && archive.header.ratingCount == data.count)
        let restored = try TrainedModel(archive: archive, ratings: data)
        for user in stride(from: 0, to: data.userCount, by: 9) {
            for movie in stride(from: 0, to: data.movieCount, by: 7) {
                #expect(try restored.predict(user: user, movie: movie) == model.predict(user: user, movie: movie))
            }
            #expect(try Recommender(model: restored).topN(user: user, count: 10, explain: true)
                    == Recommender(model: model).topN(user: user, count: 10, explain: true))
            #expect(try restored.mostSimilarUsers(to: user, count: 5) == model.mostSimilarUsers(to: user, count: 5))
        }
        #expect(restored.encode() == archive)
    }

    @Test("restoring with other ratings or a damaged archive fails with .invalidArchive")
    func staleArchive() throws {
        let data = syntheticData()
        let archive = try Model.train(data: data, parameters: smallParameters()).encode()
        let fewer = RatingData(userCount: data.userCount, movieCount: data.movieCount,
                               userIndex: Array(data.userIndex.dropLast()), movieIndex: Array(data.movieIndex.dropLast()),
                               rating: Array(data.rating.dropLast()))
        #expect { try TrainedModel(archive: archive, ratings: fewer) } throws: { ($0 as? ModelError)?.kind == .invalidArchive }
        var damaged = archive
        damaged.latentFactors.removeLast()
        #expect { try TrainedModel(archive: damaged, ratings: data) } throws: { ($0 as? ModelError)?.kind == .invalidArchive }
        var future = archive
        future.header.formatVersion = 99
        #expect { try TrainedModel(archive: future, ratings: data) } throws: { ($0 as? ModelError)?.kind == .invalidArchive }
        var older = archive
        older.header.formatVersion = 2
        #expect { try TrainedModel(archive: older, ratings: data) } throws: { ($0 as? ModelError)?.kind == .invalidArchive }
        // Format 5: the same arrays without the users' ranking normalizers at the end.
        var five = archive
        five.header.formatVersion = 5
        five.watchFactors.removeLast(2 * data.userCount)
        #expect { try TrainedModel(archive: five, ratings: data) } throws: { ($0 as? ModelError)?.kind == .invalidArchive }
    }

    @Test("a format-2 header (no rated-film ranking knobs) does not decode: such a model must be retrained")
    func formatTwoHeader() throws {
        let header = try Model.train(data: syntheticData(), parameters: smallParameters()).archiveHeader
        #expect(header.formatVersion == 6)
        var json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(header)) as? [String: Any])
        var parameters = try #require(json["parameters"] as? [String: Any])
        for key in ["movieRankingWeight", "movieRankingTemperature", "movieRankingDepth"] {
            #expect(parameters.removeValue(forKey: key) != nil)
        }
        json["parameters"] = parameters
        json["formatVersion"] = 2
        let old = try JSONSerialization.data(withJSONObject: json)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ModelArchive.Header.self, from: old) }
    }

    @Test("the archive arrays are the model's segments joined, and the model restores from the segments")
    func segments() throws {
        let data = syntheticData()
        let model = try Model.train(data: data, parameters: smallParameters())
        let header = model.archiveHeader
        let (users, movies) = (data.userCount, data.movieCount)
        // The layout written out by hand (k = k_w = 8; 79 ranking neighbours per user: K_r = 100 capped at users − 1).
        #expect(header.segmentLengths(.biases) == [users, movies])
        #expect(header.segmentLengths(.latentFactors) == [8, users * 8, movies * 8])
        #expect(header.segmentLengths(.watchFactors) == [movies, 8, users * 8, movies * 8, users * 79, users * 79,
                                                         users, users])
        #expect(model.archiveSegments(.biases) == [model.baseline.userBias, model.baseline.movieBias])
        #expect(model.archiveSegments(.latentFactors)
                == [model.factors.singularValues, model.factors.userVectors.values, model.factors.movieVectors.values])
        #expect(model.archiveSegments(.watchFactors)
                == [model.watchFactors.columnScale, model.watchFactors.singularValues,
                    model.watchFactors.userVectors.values, model.watchFactors.movieVectors.values,
                    model.rankingNeighbours.users.map(Float.init), model.rankingNeighbours.cosines,
                    model.rankingNormalizers.meanWatch, model.rankingNormalizers.meanMovies])
        let archive = model.encode()
        var segments: [ModelArchive.Field: [[Float]]] = [:]
        for field in ModelArchive.Field.allCases {
            #expect(model.archiveSegments(field).map(\.count) == header.segmentLengths(field))
            #expect(archive[field] == model.archiveSegments(field).flatMap { $0 })
            segments[field] = model.archiveSegments(field)
        }
        let restored = try TrainedModel(header: header, segments: segments, ratings: data)
        #expect(restored.encode() == archive)
        for user in stride(from: 0, to: users, by: 11) {
            #expect(try Recommender(model: restored).topN(user: user, count: 10, explain: true)
                    == Recommender(model: model).topN(user: user, count: 10, explain: true))
        }

        // A piece of the wrong length, a missing field, or a header that cannot describe a model.
        var short = segments
        short[.watchFactors]?[2].removeLast()
        #expect { try TrainedModel(header: header, segments: short, ratings: data) } throws: {
            ($0 as? ModelError)?.kind == .invalidArchive && ($0 as? ModelError)?.field == "watchFactors pieces"
        }
        var missing = segments
        missing[.biases] = nil
        #expect { try TrainedModel(header: header, segments: missing, ratings: data) } throws: {
            ($0 as? ModelError)?.kind == .invalidArchive
        }
        var noRank = header
        noRank.rank = 0
        #expect { try noRank.validate() } throws: { ($0 as? ModelError)?.kind == .invalidArchive }
        var huge = header
        huge.rank = 1 << 28   // (users + films)·k would not fit in one BLOB (and overflows nothing)
        #expect { try huge.validate() } throws: { ($0 as? ModelError)?.kind == .invalidArchive }
        var giant = header
        giant.watchRank = Int.max   // would overflow (users + films)·k_w
        #expect { try giant.validate() } throws: { ($0 as? ModelError)?.kind == .invalidArchive }
        #expect(throws: Never.self) { try header.validate() }
    }

    @Test("errors name what is wrong: unknown user/film, empty or duplicate data; a rank too large is lowered")
    func errors() throws {
        let model = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 2))
        #expect { try model.predict(user: 7, movie: 0) } throws: { ($0 as? ModelError)?.kind == .unknownUser }
        #expect { try model.mostSimilarMovies(to: -1, count: 3) } throws: { ($0 as? ModelError)?.kind == .unknownMovie }
        #expect { try model.foldIn(ratings: [(movie: 5, rating: 3)]) } throws: { ($0 as? ModelError)?.kind == .unknownMovie }
        #expect { try model.foldIn(ratings: [(movie: 1, rating: 3), (movie: 1, rating: 4)]) } throws: {
            ($0 as? ModelError)?.kind == .invalidData
        }
        // The model owns the rank: 6 > min(users 7, films 5) is lowered to 5, and the model says so.
        let clamped = try Model.train(data: WorkedExample.data, parameters: WorkedExample.parameters(rank: 6))
        #expect(clamped.factors.rank == 5 && clamped.parameters.rank == 5)
        let empty = RatingData(userCount: 3, movieCount: 3, userIndex: [], movieIndex: [], rating: [])
        #expect { try Model.train(data: empty) } throws: { ($0 as? ModelError)?.kind == .emptyData }
        let duplicate = RatingData(userCount: 2, movieCount: 2, userIndex: [0, 0], movieIndex: [1, 1], rating: [3, 4])
        #expect { try Model.train(data: duplicate) } throws: { ($0 as? ModelError)?.kind == .invalidData }
        var bad = ModelParameters()
        bad.temperature = 0
        #expect { try Model.train(data: WorkedExample.data, parameters: bad) } throws: {
            ($0 as? ModelError)?.kind == .invalidParameter
        }
    }
}
