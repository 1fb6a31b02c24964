import Foundation
import MovieRecModel
import MovieRecStore

/// How a front end treats a missing or stale model when it opens a database.
public struct ModelPolicy: Sendable, Equatable {
    /// Retrain (with the saved model's parameters, else the defaults) and save when there is no model, it is
    /// stale, or it cannot be read.
    public var trainIfNeeded: Bool
    /// Use a stale model anyway when it still fits the users and films (only rating values changed).
    public var allowStale: Bool

    /// A policy; the default refuses a missing or stale model.
    public init(trainIfNeeded: Bool = false, allowStale: Bool = false) {
        self.trainIfNeeded = trainIfNeeded
        self.allowStale = allowStale
    }
}

/// The store, its ratings' ids and the trained model a front end works on, with the id ↔ index maps.
///
/// An immutable value: a retrained model is a new session (see ``ModelHost`` for the server's atomic swap).
public struct ModelSession: Sendable {
    /// The database.
    public let store: RatingStore
    /// The ids and fingerprint of the ratings the model is used with (the model holds the ratings themselves).
    public let snapshot: RatingsSnapshot
    /// The saved model's metadata.
    public let info: ModelInfo
    /// The restored or trained model.
    public let model: TrainedModel
    /// Titles, years, genres and popularity of every film, when loaded with ``withCatalogue()``; titles are then
    /// read from memory instead of the database.
    public private(set) var catalogue: Catalogue?
    private let userIndexByExternalID: [String: Int]
    private let movieIndexByExternalID: [String: Int]

    /// Loads the ratings and the latest model of the database at `path`.
    ///
    /// - No model, or a stale one: throws ``ServiceError`` (`.noModel`, `.staleModel`) saying to run
    ///   `movierec train`, unless `policy.trainIfNeeded` (trains and saves first) or, for a stale but restorable
    ///   model, `policy.allowStale` (uses it, with a warning).
    /// - A damaged model, or one saved by another version of movierec: throws the ``StoreError`` that says so,
    ///   unless `policy.trainIfNeeded`.
    /// - `progress` receives the training stages when it trains; `warn` receives warnings (retraining, stale use).
    public static func open(path: String, policy: ModelPolicy, progress: (String) -> Void = { _ in },
                            warn: (String) -> Void = { _ in }) throws -> ModelSession {
        let store = try RatingStore(path: path, createIfMissing: false)
        let repository = try ModelRepository(store: store)
        let snapshot = try store.ratingsSnapshot()
        do {
            guard let info = try repository.latestInfo() else {
                guard policy.trainIfNeeded else {
                    throw ServiceError(.noModel, "\(path) has no trained model yet: run `movierec train` first "
                                       + "(or pass --train-if-needed)")
                }
                return try train(store: store, repository: repository, snapshot: snapshot,
                                 parameters: ModelParameters(), progress: progress)
            }
            if let staleness = info.staleness(against: snapshot.fingerprint) {
                if policy.trainIfNeeded {
                    warn("\(staleness): retraining")
                    return try train(store: store, repository: repository, snapshot: snapshot,
                                     parameters: info.header.parameters, progress: progress)
                }
                guard policy.allowStale else {
                    throw ServiceError(.staleModel, "\(staleness): run `movierec train` (or pass --train-if-needed, "
                                       + "or --allow-stale to use it anyway)")
                }
                guard staleness.isRestorable else {
                    throw ServiceError(.staleModel, "\(staleness), and the users, films or number of ratings "
                                       + "changed, so it cannot be used even with --allow-stale: run `movierec train`")
                }
                warn("warning: \(staleness); using it because of --allow-stale")
            }
            let model = try repository.load(info, ratings: snapshot.table, fingerprint: snapshot.fingerprint)
            return ModelSession(store: store, snapshot: snapshot.identifiersOnly, info: info, model: model)
        } catch let error as StoreError where error.concernsSavedModel && policy.trainIfNeeded {
            warn("\(error): retraining")
            return try train(store: store, repository: repository, snapshot: snapshot,
                             parameters: ModelParameters(), progress: progress)
        }
    }

    /// Loads the ratings of the database at `path`, trains with `parameters`, saves the model and returns the
    /// session. The model lowers a rank above `min(users, films)` to that (``TrainedModel/parameters`` holds
    /// the rank used).
    public static func train(databasePath path: String, parameters: ModelParameters,
                             progress: (String) -> Void = { _ in }) throws -> ModelSession {
        let store = try RatingStore(path: path, createIfMissing: false)
        let repository = try ModelRepository(store: store)
        let snapshot = try store.ratingsSnapshot()
        return try train(store: store, repository: repository, snapshot: consume snapshot, parameters: parameters,
                         progress: progress)
    }

