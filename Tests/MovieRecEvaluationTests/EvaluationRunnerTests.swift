import Foundation
import MovieRecModel
import Testing
@testable import MovieRecEvaluation

/// A small deterministic data set: users 0…7 rate items 0…9 with `1 + ((3u + 7i) mod 9)/2` stars; the
/// rows with `(u + i) mod 4 == 0` are the test part, every other row is train. Three more test rows are
/// cold: user 8 (never in train) rates item 1 5 stars, user 0 rates item 10 (never in train) 2 stars,
/// and user 8 rates item 10 4 stars.
enum RunnerFixture {
    static let rows: [RatingRow] = {
        var rows: [RatingRow] = []
        for u in 0..<8 {
            for i in 0..<10 {
                rows.append(RatingRow(user: Int32(u), item: Int32(i), rating: 1 + Float((3 * u + 7 * i) % 9) / 2,
                                      timestamp: Int64(rows.count)))
            }
        }
        rows.append(RatingRow(user: 8, item: 1, rating: 5, timestamp: 100))
        rows.append(RatingRow(user: 0, item: 10, rating: 2, timestamp: 101))
        rows.append(RatingRow(user: 8, item: 10, rating: 4, timestamp: 102))
        return rows
    }()

    static let split: RowSplit = {
        let test = rows.indices.filter { $0 >= 80 || (Int(rows[$0].user) + Int(rows[$0].item)) % 4 == 0 }
        return RowSplit(train: rows.indices.filter { !test.contains($0) }, test: test)
    }()

    static func dataset() throws -> EvaluationDataset {
        try EvaluationDataset(rows: rows, userCount: 9, itemCount: 11)
    }

    static var parameters: ModelParameters {
        var parameters = ModelParameters()
        parameters.rank = 3
        parameters.watchRank = 2
        parameters.neighbours = 4
        return parameters
    }

    /// The train rows as model input; users 0…7 and items 0…9 all occur in train, so dataset and model
    /// indices coincide.
    static func trainData() -> RatingData {
        let train = split.train.map { rows[$0] }
        return RatingData(userCount: 8, movieCount: 10, userIndex: train.map(\.user), movieIndex: train.map(\.item),
                          rating: train.map(\.rating))
    }
}

@Suite("Evaluation runner")
struct EvaluationRunnerTests {
    private let rows = RunnerFixture.rows
    private let split = RunnerFixture.split

    /// Reference baseline (Surprise's ALS, in Double): μ, b_u, b_i after 10 sweeps with λ_i = 10, λ_u = 15.
    private func referenceBaseline() -> (mu: Double, user: [Int: Double], item: [Int: Double]) {
        let train = split.train.map { rows[$0] }
        let mu = train.reduce(0.0) { $0 + Double($1.rating) } / Double(train.count)
        var user: [Int: Double] = [:]
        var item: [Int: Double] = [:]
        for _ in 0..<10 {
            for i in Set(train.map(\.item)) {
                let mine = train.filter { $0.item == i }
                item[Int(i)] = mine.reduce(0.0) { $0 + Double($1.rating) - mu - (user[Int($1.user)] ?? 0) } / (10 + Double(mine.count))
            }
            for u in Set(train.map(\.user)) {
                let mine = train.filter { $0.user == u }
                user[Int(u)] = mine.reduce(0.0) { $0 + Double($1.rating) - mu - item[Int($1.item)]! } / (15 + Double(mine.count))
            }
        }
        return (mu, user, item)
    }

    private func rmse(_ pairs: [(Double, Double)]) -> Double {
        (pairs.reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(pairs.count)).squareRoot()
    }

    @Test("Global mean and baseline only match a reference; cold rows use the known baseline terms")
    func baselineVariants() throws {
        let runner = try EvaluationRunner(dataset: try RunnerFixture.dataset(),
                                          settings: EvaluationSettings(parameters: RunnerFixture.parameters))
        let results = try runner.evaluate(split: split, variants: [.globalMean, .baselineOnly])
        let reference = referenceBaseline()
        let trainRatings = split.train.map { Double(rows[$0].rating) }
        let (low, high) = (trainRatings.min()!, trainRatings.max()!)
        let test = split.test.map { rows[$0] }
        let globalRMSE = rmse(test.map { (reference.mu, Double($0.rating)) })
        let baselineRMSE = rmse(test.map { row in
            let estimate = reference.mu + (reference.user[Int(row.user)] ?? 0) + (reference.item[Int(row.item)] ?? 0)
            return (min(max(estimate, low), high), Double(row.rating))
        })
        #expect(abs(try #require(results[0].rating?.rootMeanSquaredError) - globalRMSE) < 1e-5)
        #expect(abs(try #require(results[1].rating?.rootMeanSquaredError) - baselineRMSE) < 1e-4)
        #expect(results[0].ranking == nil)
        #expect(results[1].testRatings == split.test.count)
        #expect(results[1].testUsers == 9)
        #expect(results[1].coldTestRatings == 3)
    }

