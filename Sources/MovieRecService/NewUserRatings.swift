import Foundation
import MovieRecModel
import MovieRecStore

/// A user a front end asks about: a user of the database, or a new user folded in from their ratings.
public struct ResolvedUser: Sendable {
    /// How to print the user: the external id, or the file path (or `me`) for a new user.
    public let label: String
    /// The model's reference to the user.
    public let reference: UserReference
    /// The dense index of a database user (`nil` for a new user).
    public let trainedIndex: Int?
    /// The films the user rated (dense indices, ascending) and the ratings.
    public let ratings: [(movie: Int, rating: Float)]
    /// For a new user from a ratings file: how the file's lines matched films, and the lines skipped.
    public let personal: ResolvedPersonalRatings?

    /// Creates a resolved user.
    public init(label: String, reference: UserReference, trainedIndex: Int?, ratings: [(movie: Int, rating: Float)],
                personal: ResolvedPersonalRatings? = nil) {
        self.label = label
        self.reference = reference
        self.trainedIndex = trainedIndex
        self.ratings = ratings
        self.personal = personal
    }

    /// The skipped lines of a new user's file, for `--json` (`nil` for a user of the database).
    public var unmatchedLines: [UnmatchedLine]? {
        personal.map { UnmatchedLine.list($0.unmatched, file: $0.file) }
    }

    /// `user 1` or `new user ratings.csv`, with the number of ratings.
    public var summary: String {
        let count = "\(ratings.count) rating\(ratings.count == 1 ? "" : "s")"
        return trainedIndex == nil ? "new user \(label) (\(count), folded in)" : "user \(label) (\(count))"
    }
}

/// A new user's ratings from a request, before they are matched to the model: one `movie,rating` per row, the
/// movie by external id, with its position in the request's list. (Ratings files — ids or titles, IMDb and
/// Letterboxd exports — are read by ``PersonalRatingsFile`` and matched by title: ``ModelSession/newUser(ratingsFile:strict:warn:)``.)
public struct NewUserRatings: Sendable, Equatable {
    /// One rating with its 1-based line (or list position).
    public struct Row: Sendable, Equatable {
        /// The movie's external id.
        public let movie: String
        /// The rating.
        public let rating: Float
        /// The line (or 1-based position in a request's list) it was read from.
        public let line: Int

        /// Creates a row.
        public init(movie: String, rating: Float, line: Int) {
            self.movie = movie
            self.rating = rating
            self.line = line
        }
    }

    /// Where the rows came from: a file path, or e.g. `request body`.
    public let source: String
    /// The ratings in order.
    public let rows: [Row]

    /// Rows from a request (``source`` names it in errors).
    ///
    /// - Throws: ``ServiceError`` `.invalidRatings` for an empty list or an empty movie id.
    public init(source: String, rows: [Row]) throws {
        guard !rows.isEmpty else {
            throw ServiceError(.invalidRatings, file: source, "no ratings: expected at least one {\"movie\": id, \"rating\": r}")
        }
        if let empty = rows.first(where: { $0.movie.isEmpty }) {
            throw ServiceError(.invalidRatings, file: source, line: empty.line, "the movie id is empty")
        }
        self.source = source
        self.rows = rows
    }
}

