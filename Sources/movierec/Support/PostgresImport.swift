import ArgumentParser
import Foundation
import MovieRecPostgres
import MovieRecStore

/// The rows of a PostgreSQL table or query imported into the database, for `import postgresql://…` and
/// `train --ratings-source`: streamed into a temporary CSV file (``PostgresRatingsExport``), then imported by
/// the file importer with its validation, `--on-error`, progress and one transaction. If PostgreSQL fails on the
/// way, nothing is imported.
enum PostgresImport {
    /// Streams the rows of `query` at `location` into a temporary CSV file (the caller removes it).
    static func export(from location: PostgresLocation, query: PostgresRatingsQuery, showsProgress: Bool) throws
        -> PostgresExportedFile {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("movierec-postgres-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("ratings-from-postgresql.csv").path
        let started = ContinuousClock.now
        let rows: Int
        do {
            rows = try runBlocking {
                try await PostgresRatingsExport.export(from: location, query: query, to: path) { count in
                    if showsProgress { FileHandle.standardError.write(Data("\rreading PostgreSQL: \(groupedDigits(count)) rows".utf8)) }
                }
            }
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        if showsProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let source = "\(location) " + (query.table.map { "table \($0)" } ?? "query")
        return PostgresExportedFile(path: path, folder: folder.path, source: source, query: query, rows: rows, seconds: seconds)
    }

    /// Imports `file` (a ratings file, or the one `exported` from PostgreSQL) into `databasePath` with a progress
    /// bar; an error about the exported file says how its lines map to the result's rows.
    static func importRatings(file: String, exported: PostgresExportedFile?, into databasePath: String,
                              options: ImportOptions, showsProgress: Bool) throws -> ImportSummary {
        let importer = RatingsImporter(databasePath: databasePath, options: options)
        let bar = ProgressBar(enabled: showsProgress)
        defer { bar.finish() }
        do {
            var summary = try importer.run(ratingsFile: exported?.path ?? file) { bar.update($0) }
            if let exported { summary.file = exported.source }
            return summary
        } catch {
            bar.finish()
            if let exported {
                printError("note: \(exported.path) holds the rows read from \(exported.source); its line N is row N−1 "
                           + "of the result (line 1 is the header)")
            }
            throw error
        }
    }

    /// The skipped rows of `summary` on stderr (the first five, and where the rest are).
    static func reportRejects(of summary: ImportSummary) {
        guard !summary.firstRejects.isEmpty else { return }
        let total = summary.skipped + summary.moviesSkipped + summary.linksSkipped
        printError("Skipped \(groupedDigits(total)) bad row\(total == 1 ? "" : "s")\(total > 5 ? "; the first 5" : ""):")
        summary.firstRejects.forEach { printError("  " + $0) }
        if let rejects = summary.rejectsFile { printError("All rejected rows: \(rejects)") }
    }

    /// `options` for the CSV file exported from PostgreSQL by `query`: its columns, in UTF-8.
    static func options(for query: PostgresRatingsQuery, _ options: ImportOptions) -> ImportOptions {
        var options = options
        options.format = .csv(query.columnSpec)
        options.encoding = .utf8
        return options
    }
}

/// The temporary CSV file a PostgreSQL import reads, and where it came from.
struct PostgresExportedFile {
    let path: String
    let folder: String
    /// The redacted server and table (or "query"), shown as the import's file.
    let source: String
    let query: PostgresRatingsQuery
    let rows: Int
    let seconds: Double

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

/// Runs `work` to completion from synchronous code (a command's `run()`, never an event loop thread).
func runBlocking<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    nonisolated(unsafe) var result: Result<T, Error>?
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { result = .success(try await work()) } catch { result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try result!.get()
}
