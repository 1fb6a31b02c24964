import ArgumentParser
import Foundation
import MovieRecModel
import MovieRecStore

/// Options of every command that uses the saved model.
struct ModelOptions: ParsableArguments {
    /// Retrain (with the saved model's parameters, else the defaults) and save when there is no model or it is stale.
    @Flag(name: .long, help: "Train and save a model first when there is none or it is stale.")
    var trainIfNeeded = false

    /// Use a stale model anyway, when it still fits the users and films.
    @Flag(name: .long, help: "Use a stale model anyway (only when only rating values changed since training).")
    var allowStale = false
}

/// The store, its ratings and the trained model a command works on, with the id ↔ index maps for printing.
struct ModelSession {
    /// The database.
    let store: RatingStore
    /// The ratings the model is used with.
    let snapshot: RatingsSnapshot   // ids and fingerprint only: the model holds the ratings
    /// The saved model's metadata.
    let info: ModelInfo
    /// The restored model.
    let model: TrainedModel
    private let userIndexByExternalID: [String: Int]
    private let movieIndexByExternalID: [String: Int]

    /// Loads the ratings and the latest model of the database at `path`.
    ///
    /// - No model, or a stale one: throws ``CommandError`` (`.noModel`, `.staleModel`) saying to run
    ///   `movierec train`, unless `options.trainIfNeeded` (trains and saves first) or, for a stale but
    ///   restorable model, `options.allowStale` (uses it, with a warning on stderr).
    /// - A damaged model, or one saved by another version of movierec: throws the ``StoreError`` that says so,
    ///   unless `options.trainIfNeeded`.
    /// - `progress` receives the training stages when it trains; warnings go to stderr.
    /// ``open(path:options:progress:)`` for a command: the database of `database`, with the training stages (when
    /// it trains) shown on one stderr line unless `output` is quiet or stderr is not a terminal.
    static func open(_ database: DatabaseOptions, _ model: ModelOptions, _ output: OutputOptions) throws -> ModelSession {
        let line = StageLine(enabled: stderrIsTerminal && !output.quiet)
        defer { line.finish() }
        return try open(path: database.resolvedPath, options: model, progress: line.show)
    }

    static func open(path: String, options: ModelOptions, progress: (String) -> Void) throws -> ModelSession {
        let store = try RatingStore(path: path, createIfMissing: false)
        let repository = try ModelRepository(store: store)
        let snapshot = try store.ratingsSnapshot()
        do {
            guard let info = try repository.latestInfo() else {
                guard options.trainIfNeeded else {
                    throw CommandError(.noModel, "\(path) has no trained model yet: run `movierec train` first "
                                       + "(or pass --train-if-needed)")
                }
                return try train(store: store, repository: repository, snapshot: snapshot,
                                 parameters: ModelParameters(), capRank: true, progress: progress)
            }
            if let staleness = info.staleness(against: snapshot.fingerprint) {
                if options.trainIfNeeded {
                    printError("\(staleness): retraining")
                    return try train(store: store, repository: repository, snapshot: snapshot,
                                     parameters: info.header.parameters, capRank: true, progress: progress)
                }
                guard options.allowStale else {
                    throw CommandError(.staleModel, "\(staleness): run `movierec train` (or pass --train-if-needed, "
                                       + "or --allow-stale to use it anyway)")
                }
                guard staleness.isRestorable else {
                    throw CommandError(.staleModel, "\(staleness), and the users, films or number of ratings "
                                       + "changed, so it cannot be used even with --allow-stale: run `movierec train`")
                }
                printError("warning: \(staleness); using it because of --allow-stale")
            }
            let model = try repository.load(info, ratings: snapshot.table, fingerprint: snapshot.fingerprint)
            return ModelSession(store: store, snapshot: snapshot.identifiersOnly, info: info, model: model)
        } catch let error as StoreError where error.concernsSavedModel && options.trainIfNeeded {
            printError("\(error): retraining")
            return try train(store: store, repository: repository, snapshot: snapshot,
                             parameters: ModelParameters(), capRank: true, progress: progress)
        }
    }

