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

            Examples:
              movierec train --db movies.sqlite
              movierec train --rank 2 --baseline none --json
              movierec train --plot spectrum.svg
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

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var output: OutputOptions

    /// What `train --json` prints.
    typealias Report = TrainReport

    func run() throws {
        var parameters = ModelParameters()
        parameters.rank = rank ?? parameters.rank
        parameters.baselineMode = baseline
        parameters.seed = seed
        parameters.fitsBlend = fitBlend
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
            try printJSON(report)
            return
        }
        print(Self.render(report))
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
