import Foundation

/// Runs the built `movierec` executable (found next to the test bundle) and captures its output.
enum BinaryRunner {
    /// Exit status and output of one run.
    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// The `movierec` binary in the build products directory, if it has been built.
    static let executable: URL? = {
        var candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent()]
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            candidates.append(bundle.bundleURL.deletingLastPathComponent())
        }
        return candidates.map { $0.appendingPathComponent("movierec") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Starts `movierec arguments...` with stdout/stderr going to files in `directory`.
    static func start(_ arguments: [String], in directory: URL) throws -> (process: Process, stdout: URL, stderr: URL) {
        guard let executable else { throw CocoaError(.fileNoSuchFile) }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "MOVIEREC_DB")
        process.environment = environment
        let token = UUID().uuidString
        let stdout = directory.appendingPathComponent("stdout-\(token).txt")
        let stderr = directory.appendingPathComponent("stderr-\(token).txt")
        FileManager.default.createFile(atPath: stdout.path, contents: nil)
        FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        try process.run()
        return (process, stdout, stderr)
    }

    /// Runs `movierec arguments...` to completion in `directory`.
    static func run(_ arguments: [String], in directory: URL) throws -> Outcome {
        let started = try start(arguments, in: directory)
        started.process.waitUntilExit()
        defer {
            try? FileManager.default.removeItem(at: started.stdout)
            try? FileManager.default.removeItem(at: started.stderr)
        }
        return Outcome(status: started.process.terminationStatus,
                       stdout: try String(contentsOf: started.stdout, encoding: .utf8),
                       stderr: try String(contentsOf: started.stderr, encoding: .utf8))
    }
}

/// A temporary directory for one test, removed when the test releases it.
final class ScratchDirectory {
    /// Its location.
    let url: URL
    /// Creates an empty directory named `prefix-<uuid>` in the temporary directory.
    init(prefix: String = "movierec-cli") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    /// The path of `name` inside the directory.
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }
    /// Runs `movierec arguments... --db db` here.
    func run(_ arguments: [String], db: String = "db.sqlite") throws -> BinaryRunner.Outcome {
        try BinaryRunner.run(arguments + ["--db", db], in: url)
    }
}
