import ArgumentParser
import Foundation
import MovieRecModel
import MovieRecService
import MovieRecStore

/// `movierec demo`: builds a database from the bundled demo data, trains, and shows what the commands do.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Import the demo data, train, and show recommendations, similar users and a comparison.",
        discussion: """
            Uses data/demo (2,000 synthetic users, 400 films, 100,000 ratings) from the current directory or the \
            repository the executable was built in. The database goes to a temporary directory (removed at the \
            end unless --keep) or to --db. With --worked-example it uses the 7 users and 5 films of the design's \
            worked example instead and compares the two new users P8 and P9, who share no film.

            Examples:
              movierec demo
              movierec demo --worked-example
              movierec demo --db demo.sqlite
              movierec recommend 1 --explain --db demo.sqlite     # then use it
            """
    )

    @Option(help: ArgumentHelp("Build the database here (a new file) instead of a temporary directory.", valueName: "path"))
    var db: String?

    @Flag(help: "Keep the temporary database and print its path.")
    var keep = false

    @Flag(help: "Use the worked example (P1–P9) instead of the demo data.")
    var workedExample = false

    func run() throws {
        let data = try DataDirectory.locate(workedExample ? "data/worked-example" : "data/demo", containing: "ratings.csv")
        let (path, temporary) = try databaseLocation()
        defer {
            if let temporary, !keep { try? FileManager.default.removeItem(at: temporary) }
        }
        let clock = ContinuousClock()
        let started = clock.now
        let imported = try RatingsImporter(
            databasePath: path,
            options: ImportOptions(moviesFile: data.appendingPathComponent("movies.csv").path)
        ).run(ratingsFile: data.appendingPathComponent("ratings.csv").path)
        print("1. Imported \(groupedDigits(imported.ratings)) ratings of \(groupedDigits(imported.users)) users and "
              + "\(groupedDigits(imported.movies)) films from \(data.path) (\(String(format: "%.2f", imported.seconds)) s)")
        print("   into \(path)\(temporary != nil && !keep ? " (temporary)" : "")")

        var parameters = ModelParameters()
        if workedExample {
            parameters.rank = 2
            parameters.baselineMode = .none
        }
        let line = StageLine(enabled: stderrIsTerminal)
        let session = try ModelSession.train(databasePath: path, parameters: parameters, progress: line.show)
        line.finish()
        let trained = TrainCommand.render(TrainCommand.report(session)).split(separator: "\n").map(String.init)
        print("2. " + trained[0])
        trained.dropFirst().forEach { print(" " + $0) }

        if workedExample {
            try showWorkedExample(session, data: data)
        } else {
            try showDemo(session)
        }
        print(String(format: "Done in %.2f s.", seconds(since: started)))
        if temporary == nil || keep {
            print("Try: movierec recommend \(workedExample ? "P1" : session.userID(0)) --explain --db \(path)")
        }
    }

    /// Recommendations with reasons, similar users and a comparison for the first user of the demo data.
    private func showDemo(_ session: ModelSession) throws {
        let user = try session.resolveUser(session.userID(0))
        print("\n3. Recommendations for \(user.summary), with the strongest reasons:")
        print(RecommendCommand.render(try RecommendCommand.report(session, user: user, count: 5, explain: true)))
        print("\n4. Users most similar to user \(user.label):")
        let similar = try SimilarCommand.report(session, user: user, count: 5)
        print(SimilarCommand.render(similar))
        guard let nearest = similar.similar.first else { return }
        let other = try session.resolveUser(nearest.user)
        print("\n5. Comparing \(user.summary) with \(other.summary):")
        print(CompareCommand.render(try CompareCommand.report(session, user, other, count: 3)))
    }

    /// The worked example: P8 and P9 share no film, yet their folded-in latent vectors are nearly parallel.
    private func showWorkedExample(_ session: ModelSession, data: URL) throws {
        let p8 = try session.newUser(ratingsFile: data.appendingPathComponent("new-user-P8.csv").path, warn: printError)
        let p9 = try session.newUser(ratingsFile: data.appendingPathComponent("new-user-P9.csv").path, warn: printError)
        print("\n3. P8 rated only Star Wars 5; P9 rated The Matrix 4 and Iron Man 5. Comparing them:")
        print(CompareCommand.render(try CompareCommand.report(session, p8, p9, count: 3)))
        print("\n4. Users most similar to P8 (folded in):")
        print(SimilarCommand.render(try SimilarCommand.report(session, user: p8, count: 3)))
        print("\n5. Recommendations for P8, with the strongest reasons:")
        print(RecommendCommand.render(try RecommendCommand.report(session, user: p8, count: 3, explain: true)))
    }

    /// The database path, and the temporary directory holding it when `--db` is not given.
    private func databaseLocation() throws -> (path: String, temporary: URL?) {
        if let db {
            guard !FileManager.default.fileExists(atPath: db) else {
                throw CommandError(.demoSetup, file: db, "the demo builds a new database, but this file exists: "
                                   + "remove it or choose another --db path")
            }
            return (db, nil)
        }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("movierec-demo-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory.appendingPathComponent("movierec.sqlite").path, directory)
    }
}