    @Test("Each model variant predicts what a model trained with its weights predicts")
    func modelVariantsMatchTrainedModels() throws {
        let runner = try EvaluationRunner(dataset: try RunnerFixture.dataset(),
                                          settings: EvaluationSettings(parameters: RunnerFixture.parameters))
        let variants: [ModelVariant] = [.svdOnly, .userAttentionOnly, .filmAttentionOnly, .fullModel]
        let results = try runner.evaluate(split: split, variants: variants)
        let defaults = RunnerFixture.parameters
        let weights: [(Float, Float, Float)] = [
            (1, 0, 0), (0, 1, 0), (0, 0, 1),
            (defaults.svdWeight, defaults.userAttentionWeight, defaults.movieAttentionWeight),
        ]
        for (result, weight) in zip(results, weights) {
            var parameters = defaults
            (parameters.svdWeight, parameters.userAttentionWeight, parameters.movieAttentionWeight) = weight
            let model = try Model.train(data: RunnerFixture.trainData(), parameters: parameters)
            let pairs = try split.test.map { index -> (Double, Double) in
                let row = rows[index]
                let predicted: Float
                if row.user < 8 && row.item < 10 {
                    predicted = try model.predict(user: Int(row.user), movie: Int(row.item))
                } else {
                    let b = model.baseline
                    let estimate = b.globalMean + (row.user < 8 ? b.userBias[Int(row.user)] : 0)
                        + (row.item < 10 ? b.movieBias[Int(row.item)] : 0)
                    predicted = min(max(estimate, model.ratingRange.lowerBound), model.ratingRange.upperBound)
                }
                return (Double(predicted), Double(row.rating))
            }
            #expect(abs(try #require(result.rating?.rootMeanSquaredError) - rmse(pairs)) < 1e-6)
        }
        #expect(results[1].ranking == nil && results[2].ranking == nil)
    }

    @Test("Rankings: full model = the model's recommender, most popular by train count, cold users by b_i")
    func rankings() throws {
        let runner = try EvaluationRunner(dataset: try RunnerFixture.dataset(),
                                          settings: EvaluationSettings(k: 3, parameters: RunnerFixture.parameters))
        let results = try runner.evaluate(split: split, variants: [.mostPopular, .fullModel, .baselineOnly])
        let protocolDriver = try TopNEvaluation(rows: rows, split: split, k: 3)
        let model = try Model.train(data: RunnerFixture.trainData(), parameters: RunnerFixture.parameters)
        let biasOrder = (0..<10).sorted { (model.baseline.movieBias[$0], -$0) > (model.baseline.movieBias[$1], -$1) }
            .map(Int32.init)
        let expectedFull = try protocolDriver.evaluate { user in
            user == 8 ? biasOrder
                : try Recommender(model: model).topN(user: Int(user), count: 3).map { Int32($0.movie) }
        }
        #expect(results[1].ranking == expectedFull)
        #expect(results[2].ranking == (try protocolDriver.evaluate { _ in biasOrder }))

        var counts = [Int](repeating: 0, count: 10)
        for index in split.train { counts[Int(rows[index].item)] += 1 }
        let popular = (0..<10).sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }.map(Int32.init)
        #expect(results[0].ranking == (try protocolDriver.evaluate { _ in popular }))
        #expect(results[0].rating == nil)
        #expect(results[0].ranking?.evaluatedUsers == protocolDriver.evaluatedUsers.count)
        #expect(protocolDriver.evaluatedUsers.contains(8))
    }

    @Test("Figures do not depend on the thread count")
    func threadIndependence() throws {
        let dataset = try RunnerFixture.dataset()
        let serial = try EvaluationRunner(dataset: dataset, settings: EvaluationSettings(parameters: RunnerFixture.parameters))
        let parallel = try EvaluationRunner(dataset: dataset, settings: EvaluationSettings(
            parameters: RunnerFixture.parameters, threadCount: 3))
        #expect(try serial.evaluate(split: split, variants: ModelVariant.allCases)
                == parallel.evaluate(split: split, variants: ModelVariant.allCases))
    }

    @Test("Bad settings, splits and rows are rejected with an EvaluationError")
    func errors() throws {
        let dataset = try RunnerFixture.dataset()
        #expect(throws: EvaluationError.self) { try EvaluationRunner(dataset: dataset, settings: EvaluationSettings(k: 0)) }
        #expect(throws: EvaluationError.self) {
            try EvaluationRunner(dataset: dataset, settings: EvaluationSettings(relevanceThreshold: .infinity))
        }
        let runner = try EvaluationRunner(dataset: dataset, settings: EvaluationSettings(parameters: RunnerFixture.parameters))
        #expect(throws: EvaluationError.self) { try runner.evaluate(split: RowSplit(train: [0, 1], test: [])) }
        #expect(throws: EvaluationError.self) { try runner.evaluate(split: RowSplit(train: [0, 999], test: [2])) }
        #expect(throws: EvaluationError.self) {
            try EvaluationDataset(rows: [RatingRow(user: 3, item: 0, rating: 1, timestamp: 0)], userCount: 2, itemCount: 1)
        }
        #expect(throws: EvaluationError.self) { try EvaluationDataset(rows: [], userCount: 1, itemCount: 1) }
    }
}