    /// Trains on `snapshot` with `parameters`, saves the model and returns the session. With `capRank` the rank
    /// is lowered to `min(users, films)` when the data is that small (a default rank on a tiny data set).
    ///
    /// `snapshot` is consumed: its rating columns are released once the model has built its own sparse matrices
    /// (pass it with `consume` so training does not hold two copies of the ratings).
    static func train(store: RatingStore, repository: ModelRepository, snapshot: consuming RatingsSnapshot,
                      parameters requested: ModelParameters, capRank: Bool,
                      progress: (String) -> Void) throws -> ModelSession {
        var parameters = requested
        if capRank {
            parameters.rank = max(1, min(parameters.rank, snapshot.fingerprint.users, snapshot.fingerprint.movies))
        }
        let clock = ContinuousClock()
        let started = clock.now
        let identifiers = snapshot.identifiersOnly
        let data = snapshot.table.ratingData
        _ = consume snapshot
        let model = try Model.train(data: consume data, parameters: parameters) { stage in
            progress("training: \(describe(stage))")
        }
        let info = try repository.save(model, trainedOn: identifiers.fingerprint, trainingSeconds: seconds(since: started))
        return ModelSession(store: store, snapshot: identifiers, info: info, model: model)
    }

    private init(store: RatingStore, snapshot: RatingsSnapshot, info: ModelInfo, model: TrainedModel) {
        self.store = store
        self.snapshot = snapshot
        self.info = info
        self.model = model
        userIndexByExternalID = Dictionary(snapshot.table.userExternalIDs.enumerated().map { ($1, $0) },
                                           uniquingKeysWith: { first, _ in first })
        movieIndexByExternalID = Dictionary(snapshot.table.movieExternalIDs.enumerated().map { ($1, $0) },
                                            uniquingKeysWith: { first, _ in first })
    }

    // MARK: - Ids and titles

    /// The dense index of the user with this external id.
    func userIndex(externalID: String) -> Int? { userIndexByExternalID[externalID] }

    /// The dense index of the film with this external id.
    func movieIndex(externalID: String) -> Int? { movieIndexByExternalID[externalID] }

    /// The dense index of the film with this database id.
    func movieIndex(databaseID: Int64) -> Int? {
        let ids = snapshot.table.movieIDs
        var (low, high) = (0, ids.count)
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < databaseID { low = middle + 1 } else { high = middle }
        }
        return low < ids.count && ids[low] == databaseID ? low : nil
    }

    /// The external id of user `index`.
    func userID(_ index: Int) -> String { snapshot.table.userExternalIDs[index] }

    /// The external id of film `index`.
    func movieID(_ index: Int) -> String { snapshot.table.movieExternalIDs[index] }

    /// Display titles of the films `indices` (``MovieInfo/displayTitle``), by index.
    func titles(_ indices: [Int]) throws -> [Int: String] {
        let databaseIDs = indices.map { snapshot.table.movieIDs[$0] }
        let movies = try store.movies(internalIDs: databaseIDs)
        var result: [Int: String] = [:]
        for (index, id) in zip(indices, databaseIDs) {
            result[index] = movies[id]?.displayTitle ?? "movie \(movieID(index))"
        }
        return result
    }

    /// A short hint listing some valid user ids, for "unknown user" messages.
    var userIDHint: String {
        let ids = snapshot.table.userExternalIDs
        guard !ids.isEmpty else { return "the database has no users: import ratings with `movierec import`" }
        let shown = ids.count <= 6 ? ids.joined(separator: ", ")
            : ids.prefix(4).joined(separator: ", ") + ", …, " + ids[ids.count - 1]
        return "user ids in \(store.path): \(shown) (\(groupedDigits(ids.count)) users; `movierec stats` shows the counts)"
    }
}

/// What a training stage does, in words.
func describe(_ stage: TrainingStage) -> String {
    switch stage {
    case .indexing: return "indexing ratings"
    case .baseline: return "fitting the baseline (μ, b_u, b_i)"
    case .watchFactors: return "truncated SVD of the watch matrix"
    case .latentFactors: return "truncated SVD of the residuals"
    case .blendFitting: return "fitting the blend weights on a validation slice"
    }
}

/// Seconds elapsed on `ContinuousClock` since `start`.
func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

extension RatingsSnapshot {
    /// The same snapshot without its per-rating columns: what a session needs once the model holds the ratings.
    var identifiersOnly: RatingsSnapshot {
        let t = table
        return RatingsSnapshot(
            table: RatingTable(userIDs: t.userIDs, userExternalIDs: t.userExternalIDs, movieIDs: t.movieIDs,
                               movieExternalIDs: t.movieExternalIDs, userIndex: [], movieIndex: [], rating: [], timestamp: []),
            fingerprint: fingerprint)
    }
}