extension ModelSession {
    /// Resolves a user argument: a user id of the database; else the path of a new user's ratings file
    /// (``newUser(ratingsFile:strict:warn:)``).
    ///
    /// - Throws: ``ServiceError`` `.unknownUser` naming the argument and listing some valid ids, or the errors
    ///   of ``newUser(ratingsFile:strict:warn:)``.
    public func resolveUser(_ argument: String, strict: Bool = false, warn: (String) -> Void = { _ in }) throws -> ResolvedUser {
        if let user = trainedUser(argument) { return user }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), !isDirectory.boolValue {
            return try newUser(ratingsFile: argument, strict: strict, warn: warn)
        }
        throw ServiceError(.unknownUser, "unknown user \"\(argument)\": no user with this id in the database and "
                           + "no ratings file at this path; \(userIDHint)")
    }

    /// The database user with external id `id`, or nil.
    public func trainedUser(_ id: String) -> ResolvedUser? {
        guard let index = userIndex(externalID: id) else { return nil }
        let range = model.ratings.userRange(index)
        let movies = model.ratings.byUser.columnIndices[range]
        let values = model.ratings.byUser.values[range]
        return ResolvedUser(label: id, reference: .trained(index), trainedIndex: index,
                            ratings: zip(movies, values).map { (Int($0), $1) })
    }

    /// The catalogue matcher of the database (ids, IMDb ids, titles): the ``catalogue``'s when loaded, else built
    /// from the database.
    public func titleMatcher() throws -> TitleMatcher {
        if let catalogue { return catalogue.matcher }
        return TitleMatcher(entries: try store.catalogueEntries())
    }

    /// Folds in a new user from a ratings file: `movie,rating` (ids or titles), an IMDb ratings export or a
    /// Letterboxd `ratings.csv` (``PersonalRatingsFile``), matched to the catalogue and put on the model's rating
    /// scale. Lines that match no film or several, or rate a film again, are skipped and listed
    /// (``ResolvedUser/personal``), and `warn` receives one warning per skipped line.
    ///
    /// - Parameter strict: make every skipped line an error.
    /// - Throws: ``StoreError`` for an unreadable or malformed file (file, line, field) and, with `strict`, for the
    ///   first skipped line; ``ServiceError`` `.invalidRatings` when no line matched a film.
    public func newUser(ratingsFile path: String, strict: Bool = false,
                        warn: (String) -> Void = { _ in }) throws -> ResolvedUser {
        try newUser(personal: try PersonalRatingsFile(contentsOf: path), label: path, strict: strict, warn: warn,
                    hint: "`movierec match \(path)` shows why each line did not match")
    }

    /// Folds in a new user from personal ratings already parsed (a file, or a request's list or CSV body): each
    /// line matched to the catalogue (``TitleMatcher``), put on the model's rating scale, skipped and listed
    /// (``ResolvedUser/personal``, and one `warn` line each) when it matches no film or several.
    ///
    /// - Parameters:
    ///   - label: how to name the user (the file path, or `me`).
    ///   - strict: make every skipped line an error.
    ///   - hint: appended to the error when no line matched.
    /// - Throws: ``StoreError`` for a rating of a `movie,rating` list outside the scale and, with `strict`, for the
    ///   first skipped line; ``ServiceError`` `.unknownMovie` when no line names a film of the database (each
    ///   matches none), `.invalidRatings` when none is usable for another reason.
    public func newUser(personal file: PersonalRatingsFile, label: String, strict: Bool = false,
                        warn: (String) -> Void = { _ in }, hint: String? = nil) throws -> ResolvedUser {
        let resolved = try file.resolve(with: try titleMatcher(), scale: model.ratingRange)
        if strict { try resolved.requireAllMatched() }
        var ratings: [(movie: Int, rating: Float)] = []
        for rating in resolved.ratings {
            guard let movie = movieIndex(externalID: rating.movie.externalID) else { continue }   // same catalogue
            ratings.append((movie, rating.rating))
        }
        guard !ratings.isEmpty else {
            let noneKnown = resolved.unmatched.allSatisfy { $0.reason == .noMatch }
            let first = resolved.unmatched.first.map { ": line \($0.line): \($0.message)" } ?? ""
            throw ServiceError(noneKnown ? .unknownMovie : .invalidRatings, file: file.file,
                               "no line matched a film of the database (\(resolved.unmatched.count) skipped\(first))"
                               + (hint.map { "; \($0)" } ?? ""))
        }
        for line in resolved.unmatched {
            warn("warning: \(file.file):\(line.line): skipped: \(line.message)")
        }
        let folded = try model.foldIn(ratings: ratings.map { (movie: Int32($0.movie), rating: $0.rating) })
        return ResolvedUser(label: label, reference: .folded(folded), trainedIndex: nil,
                            ratings: ratings.sorted { $0.movie < $1.movie }, personal: resolved)
    }

    /// Folds in a new user from `ratings` (movies by external id), labelled `label` (default: the source).
    ///
    /// - Throws: ``ServiceError`` `.unknownMovie` for a film id the model does not know, `.invalidRatings` for a
    ///   film given twice or a rating outside the scale of the data, each naming the source and line.
    public func newUser(_ ratings: NewUserRatings, label: String? = nil) throws -> ResolvedUser {
        let scale = model.ratingRange
        var lineOfMovie: [Int: Int] = [:]
        var list: [(movie: Int, rating: Float)] = []
        for row in ratings.rows {
            guard let movie = movieIndex(externalID: row.movie), movie < model.movieCount else {
                throw ServiceError(.unknownMovie, file: ratings.source, line: row.line,
                                   "unknown movie id \"\(row.movie)\": no film with this id in the database "
                                   + "(find ids with `movierec similar-movies TITLE`)")
            }
            if let first = lineOfMovie[movie] {
                throw ServiceError(.invalidRatings, file: ratings.source, line: row.line,
                                   "movie \(row.movie) is rated again (first on line \(first)): rate each film once")
            }
            guard row.rating.isFinite, scale.contains(row.rating) else {
                throw ServiceError(.invalidRatings, file: ratings.source, line: row.line,
                                   "rating \(row.rating) of movie \(row.movie) is outside the rating scale of the "
                                   + "data (\(scale.lowerBound)–\(scale.upperBound))")
            }
            lineOfMovie[movie] = row.line
            list.append((movie, row.rating))
        }
        return try foldIn(list, label: label ?? ratings.source)
    }

    /// Folds in a user from ratings already matched to film indices (each film once, on the scale).
    public func foldIn(_ list: [(movie: Int, rating: Float)], label: String, trainedIndex: Int? = nil) throws -> ResolvedUser {
        let folded = try model.foldIn(ratings: list.map { (movie: Int32($0.movie), rating: $0.rating) })
        return ResolvedUser(label: label, reference: .folded(folded), trainedIndex: trainedIndex,
                            ratings: list.sorted { $0.movie < $1.movie })
    }
}

/// A line of a personal ratings file that was skipped, as printed by `--json` (`unmatched`).
public struct UnmatchedLine: Codable, Sendable, Equatable {
    /// A candidate film.
    public struct Candidate: Codable, Sendable, Equatable {
        /// The film's external id.
        public let movie: String
        /// Its title.
        public let title: String
    }

    /// The file.
    public let file: String
    /// The 1-based line.
    public let line: Int
    /// The film as the line names it.
    public let text: String
    /// `no-match`, `ambiguous`, `duplicate` or `no-rating`.
    public let reason: String
    /// The films it could be (see ``ResolvedPersonalRatings/Unmatched/candidates``).
    public let candidates: [Candidate]

    /// Every skipped line of `resolved`.
    public static func list(_ lines: [ResolvedPersonalRatings.Unmatched], file: String) -> [UnmatchedLine] {
        lines.map { line in
            UnmatchedLine(file: file, line: line.line, text: line.text, reason: line.reason.rawValue,
                          candidates: line.candidates.map { Candidate(movie: $0.externalID, title: $0.displayTitle) })
        }
    }
}
