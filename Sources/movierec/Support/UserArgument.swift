import Foundation
import MovieRecModel
import MovieRecStore

/// A user named on the command line: a user of the database, or a new user folded in from a ratings file.
struct ResolvedUser {
    /// How to print the user: the external id, or the file path for a new user.
    let label: String
    /// The model's reference to the user.
    let reference: UserReference
    /// The dense index of a database user (`nil` for a new user).
    let trainedIndex: Int?
    /// The films the user rated (dense indices, ascending) and the ratings.
    let ratings: [(movie: Int, rating: Float)]

    /// `user 1` or `new user ratings.csv`, with the number of ratings.
    var summary: String {
        let count = "\(ratings.count) rating\(ratings.count == 1 ? "" : "s")"
        return trainedIndex == nil ? "new user \(label) (\(count), folded in)" : "user \(label) (\(count))"
    }
}

extension ModelSession {
    /// Resolves a USER argument: a user id of the database; else the path of a new user's `movie,rating` file.
    ///
    /// - Throws: ``CommandError`` `.unknownUser` naming the argument and listing some valid ids, or the errors
    ///   of ``newUser(ratingsFile:)``.
    func resolveUser(_ argument: String) throws -> ResolvedUser {
        if let index = userIndex(externalID: argument) {
            let range = model.ratings.userRange(index)
            let movies = model.ratings.byUser.columnIndices[range]
            let values = model.ratings.byUser.values[range]
            return ResolvedUser(label: argument, reference: .trained(index), trainedIndex: index,
                                ratings: zip(movies, values).map { (Int($0), $1) })
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try newUser(ratingsFile: argument)
        }
        throw CommandError(.unknownUser, "unknown user \"\(argument)\": no user with this id in the database and "
                           + "no ratings file at this path; \(userIDHint)")
    }

    /// Folds in a new user from a `movie,rating` CSV file (movies by external id, header optional).
    ///
    /// - Throws: ``CommandError`` `.invalidRatingsFile` naming the file, line and value for an unreadable or
    ///   empty file, a malformed line, an unknown film id, a film given twice or a rating outside the scale.
    func newUser(ratingsFile path: String) throws -> ResolvedUser {
        let rows = try NewUserRatingsFile(contentsOf: path)
        let scale = model.ratingRange
        var lineOfMovie: [Int: Int] = [:]
        var ratings: [(movie: Int, rating: Float)] = []
        for row in rows.rows {
            guard let movie = movieIndex(externalID: row.movie) else {
                throw CommandError(.invalidRatingsFile, file: path, line: row.line,
                                   "unknown movie id \"\(row.movie)\": no film with this id in the database "
                                   + "(find ids with `movierec similar-movies TITLE`)")
            }
            if let first = lineOfMovie[movie] {
                throw CommandError(.invalidRatingsFile, file: path, line: row.line,
                                   "movie \(row.movie) is rated again (first on line \(first)): rate each film once")
            }
            guard scale.contains(row.rating) else {
                throw CommandError(.invalidRatingsFile, file: path, line: row.line,
                                   "rating \(row.rating) of movie \(row.movie) is outside the rating scale of the "
                                   + "data (\(scale.lowerBound)–\(scale.upperBound))")
            }
            lineOfMovie[movie] = row.line
            ratings.append((movie, row.rating))
        }
        let folded = try model.foldIn(ratings: ratings.map { (movie: Int32($0.movie), rating: $0.rating) })
        return ResolvedUser(label: path, reference: .folded(folded), trainedIndex: nil,
                            ratings: ratings.sorted { $0.movie < $1.movie })
    }
}

/// A new user's ratings file: one `movie,rating` per line (comma, semicolon or tab), the movie by external id;
/// an optional header line (its rating field is not a number); blank lines and `#` comments are skipped.
struct NewUserRatingsFile {
    /// One rating with its 1-based line number.
    struct Row {
        /// The movie's external id.
        let movie: String
        /// The rating.
        let rating: Float
        /// The line it was read from.
        let line: Int
    }

    /// The ratings in file order.
    let rows: [Row]

    /// Reads and validates the file.
    /// - Throws: ``CommandError`` `.invalidRatingsFile` with file and line for every problem.
    init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandError(.invalidRatingsFile, file: path, "cannot read the ratings file")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        var rows: [Row] = []
        var isFirstLine = true
        // Split on Unicode scalars: in Swift "\r\n" is one Character, so a Character split would miss CRLF ends.
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for (offset, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let separator: Character = line.contains(",") ? "," : line.contains(";") ? ";" : "\t"
            let fields = line.split(separator: separator, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
            let number = offset + 1
            let isHeaderCandidate = isFirstLine
            isFirstLine = false
            guard fields.count == 2 else {
                throw CommandError(.invalidRatingsFile, file: path, line: number,
                                   "found \(fields.count) field\(fields.count == 1 ? "" : "s"): expected 2, movie,rating")
            }
            guard let rating = Float(fields[1]), rating.isFinite else {
                if isHeaderCandidate && Float(fields[1]) == nil { continue }   // the header line
                throw CommandError(.invalidRatingsFile, file: path, line: number,
                                   "rating \"\(fields[1])\" is not a number: expected movie,rating such as 1,4.5")
            }
            guard !fields[0].isEmpty else {
                throw CommandError(.invalidRatingsFile, file: path, line: number, "the movie id is empty")
            }
            rows.append(Row(movie: fields[0], rating: rating, line: number))
        }
        guard !rows.isEmpty else {
            throw CommandError(.invalidRatingsFile, file: path, "the file has no ratings: expected lines movie,rating")
        }
        self.rows = rows
    }
}
