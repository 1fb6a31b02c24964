import Foundation

/// The layout of a person's own ratings file, detected from its header (``PersonalRatingsFormat/detect(header:)``).
public enum PersonalRatingsFormat: String, Sendable, Equatable, Codable, CaseIterable {
    /// `movie,rating` lines: the movie by external id, IMDb id (`tt…`) or title (with or without `(year)`),
    /// the rating on the catalogue's own scale; a header is optional (`movie,rating`, `title,year,rating`, …).
    case movieRating = "movie-rating"
    /// The IMDb ratings export: `Const,Your Rating,Date Rated,Title,…,Year,…`; `tt` ids, ratings 1–10.
    case imdb
    /// The Letterboxd export `ratings.csv`: `Date,Name,Year,Letterboxd URI,Rating`, ratings 0.5–5
    /// (`watched.csv`, without `Rating`, is accepted where no rating is needed).
    case letterboxd

    /// The scale the format's ratings are on; `nil` for the catalogue's own scale.
    public var scale: RatingScale? {
        switch self {
        case .movieRating: return nil
        case .imdb: return RatingScale(lowest: 1, highest: 10)
        case .letterboxd: return RatingScale(lowest: 0.5, highest: 5)
        }
    }

    /// The format a header announces: IMDb (`Const` and `Your Rating`), Letterboxd (`Letterboxd URI` and
    /// `Name`), else `movie,rating`.
    public static func detect(header fields: [String]) -> PersonalRatingsFormat {
        let names = Set(fields.map(PersonalRatingsFile.columnKey))
        if names.contains("const") && (names.contains("your rating") || names.contains("title")) { return .imdb }
        if names.contains("letterboxd uri") && names.contains("name") { return .letterboxd }
        return .movieRating
    }
}

/// A closed rating scale, e.g. 1–10 for IMDb.
public struct RatingScale: Sendable, Equatable, Codable {
    /// The lowest rating.
    public let lowest: Float
    /// The highest rating.
    public let highest: Float

    /// Creates a scale; `highest` must exceed `lowest`.
    public init(lowest: Float, highest: Float) {
        self.lowest = lowest
        self.highest = highest
    }

    /// Whether `rating` is on the scale.
    public func contains(_ rating: Float) -> Bool { rating >= lowest && rating <= highest }

    /// `rating` mapped linearly onto `target`, lowest onto lowest and highest onto highest:
    /// IMDb 7 on 0.5–5 → 0.5 + (7 − 1)·4.5/9 = 3.5; Letterboxd 4 on 1–5 → 1 + 3.5·4/4.5 ≈ 4.111.
    public func map(_ rating: Float, onto target: ClosedRange<Float>) -> Float {
        let fraction = (rating - lowest) / (highest - lowest)
        return min(max(target.lowerBound + fraction * (target.upperBound - target.lowerBound), target.lowerBound),
                   target.upperBound)
    }
}

/// A person's own ratings file, parsed but not yet matched to movies: `movie,rating` (ids or titles, RFC 4180
/// quoting, comma, semicolon or tab), the IMDb ratings export or the Letterboxd `ratings.csv`, told apart by the
/// header. Blank lines are skipped, and in `movie,rating` files `#` comment lines. Text is UTF-8 (a byte-order
/// mark is dropped), or latin-1 when the bytes are not valid UTF-8.
///
/// Parsing is pure: ``init(text:file:ratingRequired:)`` for text already in memory (the server),
/// ``init(contentsOf:ratingRequired:)`` for a file. Malformed lines (unclosed quote, missing fields, a rating that is
/// not a number or outside the format's scale, a control character) throw ``StoreError`` `.invalidRow` with the
/// file, line and field; whether each line names a known movie is decided later by ``resolve(with:scale:)``.
public struct PersonalRatingsFile: Sendable {
    /// One data line.
    public struct Line: Sendable, Equatable {
        /// The 1-based line number where the record starts.
        public let line: Int
        /// What the line refers to.
        public let reference: MovieReference
        /// The rating as written (on the format's scale); `nil` when the field is empty.
        public let rating: Float?

        /// Creates a line (e.g. one entry of a request's list, `line` its 1-based position).
        public init(line: Int, reference: MovieReference, rating: Float?) {
            self.line = line
            self.reference = reference
            self.rating = rating
        }
    }

    /// The file name used in messages.
    public let file: String
    /// The detected format.
    public let format: PersonalRatingsFormat
    /// The data lines in file order.
    public let lines: [Line]

    /// Ratings that did not come from a file (a request's list): `file` names the source in messages.
    public init(file: String, format: PersonalRatingsFormat, lines: [Line]) {
        self.file = file
        self.format = format
        self.lines = lines
    }

