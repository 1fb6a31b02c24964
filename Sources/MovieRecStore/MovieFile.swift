import Foundation

/// The layout of a movie catalogue file.
public enum MoviesFormat: String, Sendable, Equatable, CaseIterable {
    /// Detect from the first line (see ``MoviesFormat/detect(firstLine:)``).
    case auto
    /// MovieLens `movies.csv`: header `movieId,title,genres`, RFC 4180 quoting, UTF-8, genres `A|B`.
    case movieLensCSV = "movielens-csv"
    /// MovieLens 100K `u.item`: `id|title|release date|video date|IMDb URL|` + 19 genre flags, latin-1.
    case ml100k = "ml-100k"
    /// MovieLens 1M `movies.dat`: `MovieID::Title::Genres`, latin-1.
    case ml1m = "ml-1m"

    /// `movieId,title,genres` header → CSV; a `::` separator → ml-1m; `|`-separated with at least 24 fields → ml-100k.
    public static func detect(firstLine: String) -> MoviesFormat? {
        let header = firstLine.trimmingASCIISpaces().lowercased().replacingOccurrences(of: "\"", with: "")
        if header.hasPrefix("movieid,title") { return .movieLensCSV }
        if firstLine.contains("::") { return .ml1m }
        if firstLine.split(separator: "|", omittingEmptySubsequences: false).count >= 24 { return .ml100k }
        return nil
    }

    /// The 19 genre names of ml-100k's flag columns, in column order.
    public static let ml100kGenres = [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
        "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ]
}

/// One movie of a catalogue file.
public struct MovieRecord: Sendable, Equatable {
    /// The external id as written in the file.
    public var externalID: String
    /// The title exactly as given (year suffix kept, e.g. `American President, The (1995)`).
    public var title: String
    /// The release year from a trailing `(1995)` or `(1995-1996)` (first year), if present.
    public var year: Int?
    /// Genre names (`(no genres listed)` is kept as MovieLens writes it).
    public var genres: [String]

    /// Creates a record; `year` defaults to ``MovieRecord/year(inTitle:)``.
    public init(externalID: String, title: String, year: Int? = nil, genres: [String]) {
        self.externalID = externalID
        self.title = title
        self.year = year ?? MovieRecord.year(inTitle: title)
        self.genres = genres
    }

    /// The year in a trailing parenthesis: `"Heat (1995)"` → 1995, `"Babylon 5 (1994-1998) "` → 1994,
    /// `"Brazil"` → `nil`. Only four-digit years are accepted. (Whitespace is Unicode's: titles that end in ASCII are
    /// read straight from their bytes, the rest through Foundation; both give the same answers.)
    public static func year(inTitle title: String) -> Int? {
        asciiTailYear(title) ?? generalYear(inTitle: title)
    }

    /// ``year(inTitle:)`` for any title, through Foundation's Unicode whitespace.
    static func generalYear(inTitle title: String) -> Int? {
        let trimmed = title.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix(")"), let open = trimmed.lastIndex(of: "(") else { return nil }
        let inside = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
        let first = inside.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let digits = first.trimmingCharacters(in: .whitespaces)
        guard digits.count == 4, digits.allSatisfy(\.isASCII), let year = Int(digits) else { return nil }
        return year
    }

    /// ``year(inTitle:)`` from the UTF-8 bytes when the title ends in an ASCII character other than space or tab and
    /// the parenthesis holds only ASCII: `.some(year or nil)`; `nil` when the general path must decide.
    private static func asciiTailYear(_ title: String) -> Int?? {
        var title = title
        return title.withUTF8 { bytes -> Int?? in
            guard let last = bytes.last, last < 0x80, last != 0x20, last != 0x09 else { return nil }
            guard last == UInt8(ascii: ")") else { return .some(nil) }
            guard let open = bytes.lastIndex(of: UInt8(ascii: "(")) else { return .some(nil) }
            var first = bytes[(open + 1)..<(bytes.count - 1)]
            guard first.allSatisfy({ $0 < 0x80 }) else { return nil }
            if let dash = first.firstIndex(of: UInt8(ascii: "-")) { first = first[..<dash] }
            while let b = first.first, b == 0x20 || b == 0x09 { first = first.dropFirst() }
            while let b = first.last, b == 0x20 || b == 0x09 { first = first.dropLast() }
            guard first.count == 4, let year = Int(String(decoding: first, as: UTF8.self)) else { return .some(nil) }
            return .some(year)
        }
    }
}

/// A movie catalogue file parsed into memory.
public struct ParsedMovies: Sendable {
    /// The file that was parsed.
    public let file: String
    /// The format used (never ``MoviesFormat/auto``).
    public let format: MoviesFormat
    /// The movies in file order; a repeated id keeps its last occurrence.
    public let movies: [MovieRecord]
    /// Data rows read (header and blank lines excluded).
    public let rowsRead: Int
    /// Rows skipped under ``ErrorPolicy/skip``.
    public let rejects: [RejectedRow]

