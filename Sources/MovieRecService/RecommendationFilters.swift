import Foundation
import MovieRecModel
import MovieRecStore

/// What a person asks a recommendation list to hold, as a front end receives it (flags or query parameters).
public struct FilterRequest: Sendable, Equatable {
    /// Genres, any of which a film must have.
    public var genres: [String]
    /// A year range as written: `1990..1999`, `1995`, `1990..`, `..1999`.
    public var years: String?
    /// Films to leave out: comma-separated external ids, or (where ``allowsFiles``) paths of files of films.
    public var exclude: [String]
    /// Whether films the user rated may be listed.
    public var includeRated: Bool
    /// Whether `exclude` may name files (the CLI; never a server request, which must not read the server's files).
    public var allowsFiles: Bool

    /// Creates a request (by default: every film the user has not rated).
    public init(genres: [String] = [], years: String? = nil, exclude: [String] = [], includeRated: Bool = false,
                allowsFiles: Bool = false) {
        self.genres = genres
        self.years = years
        self.exclude = exclude
        self.includeRated = includeRated
        self.allowsFiles = allowsFiles
    }
}

extension ModelSession {
    /// The model's ``CandidateFilter`` for `request` (``RecommendationFilter`` over the store's genres and years),
    /// and the lines of `--exclude` files that matched no film or several (each also sent to `warn`).
    ///
    /// - Throws: ``ServiceError`` `.invalidRequest` for a year range that is not one, a genre no film has, or an
    ///   excluded id that is no film (the message says what is accepted); file errors as ``StoreError``.
    public func candidates(for request: FilterRequest, warn: (String) -> Void = { _ in }) throws
        -> (candidates: CandidateFilter, unmatched: [UnmatchedLine]) {
        do {
            var filter = RecommendationFilter(genres: request.genres, years: try request.years.map(RecommendationFilter.years),
                                              includeRated: request.includeRated)
            var unmatched: [UnmatchedLine] = []
            if !request.exclude.isEmpty {
                let matcher = try titleMatcher()
                for argument in request.exclude {
                    if !request.allowsFiles {
                        // Ids only: a request never makes the server read one of its files.
                        for id in argument.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !id.isEmpty {
                            guard matcher.entry(externalID: id) != nil else {
                                throw StoreError(.invalidOption, field: "exclude", value: id, reason: "\(StoreError.quoted(id)) is not a movie id",
                                                 expected: "movie ids separated by commas")
                            }
                            filter.excludedMovies.insert(id)
                        }
                        continue
                    }
                    let excluded = try RecommendationFilter.excludedMovies(argument, matcher: matcher)
                    filter.excludedMovies.formUnion(excluded.movies)
                    for line in excluded.unmatched {
                        warn("warning: \(argument):\(line.line): not excluded: \(line.message)")
                    }
                    unmatched += UnmatchedLine.list(excluded.unmatched, file: argument)
                }
            }
            return (try filter.candidates(store: store, movieIDs: snapshot.table.movieIDs), unmatched)
        } catch let error as StoreError where error.kind == .invalidOption {
            throw ServiceError(.invalidRequest, error.description)
        }
    }
}
