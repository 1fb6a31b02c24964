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
    /// For a new user: how the file's lines matched films, and the lines skipped.
    let personal: ResolvedPersonalRatings?

    /// The skipped lines of a new user's file, for `--json` (`nil` for a user of the database).
    var unmatchedLines: [UnmatchedLine]? {
        personal.map { UnmatchedLine.list($0.unmatched, file: label) }
    }

    /// `user 1` or `new user ratings.csv`, with the number of ratings.
    var summary: String {
        let count = "\(ratings.count) rating\(ratings.count == 1 ? "" : "s")"
        return trainedIndex == nil ? "new user \(label) (\(count), folded in)" : "user \(label) (\(count))"
    }
}

extension ModelSession {
    /// Resolves a USER argument: a user id of the database; else the path of a new user's ratings file
    /// (``newUser(ratingsFile:strict:)``).
    ///
    /// - Throws: ``CommandError`` `.unknownUser` naming the argument and listing some valid ids, or the errors
    ///   of ``newUser(ratingsFile:strict:)``.
    func resolveUser(_ argument: String, strict: Bool = false) throws -> ResolvedUser {
        if let index = userIndex(externalID: argument) {
            let range = model.ratings.userRange(index)
            let movies = model.ratings.byUser.columnIndices[range]
            let values = model.ratings.byUser.values[range]
            return ResolvedUser(label: argument, reference: .trained(index), trainedIndex: index,
                                ratings: zip(movies, values).map { (Int($0), $1) }, personal: nil)
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try newUser(ratingsFile: argument, strict: strict)
        }
        throw CommandError(.unknownUser, "unknown user \"\(argument)\": no user with this id in the database and "
                           + "no ratings file at this path; \(userIDHint)")
    }

    /// The catalogue matcher of the database (ids, IMDb ids, titles).
    func titleMatcher() throws -> TitleMatcher {
        TitleMatcher(entries: try store.catalogueEntries())
    }

    /// Folds in a new user from a ratings file: `movie,rating` (ids or titles), an IMDb ratings export or a
    /// Letterboxd `ratings.csv` (``PersonalRatingsFile``), matched to the catalogue and put on the model's rating
    /// scale. Lines that match no film or several, or rate a film again, are skipped and listed
    /// (``ResolvedUser/personal``), and a warning per line goes to stderr.
    ///
    /// - Parameter strict: make every skipped line an error.
    /// - Throws: ``StoreError`` for an unreadable or malformed file (file, line, field) and, with `strict`, for the
    ///   first skipped line; ``CommandError`` `.invalidRatingsFile` when no line matched a film.
    func newUser(ratingsFile path: String, strict: Bool = false) throws -> ResolvedUser {
        let file = try PersonalRatingsFile(contentsOf: path)
        let resolved = try file.resolve(with: try titleMatcher(), scale: model.ratingRange)
        if strict { try resolved.requireAllMatched() }
        var ratings: [(movie: Int, rating: Float)] = []
        for rating in resolved.ratings {
            guard let movie = movieIndex(externalID: rating.movie.externalID) else { continue }   // same catalogue
            ratings.append((movie, rating.rating))
        }
        guard !ratings.isEmpty else {
            throw CommandError(.invalidRatingsFile, file: path,
                               "no line matched a film of the database (\(resolved.unmatched.count) skipped; "
                               + "`movierec match \(path)` shows why each line did not match)")
        }
        for line in resolved.unmatched {
            printError("warning: \(path):\(line.line): skipped: \(line.message)")
        }
        let folded = try model.foldIn(ratings: ratings.map { (movie: Int32($0.movie), rating: $0.rating) })
        return ResolvedUser(label: path, reference: .folded(folded), trainedIndex: nil,
                            ratings: ratings.sorted { $0.movie < $1.movie }, personal: resolved)
    }
}

/// A line of a personal ratings file that was skipped, as printed by `--json` (`unmatched`).
struct UnmatchedLine: Encodable {
    /// A candidate film.
    struct Candidate: Encodable {
        /// The film's external id.
        let movie: String
        /// Its title.
        let title: String
    }

    /// The file.
    let file: String
    /// The 1-based line.
    let line: Int
    /// The film as the line names it.
    let text: String
    /// `no-match`, `ambiguous`, `duplicate` or `no-rating`.
    let reason: String
    /// The films it could be (see ``ResolvedPersonalRatings/Unmatched/candidates``).
    let candidates: [Candidate]

    /// Every skipped line of `resolved`.
    static func list(_ lines: [ResolvedPersonalRatings.Unmatched], file: String) -> [UnmatchedLine] {
        lines.map { line in
            UnmatchedLine(file: file, line: line.line, text: line.text, reason: line.reason.rawValue,
                          candidates: line.candidates.map { Candidate(movie: $0.externalID, title: $0.displayTitle) })
        }
    }
}
