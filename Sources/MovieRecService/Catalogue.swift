import Foundation
import MovieRecModel
import MovieRecStore

/// One film as the API and the page list it.
public struct MovieSummary: Codable, Sendable, Equatable {
    /// The film's external id.
    public let movie: String
    /// Its display title (`Matrix, The (1999)`).
    public let title: String
    /// The release year, when known.
    public let year: Int?
    /// Its genres.
    public let genres: [String]
    /// How many ratings the model was trained on.
    public let ratings: Int
    /// The mean of those ratings (absent when none).
    public let meanRating: Float?
}

/// What `GET /api/v1/movies?search=` answers.
public struct MovieSearchResult: Codable, Sendable, Equatable {
    /// The query as given.
    public let search: String
    /// Best match first (see ``Catalogue/search(_:limit:)``).
    public let movies: [MovieSummary]

    /// A result for `search`.
    public init(search: String, movies: [MovieSummary]) {
        self.search = search
        self.movies = movies
    }
}

/// Every film of a session in memory: titles, years, genres and popularity, for title search and display.
public struct Catalogue: Sendable {
    /// One film.
    public struct Entry: Sendable {
        /// The film's external id.
        public let externalID: String
        /// Its display title.
        public let title: String
        /// The release year, when known.
        public let year: Int?
        /// Its genres.
        public let genres: [String]
        /// Ratings of the film in the model.
        public let ratings: Int
        /// Their mean (nil when none).
        public let meanRating: Float?
        /// The title reduced for matching (``Catalogue/plainTitle(_:)``).
        let plain: String
    }

    /// The films by dense index.
    public let entries: [Entry]
    /// The database's catalogue matcher (ids, IMDb ids, titles), built once: matching a person's ratings
    /// reuses it instead of re-reading and re-indexing every title per request.
    public let matcher: TitleMatcher

    /// Reads every film of `session`'s ratings snapshot.
    init(session: ModelSession) throws {
        let ids = session.snapshot.table.movieIDs
        let infos = try session.store.movies(internalIDs: ids)
        let model = session.model
        matcher = TitleMatcher(entries: try session.store.catalogueEntries())
        entries = ids.enumerated().map { index, id in
            let info = infos[id]
            var count = 0
            var mean: Float?
            if index < model.movieCount {
                let range = model.ratings.movieRange(index)
                count = range.count
                if count > 0 {
                    var sum: Float = 0
                    for value in model.ratings.byMovie.values[range] { sum += value }
                    mean = sum / Float(count)
                }
            }
            let title = info?.displayTitle ?? "movie \(session.movieID(index))"
            return Entry(externalID: session.movieID(index), title: title, year: info?.year,
                         genres: info?.genres ?? [], ratings: count, meanRating: mean, plain: Self.plainTitle(title))
        }
    }

    /// Film `index` as a ``MovieSummary``.
    public func summary(_ index: Int) -> MovieSummary {
        let entry = entries[index]
        return MovieSummary(movie: entry.externalID, title: entry.title, year: entry.year, genres: entry.genres,
                            ratings: entry.ratings, meanRating: entry.meanRating)
    }

    /// Films whose title matches `query`, best first, at most `limit`.
    ///
    /// Match classes, best first: the external id or the whole title (without article and year, ignoring case)
    /// equals the query; the title starts with it; a word of the title starts with it; the title contains it.
    /// Within a class the most-rated film comes first, then the lower index. Every word of a multi-word query
    /// must occur in the title.
    public func search(_ query: String, limit: Int) -> [Int] {
        let core = Self.plainTitle(query)
        let raw = query.trimmingCharacters(in: .whitespaces)
        guard !core.isEmpty || !raw.isEmpty, limit > 0 else { return [] }
        let words = core.split(separator: " ").map(String.init)
        var ranked: [(rank: Int, index: Int)] = []
        for (index, entry) in entries.enumerated() {
            let rank: Int
            if entry.externalID == raw || entry.plain == core {
                rank = 0
            } else if !core.isEmpty && entry.plain.hasPrefix(core) {
                rank = 1
            } else if !core.isEmpty && entry.plain.contains(core) {
                rank = entry.plain.contains(" " + core) ? 2 : 3
            } else if words.count > 1 && words.allSatisfy({ entry.plain.contains($0) }) {
                rank = 4
            } else {
                continue
            }
            ranked.append((rank, index))
        }
        ranked.sort {
            if $0.rank != $1.rank { return $0.rank < $1.rank }
            let (a, b) = (entries[$0.index].ratings, entries[$1.index].ratings)
            return a != b ? a > b : $0.index < $1.index
        }
        return ranked.prefix(limit).map(\.index)
    }

    /// A title reduced for matching: lower case, without a trailing `(year)` and without a leading or trailing
    /// English article (`Matrix, The (1999)` and `The Matrix` → `matrix`).
    public static func plainTitle(_ title: String) -> String {
        var text = title.trimmingCharacters(in: .whitespaces).lowercased()
        if let range = text.range(of: #"\s*\(\d{4}\)$"#, options: .regularExpression) { text.removeSubrange(range) }
        for article in ["the", "a", "an"] {
            if text.hasSuffix(", \(article)") { text = String(text.dropLast(article.count + 2)) }
            if text.hasPrefix("\(article) ") { text = String(text.dropFirst(article.count + 1)) }
        }
        return text
    }
}

extension ModelSession {
    /// The dense index of the film named by `argument`: an external id, an exact title (ignoring case, year and
    /// article), or a part of a title that matches one film.
    ///
    /// - Throws: ``ServiceError`` `.unknownMovie` when nothing matches or the film has no ratings,
    ///   `.ambiguousMovie` listing up to 10 candidates.
    public func resolveMovie(_ argument: String) throws -> Int {
        var matches = try store.findMovies(matching: argument)
        let core = Catalogue.plainTitle(argument)
        if core != argument.lowercased() && !core.isEmpty {
            // "The Matrix" is stored as "Matrix, The (1999)": search for the title without article and year too.
            let known = Set(matches.map(\.id))
            matches += try store.findMovies(matching: core).filter { !known.contains($0.id) }
        }
        guard !matches.isEmpty else {
            throw ServiceError(.unknownMovie, "unknown movie \"\(argument)\": no film has this id, and no title "
                               + "contains it (try a shorter part of the title; `movierec stats` lists the most-rated films)")
        }
        let named = matches.filter { Catalogue.plainTitle($0.title ?? "") == core }
        guard let movie = matches.count == 1 ? matches.first : named.count == 1 ? named.first : nil else {
            let shown = matches.prefix(10)
            let width = shown.map(\.externalID.count).max() ?? 2
            let lines = ["  " + String(repeating: " ", count: max(0, width - 2)) + "id  title"]
                + shown.map { "  " + String(repeating: " ", count: width - $0.externalID.count) + $0.externalID
                    + "  " + $0.displayTitle }
            let more = matches.count > 10 ? "\n  … and \(matches.count - 10) more" : ""
            throw ServiceError(.ambiguousMovie, "\"\(argument)\" matches \(matches.count) films; give one of these ids:\n"
                               + lines.joined(separator: "\n") + more)
        }
        guard let index = movieIndex(databaseID: movie.id) else {
            throw ServiceError(.unknownMovie, "film \(movie.externalID) was added after the model was loaded")
        }
        guard !model.ratings.movieRange(index).isEmpty else {
            throw ServiceError(.unknownMovie, "\(movie.displayTitle) (id \(movie.externalID)) has no ratings, "
                               + "so the model knows nothing about it")
        }
        return index
    }
}
