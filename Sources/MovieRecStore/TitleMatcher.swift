import Foundation

/// One movie of the catalogue as the ``TitleMatcher`` sees it: external id, title, year and IMDb id.
public struct CatalogueEntry: Sendable, Equatable, Codable {
    /// The movie's external id (the id of the imported files).
    public let externalID: String
    /// The title as stored, e.g. `Matrix, The (1999)` (`nil` for movies only seen in ratings).
    public let title: String?
    /// The release year, if known.
    public let year: Int?
    /// The numeric IMDb id (`tt0133093` → 133093), when links were imported.
    public let imdbID: Int?

    /// Creates an entry.
    public init(externalID: String, title: String?, year: Int?, imdbID: Int? = nil) {
        self.externalID = externalID
        self.title = title
        self.year = year
        self.imdbID = imdbID
    }

    /// The title, or `movie <external id>` when there is none.
    public var displayTitle: String { title ?? "movie \(externalID)" }
}

/// How a line of a personal ratings file was matched to a movie, in the order the matcher tries them.
public enum MatchMethod: String, Sendable, Equatable, Codable, CaseIterable {
    /// The movie's external id, as written in the imported files (`movie,rating` files only).
    case movieID = "movie-id"
    /// The IMDb id (`tt…`) through the catalogue's links.
    case imdbID = "imdb-id"
    /// The title exactly as stored (without the year suffix) and the same year.
    case exactTitle = "exact-title"
    /// The normalised title (case, accents, article, punctuation) and a year within ±1.
    case normalisedTitle = "normalised-title"
    /// The title alone (the line gives no year), matching exactly one movie.
    case titleOnly = "title-only"
}

/// What a line refers to: any of an external movie id, an IMDb id, titles and a year.
public struct MovieReference: Sendable, Equatable {
    /// An external movie id (only `movie,rating` files give one).
    public var movieID: String?
    /// A numeric IMDb id.
    public var imdbID: Int?
    /// Titles to try, the primary first (an IMDb export also gives the original title).
    public var titles: [String]
    /// The release year, if given.
    public var year: Int?

    /// Creates a reference.
    public init(movieID: String? = nil, imdbID: Int? = nil, titles: [String] = [], year: Int? = nil) {
        self.movieID = movieID
        self.imdbID = imdbID
        self.titles = titles
        self.year = year
    }

    /// The movie field of a `movie,rating` line (or a request): a `tt` IMDb id, else an external id that is also
    /// tried as a title, with its `(year)` suffix read as the year — `Matrix, The (1999)` → title `Matrix, The`,
    /// year 1999.
    public init(field: String) {
        let value = field.trimmingCharacters(in: .whitespaces)
        if value.lowercased().hasPrefix("tt"), let number = TitleMatcher.imdbNumber(value) {
            self.init(imdbID: number)
        } else {
            self.init(movieID: value, titles: [TitleMatcher.strippingYear(value)], year: MovieRecord.year(inTitle: value))
        }
    }

    /// `Title (1999)`, `tt0133093`, or the id: how to name the reference in messages.
    public var description: String {
        if let title = titles.first { return year.map { "\(title) (\($0))" } ?? title }
        if let imdbID { return TitleMatcher.imdbString(imdbID) }
        return movieID ?? ""
    }
}

/// The result of matching one ``MovieReference``.
public enum MatchOutcome: Sendable, Equatable {
    /// Exactly one movie, found by `method`.
    case matched(CatalogueEntry, MatchMethod)
    /// Several movies fit equally well: nothing is guessed; the candidates are listed.
    case ambiguous([CatalogueEntry])
    /// No movie fits; `candidates` are movies with the same title but a year more than 1 away (may be empty).
    case unmatched(candidates: [CatalogueEntry])
}

