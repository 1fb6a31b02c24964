import Foundation
import Testing
@testable import MovieRecSynthetic

/// A generated data set read back with the test's own CSV reader.
private struct GeneratedSet {
    struct Rating { let user: Int; let movie: Int; let rating: Double; let time: Int }

    let configuration: SyntheticConfiguration
    let summary: SyntheticSummary
    let ratingsData: Data
    let moviesData: Data
    let ratingsTable: CSVTable
    let moviesTable: CSVTable
    let ratings: [Rating]

    init(_ configuration: SyntheticConfiguration, threads: Int = 2) throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("movierec-synthetic-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        self.configuration = configuration
        summary = try generateSyntheticDataset(configuration, into: directory, threads: threads)
        let ratingsURL = directory.appendingPathComponent("ratings.csv")
        let moviesURL = directory.appendingPathComponent("movies.csv")
        ratingsData = try Data(contentsOf: ratingsURL)
        moviesData = try Data(contentsOf: moviesURL)
        ratingsTable = try CSVTable(contentsOf: ratingsURL)
        moviesTable = try CSVTable(contentsOf: moviesURL)
        ratings = try ratingsTable.rows.map { row in
            let user = try #require(Int(row[0])), movie = try #require(Int(row[1]))
            let rating = try #require(Double(row[2])), time = try #require(Int(row[3]))
            return Rating(user: user, movie: movie, rating: rating, time: time)
        }
    }

    /// Ratings per film id (index 0 unused).
    var movieCounts: [Int] {
        var counts = [Int](repeating: 0, count: configuration.movies + 1)
        for r in ratings { counts[r.movie] += 1 }
        return counts
    }
}

/// 1,000 users × 1,000 films, 40,000 ratings (R ≥ 20·N, 4 % dense like MovieLens), generated once for the suite.
private let standardSet = Result { try GeneratedSet(SyntheticConfiguration(users: 1_000, movies: 1_000, ratings: 40_000, seed: 11)) }

@Suite("Synthetic data set: shape of the generated files")
struct SyntheticShapeTests {
    @Test("exactly R rows with the MovieLens header, LF line endings, every user present, ids in range")
    func countsAndIds() throws {
        let set = try standardSet.get()
        #expect(set.ratingsTable.header == ["userId", "movieId", "rating", "timestamp"])
        #expect(set.ratings.count == 40_000)
        #expect(!set.ratingsData.contains(UInt8(ascii: "\r")))
        #expect(!set.moviesData.contains(UInt8(ascii: "\r")))
        #expect(Set(set.ratings.map(\.user)) == Set(1...1_000))
        #expect(set.ratings.allSatisfy { (1...1_000).contains($0.movie) })
        #expect(set.ratingsTable.rows.allSatisfy { $0.count == 4 })
    }

    @Test("every (user, film) pair at most once, rows sorted by user then film")
    func uniquePairsInKeyOrder() throws {
        let set = try standardSet.get()
        let keys = set.ratings.map { $0.user * 1_000_000 + $0.movie }
        #expect(Set(keys).count == keys.count)
        #expect(keys == keys.sorted())
    }

    @Test("ratings lie on the half-star grid 0.5…5, written with one decimal like MovieLens")
    func halfStarGrid() throws {
        let set = try standardSet.get()
        let allowed = Set(stride(from: 0.5, through: 5.0, by: 0.5).map { String(format: "%.1f", $0) })
        #expect(set.ratingsTable.rows.allSatisfy { allowed.contains($0[2]) })
    }

    @Test("histogram looks like MovieLens: mode 4.0 or 3.5, mean near 3.5, few 0.5s")
    func ratingHistogram() throws {
        let set = try standardSet.get()
        var histogram = [Double: Int]()
        for r in set.ratings { histogram[r.rating, default: 0] += 1 }
        let mode = try #require(histogram.max { $0.value < $1.value }).key
        #expect(mode == 4.0 || mode == 3.5)
        let mean = set.ratings.reduce(0.0) { $0 + $1.rating } / Double(set.ratings.count)
        #expect(abs(mean - 3.5) < 0.25)
        #expect(Double(histogram[0.5, default: 0]) / Double(set.ratings.count) < 0.05)
    }

    @Test("film popularity is long-tailed: top 10 % of films take > 40 % of ratings, median ≪ mean")
    func longTailPopularity() throws {
        let set = try standardSet.get()
        let counts = set.movieCounts.dropFirst().sorted(by: >)
        let top = counts.prefix(counts.count / 10).reduce(0, +)
        #expect(Double(top) > 0.4 * Double(set.ratings.count))
        let median = Double(counts[counts.count / 2])
        let mean = Double(set.ratings.count) / Double(counts.count)
        #expect(median < 0.6 * mean)
    }

