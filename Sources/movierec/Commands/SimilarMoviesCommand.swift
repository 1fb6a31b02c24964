import ArgumentParser
import Foundation
import MovieRecModel
import MovieRecStore

/// `movierec similar-movies`: the films nearest to a film in latent space.
struct SimilarMoviesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "similar-movies",
        abstract: "List the films nearest to a film in latent space (by id or title).",
        discussion: """
            MOVIE is a film id of the imported files, a title (ignoring case, the year and the article: "matrix" \
            and "The Matrix" find "Matrix, The (1999)"), or a part of a title that matches one film; an ambiguous \
            title lists the candidates.

            Examples:
              movierec similar-movies 260
              movierec similar-movies "matrix" --count 5 --json
            """
    )

    @Argument(help: ArgumentHelp("A film id or title.", valueName: "movie"))
    var movie: String

    @Option(parsing: .unconditional, help: ArgumentHelp("How many films to list.", valueName: "N"))
    var count = 10

    @OptionGroup var model: ModelOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    /// One near film.
    struct NearFilm: Encodable {
        /// The film's id.
        let movie: String
        /// Its title.
        let title: String
        /// Latent cosine to the query film.
        let cosine: Float
    }

    /// What `similar-movies --json` prints.
    struct Report: Encodable {
        /// The query film's id.
        let movie: String
        /// Its title.
        let title: String
        /// Nearest first; never the film itself.
        let similar: [NearFilm]
    }

    func validate() throws {
        try validateCount(count)
    }

    func run() throws {
        let session = try ModelSession.open(database, model, output)
        let index = try Self.resolveMovie(movie, in: session)
        let report = try Self.report(session, movie: index, count: count)
        if output.json {
            try printJSON(report)
            return
        }
        print("Films nearest to \(report.title) (id \(report.movie)):")
        print(Self.render(report))
    }

    /// The dense index of the film named by `argument` (external id, exact title, or a unique title part).
    ///
    /// - Throws: ``CommandError`` `.unknownMovie` when nothing matches, `.ambiguousMovie` listing the candidates.
    static func resolveMovie(_ argument: String, in session: ModelSession) throws -> Int {
        var matches = try session.store.findMovies(matching: argument)
        let core = plainTitle(argument)
        if core != argument.lowercased() && !core.isEmpty {
            // "The Matrix" is stored as "Matrix, The (1999)": search for the title without article and year too.
            let known = Set(matches.map(\.id))
            matches += try session.store.findMovies(matching: core).filter { !known.contains($0.id) }
        }
        guard !matches.isEmpty else {
            throw CommandError(.unknownMovie, "unknown movie \"\(argument)\": no film has this id, and no title "
                               + "contains it (try a shorter part of the title; `movierec stats` lists the most-rated films)")
        }
        let named = matches.filter { plainTitle($0.title ?? "") == core }
        guard let movie = matches.count == 1 ? matches.first : named.count == 1 ? named.first : nil else {
            var table = TextTable([("id", .right), ("title", .left)])
            matches.prefix(10).forEach { table.append([$0.externalID, $0.displayTitle]) }
            let more = matches.count > 10 ? "\n  … and \(matches.count - 10) more" : ""
            throw CommandError(.ambiguousMovie, "\"\(argument)\" matches \(matches.count) films; give one of these ids:\n"
                               + table.render() + more)
        }
        guard let index = session.movieIndex(databaseID: movie.id) else {
            throw CommandError(.unknownMovie, "film \(movie.externalID) was added after the model was loaded")
        }
        guard !session.model.ratings.movieRange(index).isEmpty else {
            throw CommandError(.unknownMovie, "\(movie.displayTitle) (id \(movie.externalID)) has no ratings, "
                               + "so the model knows nothing about it")
        }
        return index
    }

    /// A title reduced for matching: lower case, without a trailing `(year)` and without a leading or trailing
    /// English article (`Matrix, The (1999)` and `The Matrix` → `matrix`).
    static func plainTitle(_ title: String) -> String {
        var text = title.trimmingCharacters(in: .whitespaces).lowercased()
        if let range = text.range(of: #"\s*\(\d{4}\)$"#, options: .regularExpression) { text.removeSubrange(range) }
        for article in ["the", "a", "an"] {
            if text.hasSuffix(", \(article)") { text = String(text.dropLast(article.count + 2)) }
            if text.hasPrefix("\(article) ") { text = String(text.dropFirst(article.count + 1)) }
        }
        return text
    }

    /// The `count` films nearest to film `movie`.
    static func report(_ session: ModelSession, movie: Int, count: Int) throws -> Report {
        let similar = try session.model.mostSimilarMovies(to: movie, count: min(count, session.model.movieCount))
        let titles = try session.titles([movie] + similar.map(\.movie))
        return Report(movie: session.movieID(movie), title: titles[movie] ?? "",
                      similar: similar.map { NearFilm(movie: session.movieID($0.movie), title: titles[$0.movie] ?? "",
                                                      cosine: $0.cosine) })
    }

    /// The report as a table.
    static func render(_ report: Report) -> String {
        var table = TextTable([("#", .right), ("id", .left), ("title", .left), ("cosine", .right)])
        for (rank, film) in report.similar.enumerated() {
            table.append(["\(rank + 1)", film.movie, film.title, fixed(film.cosine, 4)])
        }
        return table.render()
    }
}
