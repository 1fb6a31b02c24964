import ArgumentParser
import MovieRecStore

/// The column and rating-scale options of a ratings file, shared by `import` and `evaluate --train/--test`.
struct RatingColumnOptions: ParsableArguments {
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

    /// The valid rating range asked for with `--min-rating`/`--max-rating` (the format's own scale fills the
    /// side not given), or `nil` for the format's default.
    func bounds(format: RatingsFormat) throws -> ClosedRange<Double>? {
        guard minRating != nil || maxRating != nil else { return nil }
        let scale = format.defaultBounds
        let low = minRating ?? scale?.lowerBound ?? -Double.greatestFiniteMagnitude
        let high = maxRating ?? scale?.upperBound ?? Double.greatestFiniteMagnitude
        guard low.isFinite, high.isFinite, low <= high else {
            throw ValidationError("--min-rating must be a finite number no greater than --max-rating.")
        }
        return low...high
    }

    /// Whether any column was named (then the file is read as a generic csv).
    var columnsGiven: Bool { [userColumn, movieColumn, ratingColumn, timestampColumn].contains { $0 != nil } }

    /// The ratings format for `--input-format`: a generic csv with these columns when any column is given (or
    /// `csv` is asked for).
    func format(inputFormat: RatingsFormatChoice) throws -> RatingsFormat {
        switch inputFormat {
        case .auto where !columnsGiven: return .auto
        case .auto, .csv: return .csv(try columnSpec())
        case .movieLensCSV: return .movieLensCSV
        case .ml100k: return .ml100k
        case .ml1m: return .ml1m
        }
    }

    /// The columns of a generic csv.
    func columnSpec() throws -> ColumnSpec {
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
