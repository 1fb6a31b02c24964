import ArgumentParser
import Foundation

/// Options every command that touches the database shares.
struct DatabaseOptions: ParsableArguments {
    /// Path of the SQLite database. Defaults to `$MOVIEREC_DB`, else `movierec.sqlite` in the current directory.
    @Option(name: .long, help: ArgumentHelp("SQLite database file (default: $MOVIEREC_DB or ./movierec.sqlite).", valueName: "path"))
    var db: String?

    /// The database path to use after applying the environment default.
    var resolvedPath: String {
        if let db { return db }
        if let env = ProcessInfo.processInfo.environment["MOVIEREC_DB"], !env.isEmpty { return env }
        return "movierec.sqlite"
    }
}

/// Output options shared by every command.
struct OutputOptions: ParsableArguments {
    /// Print machine-readable JSON on stdout instead of text.
    @Flag(name: .long, help: "Print machine-readable JSON on stdout.")
    var json = false

    /// Suppress progress output on stderr.
    @Flag(name: .long, help: "No progress output on stderr.")
    var quiet = false
}

/// Writes an `Encodable` value as pretty, key-sorted JSON followed by a newline on stdout.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = try encoder.encode(value)
    FileHandle.standardOutput.write(data)
    FileHandle.standardOutput.write(Data("\n".utf8))
}

/// Writes a line to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// True when stderr is an interactive terminal (progress bars are drawn only then).
var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
