import ArgumentParser
import MovieRecStore

/// The column options of a generic delimited ratings file, shared by `import` and `evaluate --train/--test`.
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
