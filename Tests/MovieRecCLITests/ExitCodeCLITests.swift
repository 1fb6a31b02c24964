import Foundation
import Testing

/// The exit codes of `CLIExitCode` on the real binary (the worked example in data/worked-example).
@Suite("movierec exit codes", .enabled(if: BinaryRunner.executable != nil, "movierec binary not built"))
struct ExitCodeCLITests {
    private static let workedExample = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("data/worked-example")

    @Test("5 missing database, 3 no model, 2 unknown user or film, 4 bad ratings file, 64 usage, 0 success")
    func exitCodes() throws {
        let dir = try ScratchDirectory()
        let example = { (file: String) in Self.workedExample.appendingPathComponent(file).path }
        #expect(try dir.run(["recommend", "P1"], db: "missing.sqlite").status == 5)
        #expect(try dir.run(["import", example("ratings.csv"), "--movies", example("movies.csv"), "--quiet"]).status == 0)
        let noModel = try dir.run(["recommend", "P1"])
        #expect(noModel.status == 3 && noModel.stderr.contains("movierec train"))
        #expect(try dir.run(["train", "--rank", "2", "--baseline", "none", "--quiet"]).status == 0)
        let unknown = try dir.run(["recommend", "P99"])
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown user \"P99\""))
        #expect(try dir.run(["similar-movies", "Casablanca"]).status == 2)
        let bad = try dir.write("bad.csv", "movie,rating\n1,5\n2,lots\n")
        #expect(try dir.run(["recommend", "--ratings", bad]).status == 4)
        #expect(try dir.run(["recommend", "P1", "--count", "x"]).status == 64)
        #expect(try dir.run(["recommend", "P1"]).status == 0)
    }
}
