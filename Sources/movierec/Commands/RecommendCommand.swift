import ArgumentParser
import Foundation
import MovieRecModel
import MovieRecService
import MovieRecStore

/// `movierec recommend`: the top-N films for a user of the database or a new user's ratings file.
struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "Recommend films a user has not rated, with predicted ratings and (optionally) why.",
        discussion: """
            USER is a user id of the database. A new user is given with --ratings FILE instead, folded into the \
            model without retraining: movie,rating lines (movies by id or title, with or without the year; a \
            header is optional), an IMDb ratings export or a Letterboxd ratings.csv. Lines that match no film or \
            several are skipped and listed (--strict: an error); `movierec match FILE` shows how each matched.

            Filters apply before the top-N cut: --count N gives N films that pass them when that many exist.

            Examples:
              movierec recommend 414 --count 5 --explain
              movierec recommend --ratings letterboxd-ratings.csv --json
              movierec recommend 414 --genre Comedy --year 1990..1999
              movierec recommend --all --count 10 --out top10.csv
            """
    )

    @Argument(help: ArgumentHelp("A user id of the database (or a new user's ratings file).", valueName: "user"))
    var user: String?

    @Option(help: ArgumentHelp("A new user's ratings file instead of USER: movie,rating lines (ids or titles), an IMDb "
                               + "export or a Letterboxd ratings.csv.", valueName: "file"))
    var ratings: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("How many films to recommend (at least 1).", valueName: "N"))
    var count = 10

    @Option(name: .customLong("genre"),
            help: ArgumentHelp("Only films of this genre (repeat for any of several).", valueName: "genre"))
    var genres: [String] = []

    @Option(help: ArgumentHelp("Only films released in these years: 1990..1999, 1995, 1990.. or ..1999.",
                               valueName: "from..to"))
    var year: String?

    @Option(help: ArgumentHelp("Leave out these films: comma-separated ids, or a file of films (ids or titles, or "
                               + "a ratings file). Repeatable.", valueName: "file|ids"))
    var exclude: [String] = []

    @Flag(help: "Also recommend films the user has rated.")
    var includeRated = false

    @Flag(help: "With --ratings: a line that matches no film or several is an error instead of skipped.")
    var strict = false

    @Flag(help: "Recommend for every user of the database at once (batched, both cores); needs --out.")
    var all = false

    @Option(help: ArgumentHelp("With --all: write user,rank,movie,score rows to this file (CSV; JSON lines when it ends in .jsonl).", valueName: "file"))
    var out: String?

    @Flag(help: "Explain each film: the similar users and your rated films that contribute most to its ranking score.")
    var explain = false

    @Option(help: ArgumentHelp("Leave out films predicted below this rating (default: your mean rating or the overall mean, whichever is higher, minus a ninth of the rating scale, half a star on 0.5–5; 0 turns the filter off).", valueName: "R"))
    var minPredicted: Float?

    @OptionGroup var model: ModelOptions
    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    /// What `recommend --json` prints (the service's result, which the server sends too).
    typealias Report = RecommendationList

    func validate() throws {
        if all {
            guard user == nil, ratings == nil, out != nil, !explain else {
                throw ValidationError("--all takes no USER or --ratings, no --explain, and needs --out FILE.")
            }
            guard genres.isEmpty, year == nil, exclude.isEmpty, !includeRated else {
                throw ValidationError("--all takes no filters (--genre, --year, --exclude, --include-rated).")
            }
        } else {
            guard out == nil else { throw ValidationError("--out is only for --all.") }
            guard (user == nil) != (ratings == nil) else {
                throw ValidationError("Give either a USER id or --ratings FILE (one of them).")
            }
        }
        try validateCount(count)
        if let year { _ = try RecommendationFilter.years(year) }
        if let minPredicted, !(minPredicted.isFinite && minPredicted >= 0) {
            throw ValidationError("--min-predicted must be a rating ≥ 0 (0 turns the filter off).")
        }
    }

    func run() throws {
        let session = try ModelSession.open(database, model, output)
        if all, let out {
            let summary = try Self.writeAll(session, count: count, floor: floor, to: out)
            if output.json {
                try printJSON(summary)
            } else {
                print(String(format: "Wrote the top %d of %d users to %@ in %.2f s (%.4f ms per user).", count,
                             summary.users, out, summary.seconds, summary.seconds * 1000 / Double(max(summary.users, 1))))
            }
            return
        }
        let resolved = try ratings.map { try session.newUser(ratingsFile: $0, strict: strict, warn: printError) }
            ?? session.resolveUser(user ?? "", strict: strict, warn: printError)
        let filter = try session.candidates(for: FilterRequest(genres: genres, years: year, exclude: exclude,
                                                               includeRated: includeRated, allowsFiles: true),
                                            warn: printError)
        let candidates = filter.candidates
        let unmatched = resolved.personal == nil && filter.unmatched.isEmpty ? nil
            : (resolved.unmatchedLines ?? []) + filter.unmatched
        let report = try Self.report(session, user: resolved, count: count, explain: explain, candidates: candidates,
                                     floor: floor, unmatched: unmatched)
        if output.json {
            try printJSON(report)
            return
        }
        print("Recommendations for \(resolved.summary):")
        print(Self.render(report))
    }

    /// The rating floor of `--min-predicted`.
    var floor: RatingFloor {
        guard let minPredicted else { return .automatic }
        return minPredicted == 0 ? .off : .minimum(minPredicted)
    }

    /// What `recommend --all --json` prints.
    struct AllSummary: Encodable {
        /// Users written.
        let users: Int
        /// Rows written (users × up to `count`).
        let rows: Int
        /// Seconds for ranking (not writing).
        let seconds: Double
        /// The output file.
        let file: String
    }

    /// Ranks every user's unseen films in batch and writes `user,rank,movie,score` rows (CSV, or JSON lines for a
    /// `.jsonl` file) in user order, written to a temporary file and renamed into place.
    static func writeAll(_ session: ModelSession, count: Int, floor: RatingFloor = .automatic,
                         to path: String) throws -> AllSummary {
        let start = DispatchTime.now().uptimeNanoseconds
        let lists = Recommender(model: session.model).topNForAllUsers(count: min(count, session.model.movieCount),
                                                                      floor: floor)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let jsonLines = path.hasSuffix(".jsonl")
        var text = jsonLines ? "" : "user,rank,movie,score\n"
        var rows = 0
        func csvField(_ value: String) -> String {
            value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
        }
        for (user, list) in lists.enumerated() {
            let userID = session.userID(user)
            if jsonLines {
                let movies = list.map { #"{"movie":"# + jsonString(session.movieID($0.movie)) + #","score":\#($0.score)}"# }
                text += #"{"user":"# + jsonString(userID) + #","recommendations":["# + movies.joined(separator: ",") + "]}\n"
            } else {
                for (rank, entry) in list.enumerated() {
                    text += "\(csvField(userID)),\(rank + 1),\(csvField(session.movieID(entry.movie))),\(entry.score)\n"
                }
            }
            rows += list.count
        }
        let url = URL(fileURLWithPath: path)
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw CommandError(.unwritableOutput, file: path, "cannot write the recommendations: \(error.localizedDescription)")
        }
        return AllSummary(users: lists.count, rows: rows, seconds: seconds, file: path)
    }

    /// `value` as a JSON string literal.
    private static func jsonString(_ value: String) -> String {
        let data = (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The top `count` films for `user` among `candidates`, with reasons when `explain`.
    static func report(_ session: ModelSession, user: ResolvedUser, count: Int, explain: Bool,
                       candidates: CandidateFilter = .unrated, floor: RatingFloor = .automatic,
                       unmatched: [UnmatchedLine]? = nil) throws -> Report {
        try session.recommendations(for: user, count: count, explain: explain, candidates: candidates, floor: floor,
                                    unmatched: unmatched)
    }

    /// The report as a table; reasons as indented "because" lines under each film.
    static func render(_ report: Report) -> String {
        guard !report.recommendations.isEmpty else {
            return "  (no film left that the user has not rated, that passes the filters and that the model predicts "
                + "at or above the rating floor; --min-predicted 0 turns the floor off)"
        }
        var table = TextTable([("#", .right), ("title", .left), ("predicted", .left), ("score", .right)])
        for (rank, item) in report.recommendations.enumerated() {
            table.append(["\(rank + 1)", item.title, "\(fixed(item.predictedRating, 1)) \(stars(item.predictedRating))",
                          fixed(item.score, 3)])
            var reasons = (item.because ?? []).prefix(3).map(\.text)
            if let supporters = item.supporters, let share = item.supportShare, supporters > 0 {
                let films = (item.ratedMovieShare ?? 0) > 0
                    ? "; films you rated like it: \(fixed((item.ratedMovieShare ?? 0) * 100, 0)) %" : ""
                reasons.append("in all \(supporters) similar user\(supporters == 1 ? "" : "s") rated it: "
                               + "\(fixed(share * 100, 0)) % of this pick\(films); the rest is your viewing profile "
                               + "(watch SVD)")
            }
            table.note(reasons.enumerated().map { ($0 == 0 ? "because " : "        ") + $1 })
        }
        return table.render()
    }
}
