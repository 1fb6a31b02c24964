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

    /// Reads a movie file: UTF-8 for CSV and latin-1 for ml-100k/ml-1m (``TextEncoding/auto``), or the encoding
    /// given. An id, title or genre list with a NUL byte, another control character (a line feed inside a quoted
    /// title excepted) or a byte sequence that is not UTF-8 (when decoding UTF-8) is a bad row, so titles and ids
    /// are kept exactly.
    /// - Throws: ``StoreError`` for an unreadable, empty or unknown file, a line over 1 MiB, or (under
    ///   ``ErrorPolicy/abort``) the first bad row.
    public init(contentsOf path: String, format requested: MoviesFormat = .auto, policy: ErrorPolicy = .abort,
                encoding: TextEncoding = .auto) throws {
        let mapped = try MappedFile(path: path)
        let contents = withExtendedLifetime(mapped) { Array(mapped.bytes) }
        try self.init(bytes: contents, path: path, format: requested, policy: policy, encoding: encoding)
    }

    /// Parses the contents of a movie file held in memory (`path` names it in messages).
    init(bytes contents: [UInt8], path: String, format requested: MoviesFormat = .auto, policy: ErrorPolicy = .abort,
         encoding: TextEncoding = .auto) throws {
        var bytes = contents
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        try MoviesFormat.checkLineLengths(bytes, file: path)
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
                                 reason: "the first line \(StoreError.quoted(firstLine)) matches no known movie format",
                                 expected: "a movies.csv header (movieId,title,genres), u.item (|-separated) or "
                                     + "movies.dat (::-separated)")
            }
            format = detected
        } else {
            format = requested
        }
        let latin1 = encoding.decodesLatin1(byDefault: format != .movieLensCSV)
        var records: [MovieRecord] = []
        var rejects: [RejectedRow] = []
        var rowsRead = 0
        let rows: [MoviesFormat.Record]
        switch format {
        case .movieLensCSV: rows = MoviesFormat.csvRecords(bytes, latin1: latin1)
        case .ml1m: rows = MoviesFormat.splitRecords(bytes, separator: [0x3A, 0x3A], latin1: latin1)
        default: rows = MoviesFormat.splitRecords(bytes, separator: [0x7C], latin1: latin1)
        }
        let fieldNames = format == .ml100k ? ["movie", "title", "release date", "video date", "IMDb URL"] : ["movie", "title", "genres"]
        for (index, row) in rows.enumerated() {
            if index == 0 && format == .movieLensCSV && MoviesFormat.detect(firstLine: row.raw) == .movieLensCSV { continue }
            rowsRead += 1
            func reject(_ field: String, _ reason: String) throws {
                let rejected = RejectedRow(file: path, line: row.line, field: field, reason: reason, raw: row.raw)
                if policy == .abort { throw rejected.error }
                rejects.append(rejected)
            }
            guard let parsedFields = row.fields else { try reject("columns", "a quoted field is not closed"); continue }
            let expectedCount = format == .ml100k ? 24 : 3
            guard parsedFields.count == expectedCount else {
                try reject("columns", "found \(parsedFields.count) columns: expected \(expectedCount)")
                continue
            }
            // Only a title may span lines (a quoted CSV field); a line break in any other field is a control character.
            var fields = parsedFields
            for index in fields.indices where index != 1 && fields[index].problem == nil && fields[index].text.contains("\n") {
                fields[index].problem = "contains a line break"
            }
            if let bad = fields.indices.first(where: { fields[$0].problem != nil }), let problem = fields[bad].problem {
                let name = bad < fieldNames.count ? fieldNames[bad] : "genres"
                try reject(name, "the \(name == "movie" ? "movie id" : name) \(problem): expected "
                           + ByteDecoding.textExpectation(latin1: latin1, problem: problem))
                continue
            }
            let id = MoviesFormat.trimmingWhitespace(fields[0].text)
            guard !id.isEmpty else { try reject("movie", "the movie id is empty: expected a non-empty id"); continue }
            let genres: [String]
            if format == .ml100k {
                let flags = fields[5...].map(\.text)
                guard flags.allSatisfy({ $0 == "0" || $0 == "1" }) else {
                    try reject("genres", "genre flags must be 0 or 1: expected 19 flags")
                    continue
                }
                genres = zip(MoviesFormat.ml100kGenres, flags).filter { $0.1 == "1" }.map(\.0)
            } else {
                genres = fields[2].text.isEmpty ? [] : fields[2].text.split(separator: "|").map(String.init)
            }
            records.append(MovieRecord(externalID: id, title: fields[1].text, genres: genres))
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

    /// One field of a record: its decoded text, and why it cannot be kept exactly (see
    /// ``ByteDecoding/textProblem(_:_:_:latin1:)``), if so.
    struct Field: Equatable {
        var text: String
        var problem: String?
    }

    /// One record of a movie or links file: its first line, fields (`nil` when a quote is not closed) and the
    /// record as written (decoded leniently, at most 1,024 bytes).
    struct Record {
        var line: Int
        var fields: [Field]?
        var raw: String
    }

    /// Throws when a line of `bytes` is longer than ``ByteDecoding/maximumLineBytes``, before anything is decoded.
    static func checkLineLengths(_ bytes: [UInt8], file: String) throws {
        var line = 1
        var start = 0
        try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            while start <= buffer.count {
                let end = memchr(base + start, 0x0A, buffer.count - start)
                    .map { UnsafePointer(base).distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? buffer.count
                if end - start > ByteDecoding.maximumLineBytes {
                    throw StoreError(.invalidRow, file: file, line: line, field: "columns",
                                     value: ByteDecoding.excerpt(base, start, end, limit: 200),
                                     reason: "the line is \(end - start) bytes long",
                                     expected: "at most \(ByteDecoding.maximumLineBytes) bytes (1 MiB) per line")
                }
                start = end + 1
                line += 1
            }
        }
    }

    /// Decodes one field's bytes (latin-1 or UTF-8) and checks them; a line feed is allowed when `allowLineFeed`
    /// (a quoted CSV field spanning lines).
    static func field(_ bytes: ArraySlice<UInt8>, latin1: Bool, allowLineFeed: Bool = false) -> Field {
        let text = decode(bytes, latin1: latin1)
        let problem: String? = bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            if allowLineFeed, buffer.contains(0x0A) {
                var start = 0
                for (index, byte) in buffer.enumerated() where byte == 0x0A {
                    if let problem = ByteDecoding.textProblem(base, start, index, latin1: latin1) { return problem }
                    start = index + 1
                }
                return ByteDecoding.textProblem(base, start, buffer.count, latin1: latin1)
            }
            return ByteDecoding.textProblem(base, 0, buffer.count, latin1: latin1)
        }
        return Field(text: text, problem: problem)
    }

    /// Non-blank lines split at `separator`, with their 1-based line numbers.
    static func splitRecords(_ bytes: [UInt8], separator: [UInt8], latin1: Bool) -> [Record] {
        var rows: [Record] = []
        var lineNumber = 0
        for rawLine in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = rawLine.last == 0x0D ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            var fields: [Field] = []
            var start = line.startIndex
            var position = line.startIndex
            while position + separator.count <= line.endIndex {
                if line[position..<(position + separator.count)].elementsEqual(separator) {
                    fields.append(field(line[start..<position], latin1: latin1))
                    position += separator.count
                    start = position
                } else {
                    position += 1
                }
            }
            fields.append(field(line[start..<line.endIndex], latin1: latin1))
            rows.append(Record(line: lineNumber, fields: fields,
                               raw: decode(line.prefix(1024), latin1: latin1)))
        }
        return rows
    }

    /// RFC 4180 records as text (``csvRecords(_:latin1:)`` of the UTF-8 bytes, fields as decoded).
    static func csvRows(_ text: String) -> [(line: Int, fields: [String]?, raw: String)] {
        csvRecords(Array(text.utf8), latin1: false, rawLimit: .max).map { ($0.line, $0.fields?.map(\.text), $0.raw) }
    }

    /// RFC 4180 records: fields separated by commas, `"..."` quoting with `""` for a quote; quoted fields may span
    /// lines. A record whose quote never closes gets `fields == nil`. `raw` is the record as written, without the
    /// carriage returns outside quotes that end a line (at most `rawLimit` bytes); a carriage return before a line
    /// feed (or at the end) is part of the line break, any other one stays in its field. Works on the bytes (every separator is ASCII).
    static func csvRecords(_ bytes: [UInt8], latin1: Bool, rawLimit: Int = 1024) -> [Record] {
        var rows: [Record] = []
        var fields: [Field] = []
        var field: [UInt8] = []
        var raw: [UInt8] = []
        var inQuotes = false
        var line = 1
        var startLine = 1
        func finish(_ bytes: [UInt8]) -> Field { Self.field(bytes[...], latin1: latin1, allowLineFeed: true) }
        func finishRecord() {
            fields.append(finish(field))
            let blank = fields.count == 1 && fields[0].text.trimmingCharacters(in: .whitespaces).isEmpty
            if !blank { rows.append(Record(line: startLine, fields: fields, raw: decode(raw.prefix(rawLimit), latin1: latin1))) }
            fields = []
            field.removeAll(keepingCapacity: true)
            raw.removeAll(keepingCapacity: true)
        }
        let (quote, comma, cr, lf) = (UInt8(ascii: "\""), UInt8(ascii: ","), UInt8(ascii: "\r"), UInt8(ascii: "\n"))
        bytes.withUnsafeBufferPointer { bytes in
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
                        if byte != cr || !(i == bytes.count || bytes[i] == lf) { field.append(byte) }
                    }
                    raw.append(byte)
                    continue
                }
                switch byte {
                case quote where field.isEmpty:
                    inQuotes = true
                    raw.append(byte)
                case comma:
                    fields.append(finish(field))
                    field.removeAll(keepingCapacity: true)
                    raw.append(byte)
                case cr where i == bytes.count || bytes[i] == lf:
                    continue   // a line break; any other carriage return stays in the field (a control character)
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
            rows.append(Record(line: startLine, fields: nil, raw: decode(raw.prefix(rawLimit), latin1: latin1)))
        } else if !field.isEmpty || !fields.isEmpty {
            finishRecord()
        }
        return rows
    }
}