/// Matches a person's references to movies (ids, IMDb ids, titles with or without years) against the catalogue.
///
/// Order, first success wins:
/// 1. the external movie id (when the reference has one);
/// 2. the IMDb id through the links (when both sides have one);
/// 3. the exact title (the stored title without its `(year)` suffix, or one of its alternative titles in
///    parentheses such as `(a.k.a. Se7en)`) and the same year;
/// 4. the normalised title (``normalise(_:)``: case, accents, a trailing article moved to the front as MovieLens
///    writes `Matrix, The`, a leading "The"/"A"/"An" dropped, punctuation) with the same year, else a year ±1;
/// 5. only for a reference without a year: the title alone (exact, else normalised) when exactly one movie has it.
/// Several movies at the first tier that finds any is ``MatchOutcome/ambiguous(_:)``; a reference with a year
/// that no same-titled movie is within ±1 of is ``MatchOutcome/unmatched(candidates:)`` with those movies — a
/// year further away is never guessed.
public struct TitleMatcher: Sendable {
    /// The catalogue, in the order given.
    public let entries: [CatalogueEntry]
    private let byID: [String: Int]
    private let byIMDb: [Int: [Int]]
    private let byExactTitle: [String: [Int]]
    private let byNormalisedTitle: [String: [Int]]

    /// Indexes `entries` (ids, IMDb ids, exact and normalised titles with their alternatives).
    public init(entries: [CatalogueEntry]) {
        self.entries = entries
        var byID: [String: Int] = [:]
        var byIMDb: [Int: [Int]] = [:]
        var byExactTitle: [String: [Int]] = [:]
        var byNormalisedTitle: [String: [Int]] = [:]
        for (index, entry) in entries.enumerated() {
            if byID[entry.externalID] == nil { byID[entry.externalID] = index }
            if let imdb = entry.imdbID { byIMDb[imdb, default: []].append(index) }
            guard let title = entry.title else { continue }
            var exact: Set<String> = []
            var normalised: Set<String> = []
            for alias in Self.aliases(ofCatalogueTitle: title) {
                exact.insert(alias)
                let key = Self.normalise(alias)
                if !key.isEmpty { normalised.insert(key) }
            }
            for key in exact { byExactTitle[key, default: []].append(index) }
            for key in normalised { byNormalisedTitle[key, default: []].append(index) }
        }
        self.byID = byID
        self.byIMDb = byIMDb
        self.byExactTitle = byExactTitle
        self.byNormalisedTitle = byNormalisedTitle
    }

    /// The entry with this external id.
    public func entry(externalID: String) -> CatalogueEntry? { byID[externalID].map { entries[$0] } }

    /// Matches one reference (see the type's documentation for the order).
    public func match(_ reference: MovieReference) -> MatchOutcome {
        if let id = reference.movieID, let index = byID[id] { return .matched(entries[index], .movieID) }
        if let imdb = reference.imdbID, let found = byIMDb[imdb], !found.isEmpty {
            return found.count == 1 ? .matched(entries[found[0]], .imdbID) : .ambiguous(found.map { entries[$0] })
        }
        let titles = reference.titles.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !titles.isEmpty else { return .unmatched(candidates: []) }
        let exact = unique(titles.flatMap { byExactTitle[$0] ?? [] })
        let normalised = unique(titles.flatMap { byNormalisedTitle[Self.normalise($0)] ?? [] })
        guard let year = reference.year else {
            for (candidates, method) in [(exact, MatchMethod.titleOnly), (normalised, .titleOnly)] where !candidates.isEmpty {
                return candidates.count == 1 ? .matched(entries[candidates[0]], method)
                    : .ambiguous(candidates.map { entries[$0] })
            }
            return .unmatched(candidates: [])
        }
        let exactSameYear = exact.filter { entries[$0].year == year }
        if !exactSameYear.isEmpty { return decide(exactSameYear, .exactTitle) }
        let sameYear = normalised.filter { entries[$0].year == year }
        if !sameYear.isEmpty { return decide(sameYear, .normalisedTitle) }
        let nearYear = normalised.filter { entries[$0].year.map { abs($0 - year) <= 1 } ?? true }
        if !nearYear.isEmpty { return decide(nearYear, .normalisedTitle) }
        return .unmatched(candidates: unique(exact + normalised).map { entries[$0] })
    }

    private func decide(_ candidates: [Int], _ method: MatchMethod) -> MatchOutcome {
        candidates.count == 1 ? .matched(entries[candidates[0]], method) : .ambiguous(candidates.map { entries[$0] })
    }

    /// `indices` without repeats, in first-seen order.
    private func unique(_ indices: [Int]) -> [Int] {
        var seen: Set<Int> = []
        return indices.filter { seen.insert($0).inserted }
    }

    // MARK: - Titles