    /// Reads a movie file: UTF-8 for CSV (latin-1 if it is not valid UTF-8), latin-1 for ml-100k/ml-1m.
    public init(contentsOf path: String, format requested: MoviesFormat = .auto, policy: ErrorPolicy = .abort) throws {
        let mapped = try MappedFile(path: path)
        var bytes = Array(mapped.bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        let firstLineEnd = bytes.firstIndex(of: 0x0A) ?? bytes.count
        let firstLine = MoviesFormat.decode(bytes[0..<firstLineEnd], latin1: false)
            .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
        guard !bytes.allSatisfy({ $0 == 0x0A || $0 == 0x0D || $0 == 0x20 }) else {
            throw StoreError(.emptyFile, file: path, reason: "the movie file is empty", expected: "one movie per line")
        }
        let format: MoviesFormat
        if requested == .auto {
            guard let detected = MoviesFormat.detect(firstLine: firstLine) else {
                throw StoreError(.unknownFormat, file: path, line: 1, value: firstLine,
                                 reason: "the first line \"\(firstLine.prefix(60))\" matches no known movie format",
                                 expected: "a movies.csv header (movieId,title,genres), u.item (|-separated) or "
                                     + "movies.dat (::-separated)")
            }
            format = detected
        } else {
            format = requested
        }
        let text: String
        switch format {
        case .movieLensCSV:
            // Not valid UTF-8 (decoding replaced something) → latin-1.
            let utf8 = String(decoding: bytes, as: UTF8.self)
            text = utf8.utf8.elementsEqual(bytes) ? utf8 : MoviesFormat.decode(bytes[...], latin1: true)
        default:
            text = MoviesFormat.decode(bytes[...], latin1: true)
        }
        var records: [MovieRecord] = []
        var rejects: [RejectedRow] = []
        var rowsRead = 0
        let rows: [(line: Int, fields: [String]?, raw: String)]
        switch format {
        case .movieLensCSV: rows = MoviesFormat.csvRows(text)
        case .ml1m: rows = MoviesFormat.splitRows(text) { $0.components(separatedBy: "::") }
        default: rows = MoviesFormat.splitRows(text) { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
        }
        for (index, row) in rows.enumerated() {
            if index == 0 && format == .movieLensCSV && MoviesFormat.detect(firstLine: row.raw) == .movieLensCSV { continue }
            rowsRead += 1
            func reject(_ field: String, _ reason: String) throws {
                let rejected = RejectedRow(file: path, line: row.line, field: field, reason: reason, raw: row.raw)
                if policy == .abort { throw rejected.error }
                rejects.append(rejected)
            }
            guard let fields = row.fields else { try reject("columns", "a quoted field is not closed"); continue }
            let expectedCount = format == .ml100k ? 24 : 3
            guard fields.count == expectedCount else {
                try reject("columns", "found \(fields.count) columns: expected \(expectedCount)")
                continue
            }
            let id = MoviesFormat.trimmingWhitespace(fields[0])
            guard !id.isEmpty else { try reject("movie", "the movie id is empty: expected a non-empty id"); continue }
            let genres: [String]
            if format == .ml100k {
                let flags = fields[5...]
                guard flags.allSatisfy({ $0 == "0" || $0 == "1" }) else {
                    try reject("genres", "genre flags must be 0 or 1: expected 19 flags")
                    continue
                }
                genres = zip(MoviesFormat.ml100kGenres, flags).filter { $0.1 == "1" }.map(\.0)
            } else {
                genres = fields[2].isEmpty ? [] : fields[2].split(separator: "|").map(String.init)
            }
            records.append(MovieRecord(externalID: id, title: fields[1], genres: genres))
        }
        var lastIndex: [String: Int] = [:]
        for (index, record) in records.enumerated() { lastIndex[record.externalID] = index }
        self.file = path
        self.format = format
        self.movies = records.enumerated().filter { lastIndex[$0.element.externalID] == $0.offset }.map(\.element)
        self.rowsRead = rowsRead
        self.rejects = rejects
    }
}

extension MoviesFormat {
    /// `text.trimmingCharacters(in: .whitespaces)`, without Foundation when the text starts and ends in ASCII
    /// characters other than space and tab (nothing to trim; most ids).
    static func trimmingWhitespace(_ text: String) -> String {
        if let first = text.utf8.first, let last = text.utf8.last, first < 0x80, last < 0x80,
           first != 0x20, first != 0x09, last != 0x20, last != 0x09 {
            return text
        }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// Decodes bytes as UTF-8, or as ISO 8859-1 (each byte is the code point of the same value).
    static func decode(_ bytes: ArraySlice<UInt8>, latin1: Bool) -> String {
        guard latin1 else { return String(decoding: bytes, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { UnicodeScalar($0) })
        return String(scalars)
    }

    /// Non-blank lines split by `separator`, with their 1-based line numbers.
    static func splitRows(_ text: String, separator: (String) -> [String]) -> [(line: Int, fields: [String]?, raw: String)] {
        var rows: [(line: Int, fields: [String]?, raw: String)] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            rows.append((index + 1, separator(line), line))
        }
        return rows
    }

    /// RFC 4180 records: fields separated by commas, `"..."` quoting with `""` for a quote; quoted fields may span
    /// lines. A record whose quote never closes gets `fields == nil`. `raw` is the record as written, without the
    /// carriage returns outside quotes. Works on the UTF-8 bytes (every separator is ASCII).
    static func csvRows(_ text: String) -> [(line: Int, fields: [String]?, raw: String)] {
        var rows: [(line: Int, fields: [String]?, raw: String)] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var raw: [UInt8] = []
        var inQuotes = false
        var line = 1
        var startLine = 1
        func finishRecord() {
            fields.append(String(decoding: field, as: UTF8.self))
            let blank = fields.count == 1 && fields[0].trimmingCharacters(in: .whitespaces).isEmpty
            if !blank { rows.append((startLine, fields, String(decoding: raw, as: UTF8.self))) }
            fields = []
            field.removeAll(keepingCapacity: true)
            raw.removeAll(keepingCapacity: true)
        }
        let (quote, comma, cr, lf) = (UInt8(ascii: "\""), UInt8(ascii: ","), UInt8(ascii: "\r"), UInt8(ascii: "\n"))
        var text = text
        text.withUTF8 { bytes in
            var i = 0
            while i < bytes.count {
                let byte = bytes[i]
                i += 1
                if inQuotes {
                    if byte == quote {
                        if i < bytes.count && bytes[i] == quote {
                            field.append(quote)
                            raw.append(quote)
                            raw.append(quote)
                            i += 1
                            continue
                        }
                        inQuotes = false
                    } else {
                        if byte == lf { line += 1 }
                        if byte != cr || !field.isEmpty { field.append(byte) }
                    }
                    raw.append(byte)
                    continue
                }
                switch byte {
                case quote where field.isEmpty:
                    inQuotes = true
                    raw.append(byte)
                case comma:
                    fields.append(String(decoding: field, as: UTF8.self))
                    field.removeAll(keepingCapacity: true)
                    raw.append(byte)
                case cr:
                    continue
                case lf:
                    finishRecord()
                    line += 1
                    startLine = line
                default:
                    field.append(byte)
                    raw.append(byte)
                }
            }
        }
        if inQuotes {
            rows.append((startLine, nil, String(decoding: raw, as: UTF8.self)))
        } else if !field.isEmpty || !fields.isEmpty {
            finishRecord()
        }
        return rows
    }
}