    /// Trains on `snapshot` with `parameters`, saves the model and returns the session.
    ///
    /// `snapshot` is consumed: its rating columns are released once the model has built its own sparse matrices
    /// (pass it with `consume` so training does not hold two copies of the ratings).
    public static func train(store: RatingStore, repository: ModelRepository, snapshot: consuming RatingsSnapshot,
                             parameters: ModelParameters, progress: (String) -> Void) throws -> ModelSession {
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

    /// The same session with every film's title, year, genres and rating count in memory (``catalogue``).
    public func withCatalogue() throws -> ModelSession {
        var copy = self
        copy.catalogue = try Catalogue(session: self)
        return copy
    }

    // MARK: - Ids and titles

    /// The dense index of the user with this external id.
    public func userIndex(externalID: String) -> Int? { userIndexByExternalID[externalID] }

    /// The dense index of the film with this external id.
    public func movieIndex(externalID: String) -> Int? { movieIndexByExternalID[externalID] }

    /// The dense index of the film with this database id.
    public func movieIndex(databaseID: Int64) -> Int? {
        let ids = snapshot.table.movieIDs
        var (low, high) = (0, ids.count)
        while low < high {
            let middle = (low + high) / 2
            if ids[middle] < databaseID { low = middle + 1 } else { high = middle }
        }
        return low < ids.count && ids[low] == databaseID ? low : nil
    }

    /// The external id of user `index`.
    public func userID(_ index: Int) -> String { snapshot.table.userExternalIDs[index] }

    /// The external id of film `index`.
    public func movieID(_ index: Int) -> String { snapshot.table.movieExternalIDs[index] }

    /// Display titles of the films `indices` (``MovieInfo/displayTitle``), by index: from the ``catalogue`` when
    /// loaded (read in place, every film), else from the database.
    public func titles(_ indices: [Int]) throws -> MovieTitles {
        if let catalogue { return MovieTitles(catalogue: catalogue, found: [:]) }
        let databaseIDs = indices.map { snapshot.table.movieIDs[$0] }
        let movies = try store.movies(internalIDs: databaseIDs)
        var result: [Int: String] = [:]
        for (index, id) in zip(indices, databaseIDs) {
            result[index] = movies[id]?.displayTitle ?? "movie \(movieID(index))"
        }
        return MovieTitles(catalogue: nil, found: result)
    }

    /// A short hint listing some valid user ids, for "unknown user" messages.
    public var userIDHint: String {
        let ids = snapshot.table.userExternalIDs
        guard !ids.isEmpty else { return "the database has no users: import ratings with `movierec import`" }
        let shown = ids.count <= 6 ? ids.joined(separator: ", ")
            : ids.prefix(4).joined(separator: ", ") + ", …, " + ids[ids.count - 1]
        return "user ids in \(store.path): \(shown) (\(groupedCount(ids.count)) users; `movierec stats` shows the counts)"
    }
}

/// What a training stage does, in words.
public func describe(_ stage: TrainingStage) -> String {
    switch stage {
    case .indexing: return "indexing ratings"
    case .baseline: return "fitting the baseline (μ, b_u, b_i)"
    case .watchFactors: return "truncated SVD of the watch matrix"
    case .latentFactors: return "truncated SVD of the residuals"
    case .blendFitting: return "fitting the blend weights on a validation slice"
    case .rankingNeighbours: return "finding every user's nearest users for the ranking attention"
    }
}

/// Seconds elapsed on `ContinuousClock` since `start`.
public func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// `1234567` → `1,234,567`.
func groupedCount(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (offset, character) in digits.enumerated() {
        if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return value < 0 ? "-" + result : result
}

extension RatingsSnapshot {
    /// The same snapshot without its per-rating columns: what a session needs once the model holds the ratings.
    public var identifiersOnly: RatingsSnapshot {
        let t = table
        return RatingsSnapshot(
            table: RatingTable(userIDs: t.userIDs, userExternalIDs: t.userExternalIDs, movieIDs: t.movieIDs,
                               movieExternalIDs: t.movieExternalIDs, userIndex: [], movieIndex: [], rating: [], timestamp: []),
            fingerprint: fingerprint)
    }
}

/// Display titles of films by index, as ``ModelSession/titles(_:)`` found them: from the catalogue in memory (any
/// film, no copy) or looked up in the database (the films asked for).
public struct MovieTitles: Sendable {
    fileprivate let catalogue: Catalogue?
    fileprivate let found: [Int: String]

    /// The display title of film `index`; nil for a film that was not asked for (without a catalogue).
    public subscript(index: Int) -> String? {
        if let catalogue { return catalogue.entries[index].title }
        return found[index]
    }
}
