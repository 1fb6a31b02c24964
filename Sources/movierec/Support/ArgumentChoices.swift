import ArgumentParser
import MovieRecEvaluation
import MovieRecModel
import MovieRecStore

// The command line's closed choices: each an enum, so `--help` lists the values and a wrong value is refused by
// the parser with the list.

extension BaselineMode: ExpressibleByArgument {}
extension ErrorPolicy: ExpressibleByArgument {}
extension ImportMode: ExpressibleByArgument {}
extension MoviesFormat: ExpressibleByArgument {}
extension SelectionMetric: ExpressibleByArgument {}

/// `--input-format` of `import` and `evaluate`: how the ratings file is laid out.
enum RatingsFormatChoice: String, CaseIterable, ExpressibleByArgument {
    /// Detected from the first lines.
    case auto
    /// MovieLens `ratings.csv` (header `userId,movieId,rating,timestamp`).
    case movieLensCSV = "movielens-csv"
    /// ml-100k `u.data` (tab-separated).
    case ml100k = "ml-100k"
    /// ml-1m `ratings.dat` (`::`-separated).
    case ml1m = "ml-1m"
    /// Any CSV with the columns named by `--user-column` etc.
    case csv
}

/// `evaluate --split`: one split of the database.
enum SplitChoice: String, CaseIterable, ExpressibleByArgument {
    /// 20 % of each user's ratings at random.
    case userHoldout = "user-holdout"
    /// Each user's latest 20 %.
    case time
}
