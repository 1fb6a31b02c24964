import Foundation
import Testing
import MovieRecEvaluation

/// The MovieLens ml-latest-small directory of a sibling `shared/data` folder, found by walking up
/// from this file; `nil` when it is absent (the data is never copied into the repository).
let movieLensDirectory: URL? = {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("shared/data/ml-latest-small")
        if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("topn/train.csv").path) {
            return candidate
        }
        directory.deleteLastPathComponent()
    }
    return nil
}()

/// Reads a `userId,movieId,rating,timestamp` file (CRLF, one header line). Raw MovieLens ids are
/// used as the row's user and item numbers, so "smaller movieId first" is "smaller item first".
func readRatings(_ url: URL) throws -> [RatingRow] {
    let text = try String(contentsOf: url, encoding: .utf8)
    return try text.split(whereSeparator: \.isNewline).dropFirst().map { line in
        let fields = line.split(separator: ",")
        guard fields.count == 4, let user = Int32(fields[0]), let item = Int32(fields[1]),
              let rating = Float(fields[2]), let timestamp = Int64(fields[3]) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: url.path])
        }
        return RatingRow(user: user, item: item, rating: rating, timestamp: timestamp)
    }
}

// Skipped when ../shared/data/ml-latest-small is absent (for example on a fresh clone):
// the MovieLens files are never part of the repository.
@Suite("Shared top-N split of ml-latest-small", .enabled(if: movieLensDirectory != nil, "shared/data/ml-latest-small not found next to the repository; skipping"))
struct SharedTopNSplitTests {
    @Test("Most-popular ranker reproduces the reference figures of the folds README protocol")
    func mostPopularReferenceFigures() throws {
        let directory = try #require(movieLensDirectory)
        let train = try readRatings(directory.appendingPathComponent("topn/train.csv"))
        let test = try readRatings(directory.appendingPathComponent("topn/test.csv"))
        #expect(train.count == 80_896)
        #expect(test.count == 19_940)
        let rows = train + test
        let split = RowSplit(train: Array(train.indices), test: Array(train.count..<rows.count))
        let evaluation = try TopNEvaluation(rows: rows, split: split)
        #expect(Set(rows.map(\.user)).count == 610)
        #expect(evaluation.evaluatedUsers.count == 595)

        // Reference ranker, written independently of the module: items by train count, descending,
        // ties by smaller movieId first; the driver removes each user's train items.
        var counts: [Int32: Int] = [:]
        for row in train { counts[row.item, default: 0] += 1 }
        let popular = counts.sorted { ($0.value, -Int($0.key)) > ($1.value, -Int($1.key)) }.map(\.key)
        #expect(evaluation.catalog.count == counts.count)

        let summary = try evaluation.evaluate { user in
            let rated = evaluation.trainItems(of: user)
            return Array(popular.lazy.filter { !rated.contains($0) }.prefix(10))
        }
        #expect(summary.evaluatedUsers == 595)
        #expect(abs(summary.precision - 0.1178) < 0.00005)
        #expect(abs(summary.recall - 0.1505) < 0.00005)
        #expect(abs(summary.ndcg - 0.1582) < 0.00005)
        #expect(abs(summary.meanAveragePrecision - 0.0882) < 0.00005)
    }

    @Test("Per-user holdout and time split of ratings.csv hold out max(1, n/5) rows per user, like the shared split")
    func holdoutSizesMatchSharedSplit() throws {
        let directory = try #require(movieLensDirectory)
        let rows = try readRatings(directory.appendingPathComponent("ratings.csv"))
        let sharedTest = try readRatings(directory.appendingPathComponent("topn/test.csv"))
        #expect(rows.count == 100_836)

        var sharedPerUser: [Int32: Int] = [:]
        for row in sharedTest { sharedPerUser[row.user, default: 0] += 1 }
        for split in [RowSplit.perUserHoldout(of: rows, seed: 42), RowSplit.timeSplit(of: rows)] {
            #expect(split.train.count == 80_896)
            #expect(split.test.count == 19_940)
            var perUser: [Int32: Int] = [:]
            for index in split.test { perUser[rows[index].user, default: 0] += 1 }
            #expect(perUser == sharedPerUser)
        }
    }
}
