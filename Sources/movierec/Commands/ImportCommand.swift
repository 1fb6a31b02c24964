import ArgumentParser
import Foundation
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

            Examples:
              movierec import ratings.csv --movies movies.csv --db movies.sqlite
              movierec import u.data --movies u.item --json
              movierec import ratings.csv --movies movies.csv --links links.csv
              movierec import latin1.csv --encoding latin1
              movierec import my.tsv --delimiter '\\t' --user-column who \\
                  --movie-column film --rating-column stars \\
                  --min-rating 1 --max-rating 10 --on-error skip
            """
    )

    @Argument(help: ArgumentHelp("The ratings file.", valueName: "ratings-file"))
    var ratings: String

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

    @Option(help: ArgumentHelp("Generic csv: user id column (header name or 1-based number).", valueName: "column"))
    var userColumn: String?

    @Option(help: ArgumentHelp("Generic csv: movie id column (header name or 1-based number).", valueName: "column"))
    var movieColumn: String?

    @Option(help: ArgumentHelp("Generic csv: rating column (header name or 1-based number).", valueName: "column"))
    var ratingColumn: String?

    @Option(help: ArgumentHelp("Generic csv: timestamp column, Unix seconds (optional).", valueName: "column"))
    var timestampColumn: String?

    @Option(help: ArgumentHelp("Generic csv: field separator: , \\t ; | or ::.", valueName: "c"))
    var delimiter = ","

    @Flag(help: "Generic csv: the first line is data, not a header (default: detected).")
    var noHeader = false

    @Option(help: ArgumentHelp("Lowest valid rating (default: 0.5 for ratings.csv, 1 for ml-100k/ml-1m, none for csv).", valueName: "x"))
    var minRating: Double?

    @Option(help: ArgumentHelp("Highest valid rating (default: 5 for MovieLens formats, none for csv).", valueName: "x"))
    var maxRating: Double?

    @Option(help: ArgumentHelp("abort (default): stop at the first bad row, change nothing; skip: skip bad rows.", valueName: "policy"))
    var onError = ErrorPolicy.abort

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let importer = RatingsImporter(databasePath: database.resolvedPath, options: try importOptions())
        let bar = ProgressBar(enabled: stderrIsTerminal && !output.quiet)
        let summary: ImportSummary
        do {
            summary = try importer.run(ratingsFile: ratings) { bar.update($0) }
            bar.finish()
        } catch {
            bar.finish()
            throw error
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

    /// Turns the command-line flags into ``ImportOptions``.
    func importOptions() throws -> ImportOptions {
        let policy = onError
        let catalogueFormat = moviesFormat
        let columnsGiven = [userColumn, movieColumn, ratingColumn, timestampColumn].contains { $0 != nil }
        let format: RatingsFormat
        switch inputFormat {
        case .auto where !columnsGiven: format = .auto
        case .auto, .csv: format = .csv(try columnSpec())
        case .movieLensCSV: format = .movieLensCSV
        case .ml100k: format = .ml100k
        case .ml1m: format = .ml1m
        }
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

    private func columnSpec() throws -> ColumnSpec {
        guard let userColumn, let movieColumn, let ratingColumn else {
            throw ValidationError("A generic csv needs --user-column, --movie-column and --rating-column.")
        }
        guard let separator = FieldDelimiter(delimiter) else {
            throw ValidationError("--delimiter must be one of , \\t ; | :: (got '\(delimiter)').")
        }
        return ColumnSpec(user: ColumnReference(userColumn), movie: ColumnReference(movieColumn),
                          rating: ColumnReference(ratingColumn), timestamp: timestampColumn.map(ColumnReference.init),
                          delimiter: separator, hasHeader: noHeader ? false : nil)
    }
}

extension TextEncoding: ExpressibleByArgument {}
