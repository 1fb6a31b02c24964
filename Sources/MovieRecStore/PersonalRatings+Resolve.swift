import Foundation

/// A person's ratings matched to the catalogue: the ratings that matched a movie (on the catalogue's scale) and
/// the lines skipped, each with why and the candidate movies. Nothing is guessed and nothing is dropped silently.
public struct ResolvedPersonalRatings: Sendable, Equatable {
    /// A line matched to one movie.
    public struct Rating: Sendable, Equatable {
        /// The line it was read from.
        public let line: Int
        /// The movie.
        public let movie: CatalogueEntry
        /// How it was matched.
        public let method: MatchMethod
        /// The rating as written (on the file's scale).
        public let given: Float
        /// The rating on the catalogue's scale.
        public let rating: Float
    }

    /// Why a line was skipped.
    public enum Reason: String, Sendable, Equatable, Codable {
        /// No movie of the catalogue fits.
        case noMatch = "no-match"
        /// Several movies fit equally well.
        case ambiguous
        /// The movie was already rated on an earlier line.
        case duplicate
        /// The line has no rating.
        case noRating = "no-rating"
    }

    /// A skipped line.
    public struct Unmatched: Sendable, Equatable {
        /// The line.
        public let line: Int
        /// The movie as the line names it (`Title (1999)`, `tt0133093`, an id).
        public let text: String
        /// Why it was skipped.
        public let reason: Reason
        /// The movies it could be (ambiguous: every fit; no match: same title, other years; duplicate: the movie).
        public let candidates: [CatalogueEntry]
        /// For a duplicate: the line that rated the movie first.
        public let firstLine: Int?

        /// `line 3: "Heat (1995)": no movie matches (candidates: 6 Heat (1995), …)` — one line for messages.
        public var message: String {
            var text = "\"\(PersonalRatingsFile.escaped(self.text))\" "
            switch reason {
            case .noMatch: text += "matches no movie"
            case .ambiguous: text += "matches \(candidates.count) movies"
            case .duplicate: text += "is rated again (first on line \(firstLine ?? 0))"
            case .noRating: text += "has no rating"
            }
            if reason != .duplicate && !candidates.isEmpty {
                let shown = candidates.prefix(5).map { "\($0.externalID) \($0.displayTitle)" }
                text += " (\(reason == .ambiguous ? "" : "other years: ")\(shown.joined(separator: "; "))"
                    + "\(candidates.count > 5 ? "; …" : ""))"
            }
            return text
        }
    }

    /// The file the ratings came from.
    public let file: String
    /// Its format.
    public let format: PersonalRatingsFormat
    /// Matched lines, in file order.
    public let ratings: [Rating]
    /// Skipped lines, in file order.
    public let unmatched: [Unmatched]

    /// Throws unless every line matched (``resolve(with:scale:)`` never does; this is `--strict`).
    /// - Throws: ``StoreError`` `.invalidRow` naming the first skipped line and how many there are.
    public func requireAllMatched() throws {
        guard let first = unmatched.first else { return }
        let more = unmatched.count > 1 ? " (and \(unmatched.count - 1) more skipped line\(unmatched.count > 2 ? "s" : ""))" : ""
        throw StoreError(.invalidRow, file: file, line: first.line, field: first.reason == .noRating ? "rating" : "movie",
                         reason: first.message + more,
                         expected: "every line to name exactly one movie (see `movierec match FILE`; without --strict "
                             + "such lines are skipped)")
    }
}

extension PersonalRatingsFile {
    /// Matches every line with `matcher` and puts the ratings on the catalogue's scale `scale` (the format's scale
    /// is mapped linearly onto it; `movie,rating` files are on it already).
    ///
    /// Lines that match no movie or several, rate a movie again or have no rating are listed in
    /// ``ResolvedPersonalRatings/unmatched``, never guessed and never fatal.
    /// - Throws: ``StoreError`` `.invalidRow` for a `movie,rating` rating outside `scale`.
    public func resolve(with matcher: TitleMatcher, scale: ClosedRange<Float>) throws -> ResolvedPersonalRatings {
        var ratings: [ResolvedPersonalRatings.Rating] = []
        var unmatched: [ResolvedPersonalRatings.Unmatched] = []
        var firstLine: [String: Int] = [:]
        for line in lines {
            let text = line.reference.description
            switch matcher.match(line.reference) {
            case .ambiguous(let candidates):
                unmatched.append(.init(line: line.line, text: text, reason: .ambiguous, candidates: candidates, firstLine: nil))
            case .unmatched(let candidates):
                unmatched.append(.init(line: line.line, text: text, reason: .noMatch, candidates: candidates, firstLine: nil))
            case .matched(let movie, let method):
                guard let given = line.rating else {
                    unmatched.append(.init(line: line.line, text: text, reason: .noRating, candidates: [movie], firstLine: nil))
                    continue
                }
                if let first = firstLine[movie.externalID] {
                    unmatched.append(.init(line: line.line, text: text, reason: .duplicate, candidates: [movie], firstLine: first))
                    continue
                }
                let rating: Float
                if let source = format.scale {
                    rating = source.map(given, onto: scale)
                } else {
                    guard scale.contains(given) else {
                        throw StoreError(.invalidRow, file: file, line: line.line, field: "rating", value: "\(given)",
                                         reason: "rating \(given.formatted) of \(StoreError.shortened(text)) is outside the rating scale of the data",
                                         expected: "a rating from \(scale.lowerBound.formatted) to \(scale.upperBound.formatted)")
                    }
                    rating = given
                }
                firstLine[movie.externalID] = line.line
                ratings.append(.init(line: line.line, movie: movie, method: method, given: given, rating: rating))
            }
        }
        return ResolvedPersonalRatings(file: file, format: format, ratings: ratings, unmatched: unmatched)
    }

    /// Matches every line with `matcher` for a list of movies (ratings ignored): the movies found, once each,
    /// and the lines that match none or several.
    public func movies(with matcher: TitleMatcher) -> (movies: [CatalogueEntry], unmatched: [ResolvedPersonalRatings.Unmatched]) {
        var movies: [CatalogueEntry] = []
        var seen: Set<String> = []
        var unmatched: [ResolvedPersonalRatings.Unmatched] = []
        for line in lines {
            switch matcher.match(line.reference) {
            case .matched(let movie, _):
                if seen.insert(movie.externalID).inserted { movies.append(movie) }
            case .ambiguous(let candidates):
                unmatched.append(.init(line: line.line, text: line.reference.description, reason: .ambiguous,
                                       candidates: candidates, firstLine: nil))
            case .unmatched(let candidates):
                unmatched.append(.init(line: line.line, text: line.reference.description, reason: .noMatch,
                                       candidates: candidates, firstLine: nil))
            }
        }
        return (movies, unmatched)
    }
}