    @Test("user activity: at least 20 ratings each when R ≥ 20·N, with a heavy tail")
    func userActivity() throws {
        let set = try standardSet.get()
        var perUser = [Int: Int]()
        for r in set.ratings { perUser[r.user, default: 0] += 1 }
        let counts = perUser.values.sorted()
        #expect(counts.first == 20)
        let mean = Double(set.ratings.count) / Double(counts.count)
        #expect(Double(counts.last!) > 3 * mean)
        #expect(Double(counts[counts.count / 2]) < mean)
    }

    @Test("timestamps: 1996–2024, strictly increasing along each user's rows, never before the film's year")
    func timestamps() throws {
        let set = try standardSet.get()
        var releaseYear = [Int: Int]()
        for row in set.moviesTable.rows {
            let title = row[1]
            let open = try #require(title.lastIndex(of: "("))
            releaseYear[Int(row[0])!] = Int(title[title.index(after: open)...].dropLast())
        }
        let first = 820_454_400, last = 1_735_689_599
        var previous: GeneratedSet.Rating?
        for r in set.ratings {
            #expect((first...last).contains(r.time))
            let year = try #require(releaseYear[r.movie])
            #expect(r.time >= Int(startOfYear(year)))
            if let p = previous, p.user == r.user { #expect(r.time > p.time) }
            previous = r
        }
    }

    @Test("movies.csv: ids 1…M, titles end with a year, MovieLens genres, comma titles quoted (RFC 4180)")
    func moviesFile() throws {
        let set = try standardSet.get()
        #expect(set.moviesTable.header == ["movieId", "title", "genres"])
        #expect(set.moviesTable.rows.map { Int($0[0]) } == Array(1...1_000))
        let genres = Set(["Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama",
                          "Fantasy", "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi",
                          "Thriller", "War", "Western"])
        let yearSuffix = try Regex(#".+ \((19|20)\d\d\)"#)
        for row in set.moviesTable.rows {
            #expect(row.count == 3)
            #expect(row[1].wholeMatch(of: yearSuffix) != nil, "title \(row[1])")
            #expect(row[2] == "(no genres listed)" || row[2].split(separator: "|").allSatisfy { genres.contains(String($0)) })
        }
        let text = String(decoding: set.moviesData, as: UTF8.self)
        let commaTitles = set.moviesTable.rows.map { $0[1] }.filter { $0.contains(",") }
        #expect(!commaTitles.isEmpty)
        #expect(commaTitles.contains { $0.contains(", The (") })
        for title in commaTitles + set.moviesTable.rows.map({ $0[1] }).filter({ $0.contains("\"") }) {
            let quoted = "\"" + title.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            #expect(text.contains("," + quoted + ","), "title \(title) must be quoted")
        }
    }

    @Test("summary agrees with the files: histogram, mean, user and film extremes")
    func summaryMatchesFiles() throws {
        let set = try standardSet.get()
        var histogram = [String: Int]()
        for row in set.ratingsTable.rows { histogram[row[2], default: 0] += 1 }
        for (label, count) in set.summary.histogram { #expect(histogram[label, default: 0] == count) }
        let mean = set.ratings.reduce(0.0) { $0 + $1.rating } / Double(set.ratings.count)
        #expect(abs(set.summary.meanRating - mean) < 1e-9)
        #expect(set.summary.ratingsBytes == set.ratingsData.count)
        #expect(set.summary.moviesBytes == set.moviesData.count)
        #expect(set.summary.maximumMovieRatings == set.movieCounts.max())
        #expect(set.summary.ratedMovies == set.movieCounts.dropFirst().filter { $0 > 0 }.count)
    }
}

@Suite("Synthetic data set: determinism and edge cases")
struct SyntheticDeterminismTests {
    @Test("same seed gives identical bytes for 1 and 3 threads; another seed gives different bytes")
    func determinism() throws {
        // 300 k ratings span three generation blocks, so the thread count really changes the schedule.
        let configuration = SyntheticConfiguration(users: 3_000, movies: 800, ratings: 300_000, seed: 5)
        let one = try GeneratedSet(configuration, threads: 1)
        let three = try GeneratedSet(configuration, threads: 3)
        #expect(one.ratingsData == three.ratingsData)
        #expect(one.moviesData == three.moviesData)
        var other = configuration
        other.seed = 6
        let different = try GeneratedSet(other, threads: 2)
        #expect(different.ratingsData != one.ratingsData)
        #expect(different.moviesData != one.moviesData)
        #expect(different.ratings.count == 300_000)
    }

    @Test("R = N·M: every pair is rated exactly once")
    func fullMatrix() throws {
        let set = try GeneratedSet(SyntheticConfiguration(users: 6, movies: 25, ratings: 150, seed: 1))
        let pairs = Set(set.ratings.map { [$0.user, $0.movie] })
        #expect(pairs.count == 150)
        #expect(pairs == Set((1...6).flatMap { u in (1...25).map { [u, $0] } }))
    }

    @Test("R = N: every user rates exactly one film")
    func oneRatingPerUser() throws {
        let set = try GeneratedSet(SyntheticConfiguration(users: 50, movies: 10, ratings: 50, seed: 2))
        #expect(set.ratings.map(\.user) == Array(1...50))
    }

    @Test("R < 20·N: the floor is ⌊R/N⌋ and the total is still exact")
    func smallTotals() throws {
        let set = try GeneratedSet(SyntheticConfiguration(users: 100, movies: 50, ratings: 737, seed: 3))
        var perUser = [Int: Int]()
        for r in set.ratings { perUser[r.user, default: 0] += 1 }
        #expect(set.ratings.count == 737)
        #expect(perUser.count == 100)
        #expect(perUser.values.min() == 7)
    }

    @Test("user counts sum exactly to R and respect the film count, even when heavy users hit the cap",
          arguments: [(1_000, 30, 29_000), (200, 5_000, 90_000), (7, 3, 20), (1, 1, 1), (3, 1_000, 2_999)])
    func activityAllocation(users: Int, movies: Int, ratings: Int) {
        let counts = UserActivity.counts(users: users, movies: movies, ratings: ratings, seed: 9)
        #expect(counts.count == users)
        #expect(counts.reduce(0, +) == ratings)
        #expect(counts.allSatisfy { (1...movies).contains($0) })
        #expect(counts.min()! >= min(20, movies, ratings / users))
    }
}

@Suite("Synthetic data set: errors")
struct SyntheticErrorTests {
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("movierec-never-written")

    @Test("zero or negative counts are rejected with the option name")
    func zeroCounts() {
        #expect(throws: SyntheticError.invalidCount(name: "users", value: 0, expected: "a whole number from 1 to 2147483647")) {
            try generateSyntheticDataset(SyntheticConfiguration(users: 0, movies: 5, ratings: 5), into: directory)
        }
        #expect(throws: SyntheticError.invalidCount(name: "movies", value: -3, expected: "a whole number from 1 to 2147483647")) {
            try generateSyntheticDataset(SyntheticConfiguration(users: 2, movies: -3, ratings: 5), into: directory)
        }
        #expect(throws: SyntheticError.invalidCount(name: "ratings", value: 0, expected: "a whole number of at least 1")) {
            try generateSyntheticDataset(SyntheticConfiguration(users: 2, movies: 3, ratings: 0), into: directory)
        }
    }

