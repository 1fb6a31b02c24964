import Foundation
import GRDB
import MovieRecModel

/// What a person asks a recommendation list to hold: genres, a range of years, movies to leave out, and whether
/// movies they rated may appear. ``candidates(store:movieIDs:)`` turns it into the model's ``CandidateFilter``,
/// which the recommender applies before the top-N cut.
public struct RecommendationFilter: Sendable, Equatable {
    /// Genres, any of which a movie must have (case-insensitive); empty = any genre.
    public var genres: [String]
    /// Release years a movie must fall in; `nil` = any (movies without a known year then pass too).
    public var years: ClosedRange<Int>?
    /// External ids of movies to leave out.
    public var excludedMovies: Set<String>
    /// Whether movies the user rated may be listed.
    public var includeRated: Bool

    /// Creates a filter (by default: every movie the user has not rated).
    public init(genres: [String] = [], years: ClosedRange<Int>? = nil, excludedMovies: Set<String> = [],
                includeRated: Bool = false) {
        self.genres = genres
        self.years = years
        self.excludedMovies = excludedMovies
        self.includeRated = includeRated
    }

    /// Whether anything but the default (unrated movies, all of them) is asked for.
    public var isDefault: Bool { genres.isEmpty && years == nil && excludedMovies.isEmpty && !includeRated }

    /// The model's filter for the movies `movieIDs` (dense index → database id, as in ``RatingTable/movieIDs``).
    ///
    /// - Throws: ``StoreError`` `.invalidOption` for a genre no movie has, listing the genres the store knows.
    public func candidates(store: RatingStore, movieIDs: [Int64]) throws -> CandidateFilter {
        guard !(genres.isEmpty && years == nil && excludedMovies.isEmpty) else {
            return CandidateFilter(allowed: nil, includeRated: includeRated)
        }
        let facets = try store.movieFacets()
        let wanted = Set(genres.map { $0.lowercased() })
        if !wanted.isEmpty {
            let known = Set(facets.values.flatMap(\.genres))
            let knownKeys = Set(known.map { $0.lowercased() })
            if let unknown = genres.first(where: { !knownKeys.contains($0.lowercased()) }) {
                throw StoreError(.invalidOption, file: store.path, field: "genre", value: unknown,
                                 reason: "no movie has the genre \(StoreError.quoted(unknown))",
                                 expected: known.isEmpty ? "a movie file with genres (import --movies FILE)"
                                     : "one of " + known.sorted().joined(separator: ", "))
            }
        }
        let excluded: Set<Int64> = excludedMovies.isEmpty ? [] : try Set(
            store.catalogueIDs().filter { excludedMovies.contains($0.externalID) }.map(\.id))
        let allowed = movieIDs.map { id -> Bool in
            if excluded.contains(id) { return false }
            let facet = facets[id]
            if let years {
                guard let year = facet?.year, years.contains(year) else { return false }
            }
            if !wanted.isEmpty {
                guard let genres = facet?.genres, genres.contains(where: { wanted.contains($0.lowercased()) }) else {
                    return false
                }
            }
            return true
        }
        return CandidateFilter(allowed: allowed, includeRated: includeRated)
    }

    /// Parses a year range: `1990..1999`, `1990-1999`, `1995` (that year), `1990..` or `..1999` (open ends).
    /// - Throws: ``StoreError`` `.invalidOption` for anything else or a range whose end comes before its start.
    public static func years(_ text: String) throws -> ClosedRange<Int> {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        func fail() -> StoreError {
            StoreError(.invalidOption, field: "year", value: trimmed, reason: "\(StoreError.quoted(trimmed)) is not a year range",
                       expected: "FROM..TO such as 1990..1999, one year such as 1995, or an open end (1990.. or ..1999)")
        }
        func year(_ part: Substring, default value: Int) throws -> Int {
            let digits = part.trimmingCharacters(in: .whitespaces)
            if digits.isEmpty { return value }
            guard digits.count <= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let year = Int(digits) else { throw fail() }
            return year
        }
        let parts: [Substring]
        if trimmed.contains("..") {
            parts = trimmed.components(separatedBy: "..").map { Substring($0) }
        } else {
            parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
        }
        guard (1...2).contains(parts.count), trimmed.contains(where: \.isNumber) else { throw fail() }
        if parts.count == 1 {
            let single = try year(parts[0], default: -1)
            guard single >= 0 else { throw fail() }
            return single...single
        }
        let (from, to) = (try year(parts[0], default: 0), try year(parts[1], default: 9999))
        guard from <= to else {
            throw StoreError(.invalidOption, field: "year", value: trimmed, reason: "the range \(StoreError.shortened(trimmed)) ends before it starts",
                             expected: "FROM..TO with FROM ≤ TO")
        }
        return from...to
    }

    /// Resolves an `--exclude` argument: the path of a file (one movie per line by id or title, or any ratings
    /// file ``PersonalRatingsFile`` reads, ratings ignored) or a comma-separated list of external ids.
    ///
    /// - Returns: the external ids to leave out, and the file lines that matched no movie or several.
    /// - Throws: ``StoreError`` `.invalidOption` for an id of the list that is no movie, or the file's parse errors.
    public static func excludedMovies(_ argument: String, matcher: TitleMatcher) throws
        -> (movies: Set<String>, unmatched: [ResolvedPersonalRatings.Unmatched]) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), !isDirectory.boolValue {
            let list = try PersonalRatingsFile(contentsOf: argument, ratingRequired: false).movies(with: matcher)
            return (Set(list.movies.map(\.externalID)), list.unmatched)
        }
        var movies: Set<String> = []
        for id in argument.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !id.isEmpty {
            guard matcher.entry(externalID: id) != nil else {
                throw StoreError(.invalidOption, field: "exclude", value: id,
                                 reason: "\(StoreError.quoted(id)) is neither a movie id nor a file",
                                 expected: "movie ids separated by commas (such as 1,2,3) or the path of a file of movies")
            }
            movies.insert(id)
        }
        return (movies, [])
    }
}

extension RatingStore {
    /// Database id and external id of every movie.
    func catalogueIDs() throws -> [(id: Int64, externalID: String)] {
        do {
            return try databaseReader.read { db in
                try Row.fetchAll(db, sql: "SELECT id, external_id FROM movies").map { ($0[0], $0[1]) }
            }
        } catch {
            throw StoreError.wrapping(error, database: path, while: "reading movie ids")
        }
    }
}
