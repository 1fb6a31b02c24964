import Foundation

/// A MovieLens `links.csv` parsed into memory: for each movie id its IMDb id and TMDb id.
///
/// The header `movieId,imdbId,tmdbId` is required (any letter case). `imdbId` is the IMDb number with or without
/// its `tt` prefix (`0114709`, `tt0114709`), stored as `tt0114709`; `tmdbId` is a number or empty. A movie id
/// listed twice keeps its last row.
///
/// ```swift
/// let links = try ParsedLinks(contentsOf: "links.csv")
/// links.links.first?.imdbID   // "tt0114709"
/// ```
public struct ParsedLinks: Sendable {
    /// The file that was parsed.
    public let file: String
    /// The links in file order (one per movie id).
    public let links: [MovieLinks]
    /// Data rows read (header and blank lines excluded).
    public let rowsRead: Int
    /// Rows skipped under ``ErrorPolicy/skip``.
    public let rejects: [RejectedRow]

    /// Reads and validates a links file.
    /// - Throws: ``StoreError`` for a missing, empty or header-less file, or (under ``ErrorPolicy/abort``) the
    ///   first bad row with its line and field.
    public init(contentsOf path: String, policy: ErrorPolicy = .abort) throws {
        let mapped = try MappedFile(path: path)
        var bytes = withExtendedLifetime(mapped) { Array(mapped.bytes) }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        try MoviesFormat.checkLineLengths(bytes, file: path)
        var records: [MovieLinks] = []
        var rejects: [RejectedRow] = []
        var rowsRead = 0
        var sawHeader = false
        let rows = MoviesFormat.csvRecords(bytes, latin1: false)
        guard let first = rows.first else {
            throw StoreError(.emptyFile, file: path, reason: "the links file is empty",
                             expected: "a header movieId,imdbId,tmdbId and one movie per line")
        }
        let header = first.fields?.map { $0.text.trimmingASCIISpaces().lowercased() } ?? []
        guard header == ["movieid", "imdbid", "tmdbid"] else {
            throw StoreError(.unknownFormat, file: path, line: first.line, value: first.raw,
                             reason: "the first line \(StoreError.quoted(first.raw)) is not a links header",
                             expected: "movieId,imdbId,tmdbId (MovieLens links.csv)")
        }
        for row in rows {
            if !sawHeader { sawHeader = true; continue }
            rowsRead += 1
            func reject(_ field: String, _ reason: String) throws {
                let rejected = RejectedRow(file: path, line: row.line, field: field, reason: reason, raw: row.raw)
                if policy == .abort { throw rejected.error }
                rejects.append(rejected)
            }
            guard let fields = row.fields else { try reject("columns", "a quoted field is not closed"); continue }
            guard fields.count == 3 else {
                try reject("columns", "found \(fields.count) columns: expected 3 (movieId,imdbId,tmdbId)")
                continue
            }
            let id = fields[0].text.trimmingASCIISpaces()
            guard !id.isEmpty else { try reject("movieId", "the movie id is empty: expected a non-empty id"); continue }
            if let problem = fields[0].problem ?? (id.contains("\n") ? "contains a line break" : nil) {
                try reject("movieId", "the movie id \(problem): expected \(ByteDecoding.textExpectation(latin1: false, problem: problem))")
                continue
            }
            let imdbText = fields[1].text.trimmingASCIISpaces()
            let imdb = MovieLinks.canonicalIMDbID(imdbText)
            guard imdbText.isEmpty || imdb != nil else {
                try reject("imdbId", "\(StoreError.quoted(imdbText)) is not an IMDb id: expected digits such as 0114709 or tt0114709")
                continue
            }
            let tmdbText = fields[2].text.trimmingASCIISpaces()
            let tmdb = Int64(tmdbText)
            guard tmdbText.isEmpty || (tmdb != nil && tmdb! >= 0) else {
                try reject("tmdbId", "\(StoreError.quoted(tmdbText)) is not a TMDb id: expected a whole number or nothing")
                continue
            }
            records.append(MovieLinks(externalID: id, imdbID: imdb, tmdbID: tmdb))
        }
        var lastIndex: [String: Int] = [:]
        for (index, record) in records.enumerated() { lastIndex[record.externalID] = index }
        self.file = path
        self.links = records.enumerated().filter { lastIndex[$0.element.externalID] == $0.offset }.map(\.element)
        self.rowsRead = rowsRead
        self.rejects = rejects
    }
}