    /// Reads and parses `path`.
    /// - Parameter ratingRequired: `false` accepts files without a rating column (a list of movies to exclude).
    /// - Throws: ``StoreError`` (`.fileNotFound`, `.unreadableFile`, `.emptyFile`, `.invalidRow`).
    public init(contentsOf path: String, ratingRequired: Bool = true) throws {
        let mapped = try MappedFile(path: path)
        try self.init(bytes: Array(mapped.bytes), file: path, ratingRequired: ratingRequired)
    }

    /// Parses file contents given as bytes (UTF-8, else latin-1).
    public init(bytes: [UInt8], file: String, ratingRequired: Bool = true) throws {
        var bytes = bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        let utf8 = String(validating: bytes, as: UTF8.self)
        try self.init(text: utf8 ?? MoviesFormat.decode(bytes, latin1: true), file: file, ratingRequired: ratingRequired)
    }

    /// Parses file contents already decoded.
    public init(text: String, file: String, ratingRequired: Bool = true) throws {
        var text = text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        self.file = file
        var records = Self.records(text)
        while let head = records.first?.fields?.first, head.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
            records.removeFirst()
        }
        guard let first = records.first else {
            throw StoreError(.emptyFile, file: file, reason: "the ratings file has no lines",
                             expected: "movie,rating lines, an IMDb ratings export or a Letterboxd ratings.csv")
        }
        for record in records {
            guard let fields = record.fields else {
                throw StoreError(.invalidRow, file: file, line: record.line, field: "columns", value: record.raw,
                                 reason: "a quoted field is not closed", expected: "a closing \" (RFC 4180 quoting)")
            }
            for field in fields where field.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7F }) {
                throw StoreError(.invalidRow, file: file, line: record.line, field: "columns",
                                 value: Self.escaped(field), reason: "a field holds a control character",
                                 expected: "printable text")
            }
        }
        let format = PersonalRatingsFormat.detect(header: first.fields ?? [])
        self.format = format
        let layout = try Layout(format: format, first: first.fields ?? [], file: file, ratingRequired: ratingRequired)
        var lines: [Line] = []
        for record in records.dropFirst(layout.hasHeader ? 1 : 0) {
            let fields = record.fields ?? []
            if format == .movieRating, let head = fields.first, head.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                continue
            }
            lines.append(try layout.line(fields, number: record.line, raw: record.raw, file: file))
        }
        guard !lines.isEmpty else {
            throw StoreError(.emptyFile, file: file, reason: "the file has a header but no ratings",
                             expected: "one line per movie after the header")
        }
        self.lines = lines
    }

    /// `Your Rating ` → `your rating`: how column names are compared.
    static func columnKey(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// A value for a message: control characters escaped, at most 80 characters.
    static func escaped(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result.count > 80 ? String(result.prefix(77)) + "..." : result
    }

    // MARK: - Columns

    /// Where a format keeps the movie, its title, year, IMDb id and rating.
    private struct Layout {
        let format: PersonalRatingsFormat
        let hasHeader: Bool
        /// Columns (0-based) of the header; `nil` when absent.
        var movie: Int?
        var title: Int?
        var originalTitle: Int?
        var year: Int?
        var imdb: Int?
        var rating: Int?
        /// Columns the header has (rows must have at least the ones used).
        var width: Int
        let ratingRequired: Bool

        init(format: PersonalRatingsFormat, first: [String], file: String, ratingRequired: Bool) throws {
            self.format = format
            self.ratingRequired = ratingRequired
            let keys = first.map(PersonalRatingsFile.columnKey)
            func column(_ names: [String]) -> Int? { names.lazy.compactMap { keys.firstIndex(of: $0) }.first }
            width = first.count
            switch format {
            case .imdb:
                hasHeader = true
                imdb = column(["const"])
                title = column(["title"])
                originalTitle = column(["original title"])
                year = column(["year"])
                rating = column(["your rating"])
            case .letterboxd:
                hasHeader = true
                title = column(["name"])
                year = column(["year"])
                rating = column(["rating"])
            case .movieRating:
                movie = column(["movie", "movieid", "movie_id", "movie id", "id", "film", "imdbid", "imdb_id", "tconst"])
                title = column(["title", "name"])
                year = column(["year"])
                rating = column(["rating", "your rating", "score", "stars"])
                let lastIsNumber = first.count >= 2 && Float(first[first.count - 1].trimmingCharacters(in: .whitespaces)) != nil
                // Known column names, or (where a rating is needed) a last field that is not a number.
                hasHeader = movie != nil || title != nil || rating != nil || (ratingRequired && first.count >= 2 && !lastIsNumber)
                if !hasHeader || (movie == nil && title == nil) {
                    // No header, or one with unknown names: movie first, rating last.
                    movie = 0
                    title = nil
                    year = nil
                    rating = first.count >= 2 || ratingRequired ? max(first.count - 1, 1) : nil
                    width = 0
                }
            }
            if format == .movieRating, hasHeader, ratingRequired, rating == nil, width > 0 {
                throw StoreError(.invalidRow, file: file, line: 1, field: "columns", value: first.joined(separator: ","),
                                 reason: "the header names no rating column", expected: "a header such as movie,rating")
            }
            if format != .movieRating, ratingRequired, rating == nil {
                throw StoreError(.invalidRow, file: file, line: 1, field: "columns", value: first.joined(separator: ","),
                                 reason: "the \(format == .imdb ? "IMDb" : "Letterboxd") header has no "
                                     + "\(format == .imdb ? "Your Rating" : "Rating") column",
                                 expected: format == .imdb ? "Const,Your Rating,Date Rated,Title,…,Year,…"
                                     : "Date,Name,Year,Letterboxd URI,Rating")
            }
            if format == .imdb && imdb == nil && title == nil || format == .letterboxd && title == nil {
                throw StoreError(.invalidRow, file: file, line: 1, field: "columns", value: first.joined(separator: ","),
                                 reason: "the header names no movie column", expected: "Const/Title (IMDb) or Name (Letterboxd)")
            }
        }

        /// One data record as a ``Line``.
        func line(_ fields: [String], number: Int, raw: String, file: String) throws -> Line {
            var trimmed = fields.map { $0.trimmingCharacters(in: .whitespaces) }
            if format == .movieRating && width == 1 && trimmed.count > 1 {
                // A one-column list (`title`): unquoted commas belong to the title.
                trimmed = [fields.joined(separator: ",").trimmingCharacters(in: .whitespaces)]
            } else if format == .movieRating && width == 2 && rating == 1 && trimmed.count > 2 {
                // `movie,rating` with an unquoted title such as `Matrix, The (1999),4`: the rating is the last field.
                trimmed = [fields.dropLast().joined(separator: ",").trimmingCharacters(in: .whitespaces), trimmed[trimmed.count - 1]]
            }
            func fail(_ field: String, _ reason: String, _ expected: String, value: String? = nil) -> StoreError {
                StoreError(.invalidRow, file: file, line: number, field: field,
                           value: PersonalRatingsFile.escaped(value ?? raw), reason: reason, expected: expected)
            }
            if format == .movieRating && width == 0 {
                return try headerless(trimmed, number: number, raw: raw, file: file, fail: fail)
            }
            let used = [movie, title, originalTitle, year, imdb, rating].compactMap { $0 }.max() ?? 0
            guard trimmed.count > used else {
                throw fail("columns", "found \(trimmed.count) field\(trimmed.count == 1 ? "" : "s")",
                           "\(width) fields as in the header")
            }
            var reference = MovieReference()
            if let movie, !trimmed[movie].isEmpty { reference = MovieReference(field: trimmed[movie]) }
            if let imdb { reference.imdbID = TitleMatcher.imdbNumber(trimmed[imdb]) ?? reference.imdbID }
            if let title, !trimmed[title].isEmpty {
                reference.titles.insert(TitleMatcher.strippingYear(trimmed[title]), at: 0)
                reference.year = reference.year ?? MovieRecord.year(inTitle: trimmed[title])
            }
            if let originalTitle, !trimmed[originalTitle].isEmpty, !reference.titles.contains(trimmed[originalTitle]) {
                reference.titles.append(trimmed[originalTitle])
            }
            if let year, !trimmed[year].isEmpty {
                guard let value = Int(trimmed[year]), (1800...2200).contains(value) else {
                    throw fail("year", "\"\(trimmed[year])\" is not a year", "a four-digit year such as 1999",
                               value: trimmed[year])
                }
                reference.year = value
            }
            guard reference.movieID != nil || reference.imdbID != nil || !reference.titles.isEmpty else {
                throw fail("movie", "the line names no movie", "a movie id, IMDb id or title")
            }
            return Line(line: number, reference: reference, rating: try rating.map { try parseRating(trimmed[$0], { fail($0, $1, $2) }) } ?? nil)
        }

        /// A line of a file without a header: `movie,rating` (a title with unquoted commas is rejoined: the
        /// rating is the last field), or `movie` alone where no rating is needed.
        private func headerless(_ fields: [String], number: Int, raw: String, file: String,
                                fail: (String, String, String, String?) -> StoreError) throws -> Line {
            var fields = fields
            var ratingText: String?
            let lastIsNumber = fields.count >= 2 && Float(fields[fields.count - 1].replacingOccurrences(of: ",", with: ".")) != nil
            if fields.count >= 2 && (ratingRequired || lastIsNumber) {
                ratingText = fields.removeLast()
            } else if ratingRequired {
                throw fail("columns", "found 1 field", "2, movie,rating", nil)
            }
            let movie = fields.joined(separator: ",").trimmingCharacters(in: .whitespaces)
            guard !movie.isEmpty else { throw fail("movie", "the movie is empty", "a movie id or title", nil) }
            return Line(line: number, reference: MovieReference(field: movie),
                        rating: try ratingText.map { try parseRating($0, { fail($0, $1, $2, nil) }) } ?? nil)
        }

        /// The rating field: empty → `nil`; else a finite number on the format's scale.
        private func parseRating(_ text: String, _ fail: (String, String, String) -> StoreError) throws -> Float? {
            guard !text.isEmpty else { return nil }
            guard let value = Float(text.replacingOccurrences(of: ",", with: ".")), value.isFinite else {
                throw fail("rating", "rating \"\(PersonalRatingsFile.escaped(text))\" is not a number",
                           "movie,rating such as 1,4.5")
            }
            if let scale = format.scale, !scale.contains(value) {
                throw fail("rating", "rating \(text) is outside the \(format == .imdb ? "IMDb" : "Letterboxd") scale",
                           "a rating from \(scale.lowest.formatted) to \(scale.highest.formatted)")
            }
            return value
        }
    }

    // MARK: - Records

    /// RFC 4180 records with their 1-based starting line: fields separated by the first of `,` `;` tab found
    /// outside quotes on the first non-blank line, `"…"` quoting with `""` for a quote, quoted fields may span
    /// lines; blank lines are skipped. An unclosed quote gives `fields == nil`.
    static func records(_ text: String) -> [(line: Int, fields: [String]?, raw: String)] {
        let scalars = Array(text.unicodeScalars)
        let separator = detectSeparator(scalars)
        var rows: [(line: Int, fields: [String]?, raw: String)] = []
        var fields: [String] = []
        var field = String.UnicodeScalarView()
        var raw = String.UnicodeScalarView()
        var inQuotes = false
        var wasQuoted = false
        var line = 1
        var start = 1
        func finish() {
            fields.append(String(field))
            let blank = fields.count == 1 && !wasQuoted && fields[0].trimmingCharacters(in: .whitespaces).isEmpty
            if !blank { rows.append((start, fields, String(raw))) }
            fields = []
            field = String.UnicodeScalarView()
            raw = String.UnicodeScalarView()
            wasQuoted = false
        }
        var i = 0
        while i < scalars.count {
            let scalar = scalars[i]
            i += 1
            if inQuotes {
                if scalar == "\"" {
                    if i < scalars.count && scalars[i] == "\"" {
                        field.append("\"")
                        raw.append(contentsOf: "\"\"".unicodeScalars)
                        i += 1
                        continue
                    }
                    inQuotes = false
                } else {
                    if scalar == "\n" { line += 1 }
                    if scalar != "\r" { field.append(scalar) }
                }
                raw.append(scalar)
                continue
            }
            switch scalar {
            case "\"" where String(field).trimmingCharacters(in: .whitespaces).isEmpty:
                field = String.UnicodeScalarView()
                inQuotes = true
                wasQuoted = true
                raw.append(scalar)
            case separator:
                fields.append(String(field))
                field = String.UnicodeScalarView()
                raw.append(scalar)
            case "\r":
                continue
            case "\n":
                finish()
                line += 1
                start = line
            default:
                field.append(scalar)
                raw.append(scalar)
            }
        }
        if inQuotes {
            rows.append((start, nil, String(raw)))
        } else if !field.isEmpty || !fields.isEmpty {
            finish()
        }
        return rows
    }

    /// The separator of the first non-blank line (outside quotes): tab if it has one, else `;` (such files
    /// write decimal commas: `1;4,5`), else `,`.
    private static func detectSeparator(_ scalars: [Unicode.Scalar]) -> Unicode.Scalar {
        var inQuotes = false
        var seen: Set<Unicode.Scalar> = []
        var sawText = false
        for scalar in scalars {
            if scalar == "\"" { inQuotes.toggle() }
            if inQuotes { continue }
            if scalar == "\n" {
                if sawText { break }
                continue
            }
            if scalar != " " && scalar != "\r" { sawText = true }
            if scalar == "," || scalar == ";" || scalar == "\t" { seen.insert(scalar) }
        }
        return seen.contains("\t") ? "\t" : seen.contains(";") ? ";" : ","
    }
}

extension Float {
    /// `4.0` → `4`, `4.5` → `4.5`: a scale bound for messages.
    var formatted: String { self == rounded() ? String(Int(self)) : String(self) }
}
