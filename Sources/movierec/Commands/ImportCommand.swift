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

            --quiet prints nothing on success (no progress, no summary); errors and skipped rows still go to \
            stderr, and --json still prints the summary.

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

    @Option(help: ArgumentHelp("abort (default): stop at the first bad row, change nothing; skip: skip bad rows.", valueName: "policy"))
    var onError = ErrorPolicy.abort

    @Option(help: ArgumentHelp("merge (default): add and update ratings (newer timestamp wins); replace: the source is "
                               + "every rating, stored ratings it lacks are removed.", valueName: "mode"))
    var mode = ImportMode.merge

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let isPostgres = ratings.hasPrefix("postgresql://") || ratings.hasPrefix("postgres://")
        guard isPostgres || (table == nil && query == nil) else {
            throw ValidationError("--table and --query need a postgresql:// source instead of a file.")
        }
        let showsProgress = stderrIsTerminal && !output.quiet
        var exported: PostgresExportedFile?
        if isPostgres {
            guard movies == nil || FileManager.default.fileExists(atPath: movies!) else {
                throw ValidationError("--movies file not found: \(movies!)")
            }
            let rows = try PostgresRatingsQuery(table: table, query: query, userColumn: columns.userColumn,
                                                movieColumn: columns.movieColumn, ratingColumn: columns.ratingColumn,
                                                timestampColumn: columns.timestampColumn)
            exported = try PostgresImport.export(from: try PostgresLocation(ratings), query: rows, showsProgress: showsProgress)
        }
        defer { exported?.remove() }
        let options = try exported.map { try importOptions(postgres: $0.query) } ?? importOptions()
        let summary = try PostgresImport.importRatings(file: ratings, exported: exported, into: database.resolvedPath,
                                                       options: options, showsProgress: showsProgress)
        if let exported, !output.quiet && !output.json {
            print(String(format: "Read %@ rows from PostgreSQL in %.2f s", groupedDigits(exported.rows), exported.seconds))
        }
        PostgresImport.reportRejects(of: summary)
        if output.json {
            try printJSON(summary)
            return
        }
        guard !output.quiet else { return }
        print("Imported \(summary.file) (\(summary.format)) into \(summary.database)\(summary.createdDatabase ? " (new)" : "")")
        print("  read \(groupedDigits(summary.read)) rows: \(groupedDigits(summary.inserted)) inserted, "
              + "\(groupedDigits(summary.updated)) updated, \(groupedDigits(summary.unchanged)) unchanged, "
              + "\(groupedDigits(summary.skipped)) skipped"
              + (mode == .replace ? "; \(groupedDigits(summary.removed)) stored ratings not in the source removed" : ""))
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

    /// ``ImportOptions`` for the CSV file exported from PostgreSQL: its own columns, the command's other flags.
    func importOptions(postgres query: PostgresRatingsQuery) throws -> ImportOptions {
        PostgresImport.options(for: query, try importOptions(format: .csv(query.columnSpec)))
    }

    /// Turns the command-line flags into ``ImportOptions``.
    func importOptions() throws -> ImportOptions { try importOptions(format: nil) }

    private func importOptions(format forced: RatingsFormat?) throws -> ImportOptions {
        let policy = onError
        let catalogueFormat = moviesFormat
        let format = try forced ?? columns.format(inputFormat: inputFormat)
        let bounds = try columns.bounds(format: format)
        return ImportOptions(format: format, moviesFile: movies, moviesFormat: catalogueFormat, bounds: bounds, onError: policy,
                             encoding: encoding, linksFile: links, mode: mode)
    }
}

extension TextEncoding: ExpressibleByArgument {}
