import ArgumentParser
import Foundation
import MovieRecPostgres
import MovieRecEvaluation
import MovieRecModel
import MovieRecService
import MovieRecStore

/// `movierec train`: fits the model on every rating of the database and saves it there.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train the recommender on the database's ratings and save the model in it.",
        discussion: """
            Fits the baseline μ + b_u + b_i, a rank-K truncated SVD of the residuals (the latent tastes) and the \
            watch factors used for ranking; the same data and seed give an identical model. The model records the \
            ratings version it was trained on: after a new import the other commands report it as stale.

            With --ratings-source the ratings currently in PostgreSQL (the table `serve --ratings-source` writes) \
            first replace the database's ratings: one consistent snapshot, applied in one SQLite transaction \
            (ratings it lacks are removed, changed ones updated, new ones added; movie titles stay; if PostgreSQL \
            fails nothing changes). The counts are printed on stderr (with --json also under "ratingsSource", the \
            fields of `import --json`). With --publish the model then goes to every \
            replica.

            Examples:
              movierec train --db movies.sqlite
              movierec train --rank 2 --baseline none --json
              movierec train --plot spectrum.svg
              movierec train --ratings-source postgresql://app@db:5432/site \\
                  --publish postgresql://app@db:5432/site
            """
    )

    @Option(help: ArgumentHelp("Rank K of the truncated SVD (number of latent tastes; default \(ModelParameters().rank), "
                               + "at most the number of users and of films).", valueName: "K"))
    var rank: Int?

    @Option(help: ArgumentHelp("bias: regularised μ + b_u + b_i; none: plain SVD of the raw ratings.", valueName: "mode"))
    var baseline = ModelParameters().baselineMode

    @Option(help: ArgumentHelp("Seed of the randomized SVD.", valueName: "S"))
    var seed = ModelParameters().seed

    @Flag(help: "Fit the blend weights α by least squares on a held-out 10 % of the ratings (a second training run).")
    var fitBlend = false

    @Option(help: ArgumentHelp("Draw the singular-value spectrum as an SVG bar chart in this file.", valueName: "file.svg"))
    var plot: String?

    @Option(help: ArgumentHelp("Publish the trained model to this postgresql://USER@HOST:PORT/DB for every "
                               + "`serve --ratings-source` replica (password from PGPASSWORD or ~/.pgpass).",
                               valueName: "url"))
    var publish: String?

    @Option(help: ArgumentHelp("Train on the ratings currently in this postgresql://USER@HOST:PORT/DB: they replace "
                               + "the database's ratings first (password from PGPASSWORD or ~/.pgpass; "
                               + "?sslmode=require for TLS).", valueName: "url"))
    var ratingsSource: String?

    @Option(help: ArgumentHelp("The ratings table in --ratings-source (columns user_id, movie_id, rating, rated_at, "
                               + "as `serve --ratings-source` writes them).", valueName: "table"))
    var ratingsTable = "ratings"

    @Option(help: ArgumentHelp("With --ratings-source: abort (default): a bad row stops before anything changes; "
                               + "skip: skip bad rows (their pairs are removed too).", valueName: "policy"))
    var onError = ErrorPolicy.abort

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    /// What `train --json` prints.
    typealias Report = TrainReport

    func validate() throws {
        if ratingsSource == nil && onError != .abort {
            throw ValidationError("--on-error goes with --ratings-source.")
        }
    }

    func run() throws {
        var parameters = ModelParameters()
        parameters.rank = rank ?? parameters.rank
        parameters.baselineMode = baseline
        parameters.seed = seed
        parameters.fitsBlend = fitBlend
        let snapshot = try ratingsSource.map { try takeRatings(from: $0) }
        Self.returnLargeFreedBlocksToTheSystem()
        let line = StageLine(enabled: stderrIsTerminal && !output.quiet)
        defer { line.finish() }
        line.show("loading ratings")
        let session = try ModelSession.train(databasePath: database.resolvedPath, parameters: parameters,
                                             progress: line.show)
        line.finish()
        let report = Self.report(session)
        if let publish {
            let location = try PostgresLocation(publish)
            let path = database.resolvedPath
            let published = try runBlocking { try await ModelPublication.publish(databasePath: path, to: location) }
            printError("Published model version \(published.version) (\(groupedDigits(published.bytes)) bytes in "
                       + "\(published.chunks) chunks) to \(location)")
        }
        if let plot {
            let title = "Singular values of the residual matrix (rank \(report.rank), \(groupedDigits(report.ratings)) ratings)"
            try SVGChart.spectrum(singularValues: report.singularValues, title: title).render()
                .write(toFile: plot, atomically: true, encoding: .utf8)
        }
        if output.json {
            try printJSON(JSONOutput(report: report, ratingsSource: snapshot))
            return
        }
        print(Self.render(report))
    }

    /// Replaces the database's ratings with a snapshot of `--ratings-table` at `url` (an import in replace mode),
    /// reports the counts on stderr and returns them.
    private func takeRatings(from url: String) throws -> ImportSummary {
        let location = try PostgresLocation(url)
        let query = try PostgresRatingsQuery(table: ratingsTable, query: nil)
        let showsProgress = stderrIsTerminal && !output.quiet
        let exported = try PostgresImport.export(from: location, query: query, showsProgress: showsProgress)
        defer { exported.remove() }
        let options = PostgresImport.options(for: query, ImportOptions(onError: onError, mode: .replace))
        let summary = try PostgresImport.importRatings(file: exported.path, exported: exported, into: database.resolvedPath,
                                                       options: options, showsProgress: showsProgress)
        PostgresImport.reportRejects(of: summary)
        printError(String(format: "Took %@ ratings from %@ in %.2f s: %@ kept, %@ updated, %@ added, %@ removed, "
                          + "%@ skipped; %@ now holds %@ ratings (ratings version %lld)",
                          groupedDigits(exported.rows), exported.source, exported.seconds + summary.seconds,
                          groupedDigits(summary.unchanged), groupedDigits(summary.updated), groupedDigits(summary.inserted),
                          groupedDigits(summary.removed), groupedDigits(summary.skipped), summary.database,
                          groupedDigits(summary.ratings), summary.ratingsVersion))
        return summary
    }

    /// What `train --json` prints: the fields of ``TrainReport``, and with --ratings-source the snapshot's
    /// ``ImportSummary`` (the fields of `import --json`: inserted, updated, unchanged, removed, skipped, …) under
    /// `ratingsSource`.
    struct JSONOutput: Encodable {
        /// The trained model.
        let report: Report
        /// The import of the --ratings-source snapshot (nil without one: the key is left out).
        let ratingsSource: ImportSummary?

        private enum CodingKeys: String, CodingKey { case ratingsSource }

        /// Writes the report's keys and `ratingsSource` side by side in one object.
        func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(ratingsSource, forKey: .ratingsSource)
        }
    }

    /// On Linux, makes glibc serve every allocation of 1 MiB or more with its own mapping, returned to the system
    /// as soon as it is freed.
    ///
    /// By default glibc raises that threshold up to 32 MiB after large blocks are freed, so later arrays of a few
    /// MiB (the films' factor blocks of each SVD step) come from the heap and stay resident once freed: at
    /// 25 M ratings, rank 64, that kept 30–50 MiB more at the training peak. Costs no measurable time.
    static func returnLargeFreedBlocksToTheSystem() {
        #if canImport(Glibc)
        // `mallopt` is declared in <malloc.h>, which Swift's Glibc module does not import: found by name instead.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mmapThreshold: Int32 = -3   // M_MMAP_THRESHOLD in <malloc.h>
        guard let symbol = dlsym(nil, "mallopt") else { return }   // nil: RTLD_DEFAULT
        _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, 1 << 20)
        #endif
    }

    /// The report of a freshly trained session.
    static func report(_ session: ModelSession) -> Report { session.trainReport }

    /// The text form of `report`.
    static func render(_ report: Report) -> String {
        let values = report.singularValues.map { fixed($0, 4) }
        let shown = values.count <= 8 ? values.joined(separator: ", ")
            : values.prefix(8).joined(separator: ", ") + ", … (\(values.count))"
        return """
            Trained a rank-\(report.rank) model (baseline \(report.baseline), seed \(report.seed)) on \
            \(groupedDigits(report.ratings)) ratings of \(groupedDigits(report.users)) users and \
            \(groupedDigits(report.movies)) films in \(String(format: "%.2f", report.seconds)) s
              singular values: \(shown)
              blend α (svd, user, film): \(report.blend.map { fixed($0, 3) }.joined(separator: ", "))
              saved in \(report.database) (ratings version \(report.ratingsVersion))
            """
    }
}
