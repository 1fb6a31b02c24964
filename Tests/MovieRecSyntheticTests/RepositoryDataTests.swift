import Foundation
import Testing
import MovieRecSynthetic

/// The repository's `data/` folder, found by walking up from this file to the directory holding Package.swift.
private let dataDirectory: URL? = {
    var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while directory.path != "/" {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
            return directory.appendingPathComponent("data")
        }
        directory.deleteLastPathComponent()
    }
    return nil
}()

@Suite("Committed data sets")
struct RepositoryDataTests {
    /// The command in data/demo/README.md: `movierec generate --users 2000 --movies 400 --ratings 100000 --seed 7 --out data/demo`.
    static let demoConfiguration = SyntheticConfiguration(users: 2_000, movies: 400, ratings: 100_000, seed: 7)

    @Test("data/demo is byte-identical to a fresh run of the command in its README")
    func demoRegenerates() throws {
        let demo = try #require(dataDirectory).appendingPathComponent("demo")
        let readme = try String(contentsOf: demo.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("movierec generate --users 2000 --movies 400 --ratings 100000 --seed 7 --out data/demo"))
        let fresh = FileManager.default.temporaryDirectory.appendingPathComponent("movierec-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: fresh) }
        _ = try generateSyntheticDataset(Self.demoConfiguration, into: fresh)
        for name in ["ratings.csv", "movies.csv"] {
            let committed = try Data(contentsOf: demo.appendingPathComponent(name))
            let regenerated = try Data(contentsOf: fresh.appendingPathComponent(name))
            #expect(committed == regenerated, "data/demo/\(name) differs from a fresh run")
        }
        let size = try FileManager.default.attributesOfItem(atPath: demo.appendingPathComponent("ratings.csv").path)[.size] as? Int
        #expect((size ?? .max) < 3_000_000)
    }

    @Test("data/worked-example holds exactly the non-zero entries of the design's 7 × 5 table")
    func workedExampleMatchesDesign() throws {
        let folder = try #require(dataDirectory).appendingPathComponent("worked-example")
        // Section 1 of the worked example: rows P1…P7, columns Star Wars, Matrix, Iron Man, You've Got Mail, Titanic.
        let table: [[Double]] = [
            [1, 1, 1, 0, 0], [3, 3, 3, 0, 0], [4, 4, 4, 0, 0], [5, 5, 5, 0, 0],
            [0, 2, 0, 4, 4], [0, 0, 0, 5, 5], [0, 1, 0, 2, 2],
        ]
        let ratings = try CSVTable(contentsOf: folder.appendingPathComponent("ratings.csv"))
        #expect(ratings.header == ["userId", "movieId", "rating", "timestamp"])
        var read = [[Double]](repeating: [0, 0, 0, 0, 0], count: 7)
        for row in ratings.rows {
            let user = try #require(Int(row[0].dropFirst())), movie = try #require(Int(row[1]))
            #expect(row[0].hasPrefix("P"))
            #expect(read[user - 1][movie - 1] == 0, "duplicate rating \(row)")
            read[user - 1][movie - 1] = try #require(Double(row[2]))
        }
        #expect(read == table)
        #expect(ratings.rows.count == table.joined().filter { $0 != 0 }.count)

        let movies = try CSVTable(contentsOf: folder.appendingPathComponent("movies.csv"))
        #expect(movies.rows.map { $0[1] } == [
            "Star Wars (1977)", "Matrix, The (1999)", "Iron Man (2008)", "You've Got Mail (1998)", "Titanic (1997)",
        ])
        let p8 = try CSVTable(contentsOf: folder.appendingPathComponent("new-user-P8.csv"))
        let p9 = try CSVTable(contentsOf: folder.appendingPathComponent("new-user-P9.csv"))
        #expect(p8.header == ["movie", "rating"] && p9.header == ["movie", "rating"])
        #expect(p8.rows == [["1", "5.0"]])
        #expect(p9.rows == [["2", "4.0"], ["3", "5.0"]])
    }
}
