import ArgumentParser
import Foundation
import MovieRecPostgres
import MovieRecStore

/// `movierec import`: load a ratings file (and optionally a movie catalogue) into the database.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a ratings file (and optionally a movie file) into the database.",
        discussion: """
            Formats are detected from the first line: MovieLens ratings.csv (header userId,movieId,rating,timestamp), \
            ml-100k u.data (tab-separated) and ml-1m ratings.dat (::-separated); movie files movies.csv, u.item and \
            movies.dat. Any other delimited file works with --user-column/--movie-column/--rating-column.

            Importing the same (user, movie) pair again updates it when its timestamp is newer or equal; it never \
            duplicates it. With --on-error abort (the default) the first bad row stops the import and leaves the \
            database unchanged; with --on-error skip bad rows are written to <db>.rejects.csv.

            A postgresql:// source streams the rows of --table or --query into a temporary CSV file that is then \
            imported like a file (same checks; an error names the temporary file's line, row N−1 of the \
            result). The password comes from PGPASSWORD or ~/.pgpass, never from the URL.

            Examples:
              movierec import ratings.csv --movies movies.csv --db movies.sqlite
              movierec import u.data --movies u.item --json
              movierec import ratings.csv --movies movies.csv --links links.csv
              movierec import latin1.csv --encoding latin1
              movierec import postgresql://app@db:5432/site --table ratings
              movierec import postgresql://app@db/site --query \\
                  "SELECT * FROM r WHERE t > 0" --user-column who \\
                  --movie-column film --rating-column stars
              movierec import my.tsv --delimiter '\\t' --user-column who \\
                  --movie-column film --rating-column stars \\
                  --min-rating 1 --max-rating 10 --on-error skip
            """
    )

    @Argument(help: ArgumentHelp("The ratings file, or postgresql://USER@HOST:PORT/DB with --table or --query "
                                 + "(password from PGPASSWORD or ~/.pgpass; ?sslmode=require for TLS).",
                                 valueName: "ratings-file"))
    var ratings: String

    @Option(help: ArgumentHelp("PostgreSQL: the ratings table (columns default to user_id, movie_id, rating, rated_at).",
                               valueName: "table"))
    var table: String?

    @Option(help: ArgumentHelp("PostgreSQL: a SELECT whose result has the rating columns (named with --…-column).",
                               valueName: "sql"))
    var query: String?

    @Option(help: ArgumentHelp("A movie file to import with the ratings (movies.csv, u.item or movies.dat).", valueName: "file"))
    var movies: String?

    @Option(help: ArgumentHelp("A MovieLens links.csv (movieId,imdbId,tmdbId): store each movie's IMDb and TMDb ids.", valueName: "file"))
    var links: String?

    @Option(help: ArgumentHelp("auto (UTF-8; latin-1 for u.item and movies.dat), utf8 or latin1.", valueName: "encoding"))
    var encoding: TextEncoding = .auto

    @Option(help: ArgumentHelp("auto, movielens-csv, ml-100k, ml-1m or csv.", valueName: "format"))
    var inputFormat = RatingsFormatChoice.auto

    @Option(help: ArgumentHelp("auto, movielens-csv, ml-100k or ml-1m.", valueName: "format"))
    var moviesFormat = MoviesFormat.auto

    @OptionGroup var columns: RatingColumnOptions

    @Option(help: ArgumentHelp("Lowest valid rating (default: 0.5 for ratings.csv, 1 for ml-100k/ml-1m, none for csv).", valueName: "x"))
    var minRating: Double?

    @Option(help: ArgumentHelp("Highest valid rating (default: 5 for MovieLens formats, none for csv).", valueName: "x"))
    var maxRating: Double?

    @Option(help: ArgumentHelp("abort (default): stop at the first bad row, change nothing; skip: skip bad rows.", valueName: "policy"))
    var onError = ErrorPolicy.abort

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let isPostgres = ratings.hasPrefix("postgresql://") || ratings.hasPrefix("postgres://")
        guard isPostgres || (table == nil && query == nil) else {
            throw ValidationError("--table and --query need a postgresql:// source instead of a file.")
        }
        var exported: PostgresExportedFile?
        if isPostgres { exported = try exportFromPostgres() }
        defer { exported?.remove() }
        let options = try exported.map { try importOptions(postgres: $0.query) } ?? importOptions()
        let importer = RatingsImporter(databasePath: database.resolvedPath, options: options)
        let bar = ProgressBar(enabled: stderrIsTerminal && !output.quiet)
        var summary: ImportSummary
        do {
            summary = try importer.run(ratingsFile: exported?.path ?? ratings) { bar.update($0) }
            bar.finish()
        } catch {
            bar.finish()
            if let exported {
                printError("note: \(exported.path) holds the rows read from \(exported.source); its line N is row N−1 "
                           + "of the result (line 1 is the header)")
            }
            throw error
        }
        if let exported {
            summary.file = exported.source
            if !output.quiet && !output.json {
                print(String(format: "Read %@ rows from PostgreSQL in %.2f s", groupedDigits(exported.rows), exported.seconds))
            }
        }
        if !summary.firstRejects.isEmpty {
            let total = summary.skipped + summary.moviesSkipped + summary.linksSkipped
            printError("Skipped \(groupedDigits(total)) bad row\(total == 1 ? "" : "s")\(total > 5 ? "; the first 5" : ""):")
            summary.firstRejects.forEach { printError("  " + $0) }
            if let rejects = summary.rejectsFile { printError("All rejected rows: \(rejects)") }
        }
        if output.json {
            try printJSON(summary)
            return
        }
        print("Imported \(summary.file) (\(summary.format)) into \(summary.database)\(summary.createdDatabase ? " (new)" : "")")
        print("  read \(groupedDigits(summary.read)) rows: \(groupedDigits(summary.inserted)) inserted, "
              + "\(groupedDigits(summary.updated)) updated, \(groupedDigits(summary.unchanged)) unchanged, "
              + "\(groupedDigits(summary.skipped)) skipped")
        if movies != nil {
            print("  movies: \(groupedDigits(summary.moviesRead)) rows read, \(groupedDigits(summary.moviesSkipped)) skipped")
        }
        if links != nil {
            print("  links: \(groupedDigits(summary.linksRead)) rows read, \(groupedDigits(summary.linksApplied)) stored, "
                  + "\(groupedDigits(summary.linksUnknownMovie)) for movies not in the store, "
                  + "\(groupedDigits(summary.linksSkipped)) skipped")
        }
        print(String(format: "  %.2f s, %@ rows/s", summary.seconds, groupedDigits(Int(summary.rowsPerSecond.rounded()))))
        print("  store now: \(groupedDigits(summary.users)) users, \(groupedDigits(summary.movies)) movies, "
              + "\(groupedDigits(summary.ratings)) ratings (ratings version \(summary.ratingsVersion))")
    }

    /// Streams the PostgreSQL rows into a temporary CSV file (the file importer then imports it).
    private func exportFromPostgres() throws -> PostgresExportedFile {
        guard movies == nil || FileManager.default.fileExists(atPath: movies!) else {
            throw ValidationError("--movies file not found: \(movies!)")
        }
        let location = try PostgresLocation(ratings)
        let query = try PostgresRatingsQuery(table: table, query: query, userColumn: columns.userColumn,
                                             movieColumn: columns.movieColumn, ratingColumn: columns.ratingColumn,
                                             timestampColumn: columns.timestampColumn)
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("movierec-postgres-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("ratings-from-postgresql.csv").path
        let showsProgress = stderrIsTerminal && !output.quiet
        let started = ContinuousClock.now
        let rows = try runBlocking {
            try await PostgresRatingsExport.export(from: location, query: query, to: path) { count in
                if showsProgress { FileHandle.standardError.write(Data("\rreading PostgreSQL: \(groupedDigits(count)) rows".utf8)) }
            }
        }
        if showsProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let source = "\(location) " + (table.map { "table \($0)" } ?? "query")
        return PostgresExportedFile(path: path, folder: folder.path, source: source, query: query, rows: rows, seconds: seconds)
    }

    /// ``ImportOptions`` for the CSV file exported from PostgreSQL: its own columns, the command's other flags.
    func importOptions(postgres query: PostgresRatingsQuery) throws -> ImportOptions {
        var options = try importOptions(format: .csv(query.columnSpec))
        options.encoding = .utf8
        return options
    }

    /// Turns the command-line flags into ``ImportOptions``.
    func importOptions() throws -> ImportOptions { try importOptions(format: nil) }

    private func importOptions(format forced: RatingsFormat?) throws -> ImportOptions {
        let policy = onError
        let catalogueFormat = moviesFormat
        let format = try forced ?? columns.format(inputFormat: inputFormat)
        var bounds: ClosedRange<Double>?
        if minRating != nil || maxRating != nil {
            let scale = format.defaultBounds
            let low = minRating ?? scale?.lowerBound ?? -Double.greatestFiniteMagnitude
            let high = maxRating ?? scale?.upperBound ?? Double.greatestFiniteMagnitude
            guard low.isFinite, high.isFinite, low <= high else {
                throw ValidationError("--min-rating must be a finite number no greater than --max-rating.")
            }
            bounds = low...high
        }
        return ImportOptions(format: format, moviesFile: movies, moviesFormat: catalogueFormat, bounds: bounds, onError: policy,
                             encoding: encoding, linksFile: links)
    }
}

extension TextEncoding: ExpressibleByArgument {}

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