    /// The title without a trailing `(1999)` / `(1994-1998)` year: `Matrix, The (1999)` → `Matrix, The`.
    public static func strippingYear(_ title: String) -> String {
        let trimmed = title.trimmingCharacters(in: .whitespaces)
        guard MovieRecord.year(inTitle: trimmed) != nil, let open = trimmed.lastIndex(of: "(") else { return trimmed }
        return String(trimmed[..<open]).trimmingCharacters(in: .whitespaces)
    }

    /// The names a catalogue title stands for: the title without its year, the part before the first parenthesis,
    /// and each parenthesised alternative without `a.k.a.` —
    /// `Seven (a.k.a. Se7en) (1995)` → `Seven (a.k.a. Se7en)`, `Seven`, `Se7en`.
    public static func aliases(ofCatalogueTitle title: String) -> [String] {
        let base = strippingYear(title)
        var result = [base]
        guard base.hasSuffix(")"), let firstOpen = base.firstIndex(of: "(") else { return result }
        let main = base[..<firstOpen].trimmingCharacters(in: .whitespaces)
        if !main.isEmpty { result.append(main) }
        var depth = 0
        var current = ""
        for character in base[firstOpen...] {
            switch character {
            case "(":
                if depth > 0 { current.append(character) }
                depth += 1
            case ")":
                depth -= 1
                if depth > 0 {
                    current.append(character)
                } else {
                    var alias = current.trimmingCharacters(in: .whitespaces)
                    for prefix in ["a.k.a. ", "aka "] where alias.lowercased().hasPrefix(prefix) {
                        alias = String(alias.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
                    }
                    if !alias.isEmpty { result.append(alias) }
                    current = ""
                }
            default:
                if depth > 0 { current.append(character) }
            }
        }
        return result
    }

    /// Articles MovieLens moves to the end of a title (`Matrix, The`, `Cité des enfants perdus, La`).
    static let articles: Set<String> = [
        "the", "a", "an", "la", "le", "les", "l'", "il", "el", "los", "las", "lo", "der", "die", "das", "den",
        "det", "de", "un", "une", "uno", "una", "i", "gli", "o", "os", "as", "en", "ett", "et",
    ]

    /// A title reduced for comparison: lower case, accents removed, a trailing `, The` (any article of
    /// ``articles``) moved to the front, `&` read as "and", apostrophes dropped, other punctuation as spaces,
    /// spaces collapsed, then a leading "the", "a" or "an" dropped:
    /// `Matrix, The` and `The Matrix` → `matrix`; `Amélie` → `amelie`; `Star Wars: Episode IV - A New Hope` →
    /// `star wars episode iv a new hope`.
    public static func normalise(_ title: String) -> String {
        var text = String(String.UnicodeScalarView(
            title.decomposedStringWithCanonicalMapping.unicodeScalars.filter {
                $0.properties.generalCategory != .nonspacingMark
            })).lowercased()
        text = text.trimmingCharacters(in: .whitespaces)
        if let comma = text.lastIndex(of: ",") {
            let article = text[text.index(after: comma)...].trimmingCharacters(in: .whitespaces)
            if articles.contains(article) {
                let rest = text[..<comma].trimmingCharacters(in: .whitespaces)
                text = article.hasSuffix("'") ? article + rest : article + " " + rest
            }
        }
        var words: [String] = []
        var word = ""
        func flush() {
            if !word.isEmpty { words.append(word) }
            word = ""
        }
        for scalar in text.unicodeScalars {
            if scalar == "'" || scalar == "\u{2019}" || scalar == "`" { continue }
            if scalar == "&" {
                flush()
                words.append("and")
            } else if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                word.unicodeScalars.append(scalar)
            } else {
                flush()
            }
        }
        flush()
        if words.count > 1, ["the", "a", "an"].contains(words[0]) { words.removeFirst() }
        return words.joined(separator: " ")
    }

    // MARK: - IMDb ids

    /// `tt0133093`, `0133093` or `133093` → 133093; `nil` for anything else.
    public static func imdbNumber(_ text: String) -> Int? {
        var digits = Substring(text.trimmingCharacters(in: .whitespaces))
        if digits.lowercased().hasPrefix("tt") { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }

    /// 133093 → `tt0133093` (at least seven digits, as IMDb writes them).
    public static func imdbString(_ number: Int) -> String {
        let digits = String(number)
        return "tt" + String(repeating: "0", count: max(0, 7 - digits.count)) + digits
    }
}