    @Test("more ratings than (user, film) pairs, or fewer than users, are impossible")
    func impossibleTotals() {
        #expect(throws: SyntheticError.tooManyRatings(ratings: 13, users: 3, movies: 4)) {
            try generateSyntheticDataset(SyntheticConfiguration(users: 3, movies: 4, ratings: 13), into: directory)
        }
        #expect(throws: SyntheticError.tooFewRatings(ratings: 9, users: 10)) {
            try generateSyntheticDataset(SyntheticConfiguration(users: 10, movies: 4, ratings: 9), into: directory)
        }
        #expect(SyntheticError.tooManyRatings(ratings: 13, users: 3, movies: 4).description.contains("at most 12"))
        #expect(!FileManager.default.fileExists(atPath: directory.path))
    }

    @Test("an output path under a regular file cannot be written, and the error names the path")
    func unwritableDirectory() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("movierec-file-\(UUID().uuidString)")
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let target = file.appendingPathComponent("out")
        do {
            _ = try generateSyntheticDataset(SyntheticConfiguration(users: 2, movies: 2, ratings: 2), into: target)
            Issue.record("expected an error")
        } catch let error as SyntheticError {
            guard case let .cannotWrite(path, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(path == target.path)
            #expect(error.description.hasPrefix("cannot write \(target.path)"))
        }
    }
}
