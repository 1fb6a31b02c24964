import Foundation
import MovieRecModel
import MovieRecStore

/// What `GET /api/v1/health` answers.
public struct HealthReport: Codable, Sendable, Equatable {
    /// `ok` (a model answers), `loading` (the first model is loading or training), `noModel` or `staleModel`
    /// (POST /api/v1/model/train or `movierec train` fixes it), or `failed`.
    public let status: String
    /// Ratings the answering model was trained on (0 without a model).
    public let ratings: Int
    /// The ratings version the answering model was trained on (nil without a model).
    public let modelRatingsVersion: Int64?
    /// Whether a retraining is running in the background.
    public let training: Bool
    /// Users whose ratings changed since the model was trained and who are folded in again on the fly.
    public let editedUsers: Int
    /// Why there is no model, when there is none.
    public let message: String?
    /// The published model version answering (`movierec train --publish`), nil when the model is the
    /// database's own.
    public var modelVersion: Int64? = nil
    /// The shared ratings source (redacted), nil without `--ratings-source`.
    public var ratingsSource: String? = nil
}

/// What a rating edit (`PUT`/`DELETE /api/v1/users/{id}/ratings/{movie}`) answers.
public struct RatingEdit: Codable, Sendable, Equatable {
    /// The user's id.
    public let user: String
    /// The film's id.
    public let movie: String
    /// The stored rating (nil after a delete).
    public let rating: Float?
    /// Whether the database changed (false for the same rating again, or deleting a rating that was not there).
    public let changed: Bool
    /// How many ratings the user has now.
    public let userRatings: Int
    /// The store's ratings version after the edit.
    public let ratingsVersion: Int64
}

/// What `POST /api/v1/model/train` answers.
public struct TrainingStarted: Codable, Sendable, Equatable {
    /// `training`.
    public let status: String
    /// The ratings version the running training started from (read when its snapshot is taken).
    public let ratingsVersion: Int64
}

/// The model a long-running front end (the server) answers from, and its lifecycle: the first load in the
/// background, live rating edits folded in per user, and retraining in the background with an atomic swap.
///
/// Thread-safe: the current ``ModelSession`` and the per-user fold-ins are replaced under one lock, and every
/// request works on the session it read, so requests keep being answered from the old model until the swap.
public final class ModelHost: @unchecked Sendable {
    /// The database file.
    public let path: String
    /// The store (for edits and statistics).
    public let store: RatingStore

    /// A user whose stored ratings changed after training: their ratings, folded into the current model.
    private struct EditedUser {
        let ratings: [(movie: String, rating: Float)]
        let ratingsVersion: Int64
        /// The user folded into the model of ``modelID``.
        let resolved: ResolvedUser
        /// The saved model the user was folded into (``ModelInfo/id``).
        let modelID: Int64
    }

    private let lock = NSLock()
    private var current: ModelSession?
    private var unavailable: ServiceError? = ServiceError(.modelLoading, "the model is loading: try again in a moment")
    private var training = false
    private var lastTrainingError: String?
    private var edited: [String: EditedUser] = [:]
    /// The 50 users most similar to a database user, by user index.
    private let similarCache = PerModelCache<Int, SimilarUsers>(capacity: ModelHost.similarCacheCapacity)
    /// Recommendation lists of database users whose ratings were not edited, by user index, count and whether they
    /// are explained.
    private let recommendationCache = PerModelCache<RecommendationKey, RecommendationList>(
        capacity: ModelHost.recommendationCacheCapacity)

    /// The key of a cached list: ``recommendations(for:count:explain:filter:floor:in:)`` with the default filter and floor.
    private struct RecommendationKey: Hashable {
        let user: Int
        let count: Int
        let explain: Bool
    }

    /// How many recommendation lists are kept (a top 10 with reasons is a few KB); beyond it the cache starts again.
    public static let recommendationCacheCapacity = 10_000

    /// How many users' similar-user lists are kept (about 0.6 KB each); beyond it the cache starts again.
    public static let similarCacheCapacity = 20_000
    /// The longest list kept in the cache (shorter requests are its prefix).
    static let similarCacheDepth = 50
    /// With a shared source: each user's ratings as last read from it, folded in (answers while it is down).
    private var lastSeen: [String: ResolvedUser] = [:]
    private var publishedVersion: Int64?

    /// Where rating edits go and fresh user ratings come from when replicas share them (nil: the database).
    public let sharedRatings: (any SharedRatingsSource)?

    /// Opens the database at `path` (no model yet: call ``load(policy:progress:)``); with `sharedRatings`,
    /// rating edits go there and users are folded in from there (see ``currentUser(_:in:)``).
    ///
    /// - Throws: ``StoreError`` `.databaseNotFound` when there is no database there.
    public init(path: String, sharedRatings: (any SharedRatingsSource)? = nil) throws {
        self.path = path
        self.sharedRatings = sharedRatings
        store = try RatingStore(path: path, createIfMissing: false)
    }

    /// Loads the model with `policy` (see ``ModelSession/open(path:policy:progress:warn:)``) and the catalogue.
    /// Until it returns, model requests throw `.modelLoading`; when it fails they throw the error (`.noModel`,
    /// `.staleModel`, or the store's error as `.noModel` with its text).
    public func load(policy: ModelPolicy, progress: (String) -> Void = { _ in }, warn: (String) -> Void = { _ in }) {
        do {
            let session = try ModelSession.open(path: path, policy: policy, progress: progress, warn: warn).withCatalogue()
            install(session)
        } catch {
            let reason = error as? ServiceError
                ?? ServiceError(.noModel, "the saved model cannot be used (\(error)): run `movierec train --db \(path)` "
                                + "or POST /api/v1/model/train")
            lock.withLock { unavailable = reason }
        }
    }

    /// Installs `session` as the answering model and folds the edited users in again, dropping those whose
    /// edits the model was trained on.
    private func install(_ session: ModelSession, publishedVersion version: Int64? = nil) {
        let trainedVersion = session.info.fingerprint.ratingsVersion
        lock.withLock {
            current = session
            publishedVersion = version
            lastSeen = [:]
            unavailable = nil
            var kept: [String: EditedUser] = [:]
            for (user, entry) in edited where entry.ratingsVersion > trainedVersion {
                if let resolved = try? Self.fold(entry.ratings, user: user, into: session) {
                    kept[user] = EditedUser(ratings: entry.ratings, ratingsVersion: entry.ratingsVersion, resolved: resolved,
                                            modelID: session.info.id)
                }
            }
            edited = kept
        }
    }

    /// Installs a model published to the shared source (version `version`, opened from its own database
    /// file) as the answering one; requests keep the session they read, so the swap is atomic for them.
    public func installPublished(_ session: ModelSession, version: Int64) {
        install(session, publishedVersion: version)
    }

    /// The published model version answering, nil when it is the database's own.
    public var servedModelVersion: Int64? { lock.withLock { publishedVersion } }

    /// The answering session.
    ///
    /// - Throws: ``ServiceError`` `.modelLoading` while the first model loads; `.noModel` / `.staleModel` when
    ///   there is none to answer with.
    public func session() throws -> ModelSession {
        try lock.withLock {
            if let current { return current }
            throw unavailable ?? ServiceError(.noModel, "no model: run `movierec train --db \(path)` or POST /api/v1/model/train")
        }
    }

    /// The user with external id `id` in `session`: folded in again from their stored ratings when they were
    /// edited since training, else the model's own row.
    ///
    /// - Throws: ``ServiceError`` `.unknownUser` naming the id.
    public func user(_ id: String, in session: ModelSession) throws -> ResolvedUser {
        if let entry = lock.withLock({ edited[id] }) {
            // Folded into another model when a swap happened after `session` was read: fold again into this one.
            return entry.modelID == session.info.id ? entry.resolved : try Self.fold(entry.ratings, user: id, into: session)
        }
        if let user = session.trainedUser(id) { return user }
        throw ServiceError(.unknownUser, "unknown user \"\(id)\": no user with this id in the database")
    }

    /// User `id` for one request: without a shared source, ``user(_:in:)``; with one, folded in from the
    /// ratings read from it now (one query), or — when it cannot be reached — from the ratings last read, else
    /// the model's own row, marked not fresh.
    ///
    /// - Throws: ``ServiceError`` `.unknownUser` when no ratings of the user are known anywhere.
    public func currentUser(_ id: String, in session: ModelSession) async throws -> CurrentUser {
        guard let sharedRatings else { return CurrentUser(user: try user(id, in: session), fresh: true) }
        let ratings: [(movie: String, rating: Float)]
        do {
            ratings = try await sharedRatings.ratings(ofUser: id)
        } catch let error as ServiceError where error.kind == .ratingsSourceUnavailable {
            if let seen = lock.withLock({ lastSeen[id] }) { return CurrentUser(user: seen, fresh: false) }
            return CurrentUser(user: try user(id, in: session), fresh: false)
        }
        guard !ratings.isEmpty else {
            throw ServiceError(.unknownUser, "unknown user \"\(id)\": no ratings of this user in \(sharedRatings.name)")
        }
        let resolved = try Self.fold(ratings, user: id, into: session)
        lock.withLock { if current?.info == session.info { lastSeen[id] = resolved } }
        return CurrentUser(user: resolved, fresh: true)
    }

    /// Throws `.unknownMovie` unless the model knows `movie`, `.invalidRatings` unless `rating` is on its scale:
    /// the checks of every rating write, before anything is written.
    private func checkRating(_ rating: Float, of movie: String, in session: ModelSession) throws {
        _ = try movieIndex(movie, in: session)
        let scale = session.model.ratingRange
        guard rating.isFinite, scale.contains(rating) else {
            throw ServiceError(.invalidRatings, file: "request body",
                               "rating \(rating) of movie \(movie) is outside the rating scale of the data "
                               + "(\(scale.lowerBound)–\(scale.upperBound))")
        }
    }

    /// Stores a rating: in the shared source when there is one (one upsert, newest timestamp wins), else as
    /// ``setRating(user:movie:rating:)``. Same checks and errors, plus `.ratingsSourceUnavailable` (nothing
    /// written) when the shared source cannot be reached.
    public func storeRating(user: String, movie: String, rating: Float) async throws -> RatingEdit {
        guard let sharedRatings else { return try setRating(user: user, movie: movie, rating: rating) }
        let session = try session()
        try checkRating(rating, of: movie, in: session)
        let changed = try await sharedRatings.upsertRating(user: user, movie: movie, rating: rating,
                                                           timestamp: Int64(Date().timeIntervalSince1970))
        let count = (try? await sharedRatings.ratings(ofUser: user).count) ?? -1
        return RatingEdit(user: user, movie: movie, rating: rating, changed: changed, userRatings: count, ratingsVersion: 0)
    }

    /// Deletes a rating: in the shared source when there is one (one statement), else as
    /// ``deleteRating(user:movie:)``.
    public func removeRating(user: String, movie: String) async throws -> RatingEdit {
        guard let sharedRatings else { return try deleteRating(user: user, movie: movie) }
        let session = try session()
        _ = try movieIndex(movie, in: session)
        let changed = try await sharedRatings.deleteRating(user: user, movie: movie)
        let count = (try? await sharedRatings.ratings(ofUser: user).count) ?? -1
        if !changed && count == 0 {
            throw ServiceError(.unknownUser, "unknown user \"\(user)\": no ratings of this user in \(sharedRatings.name)")
        }
        return RatingEdit(user: user, movie: movie, rating: nil, changed: changed, userRatings: count, ratingsVersion: 0)
    }

    /// The dense index of the film with external id `id`, known to the model.
    ///
    /// - Throws: ``ServiceError`` `.unknownMovie` naming the id.
    public func movieIndex(_ id: String, in session: ModelSession) throws -> Int {
        guard let index = session.movieIndex(externalID: id), index < session.model.movieCount else {
            throw ServiceError(.unknownMovie, "unknown movie \"\(id)\": no film with this id in the model "
                               + "(search titles with GET /api/v1/movies?search=…)")
        }
        return index
    }

    /// The health of the service (never throws).
    public func health() -> HealthReport {
        lock.withLock {
            if let current {
                return HealthReport(status: "ok", ratings: current.info.fingerprint.ratings,
                                    modelRatingsVersion: current.info.fingerprint.ratingsVersion, training: training,
                                    editedUsers: edited.count, message: lastTrainingError, modelVersion: publishedVersion,
                                    ratingsSource: sharedRatings?.name)
            }
            let reason = unavailable
            let status = reason?.kind == .modelLoading ? "loading" : reason?.kind == .staleModel ? "staleModel" : "noModel"
            return HealthReport(status: training && reason?.kind != .modelLoading ? "loading" : status, ratings: 0,
                                modelRatingsVersion: nil, training: training, editedUsers: edited.count,
                                message: lastTrainingError ?? reason?.message, modelVersion: nil,
                                ratingsSource: sharedRatings?.name)
        }
    }

    /// The recommendations of `user` in `session`, as ``ModelSession/recommendations(for:count:explain:candidates:floor:unmatched:options:)``
    /// answers on one thread, with the candidates of `filter` (``ModelSession/candidates(for:warn:)``).
    ///
    /// A database user whose ratings were not edited, asked with the default filter and floor, gets the list computed
    /// once per model and then kept: the same answer, since such a user's list depends on the model alone. An edited
    /// user is folded in and always computed (so a stored rating shows at once), and so is a new user, a request with
    /// a filter or a floor of its own, and every user of a server on shared ratings. A new model (a retrain, a swap)
    /// empties the cache.
    public func recommendations(for user: ResolvedUser, count: Int, explain: Bool, filter: FilterRequest = FilterRequest(),
                                floor: RatingFloor = .automatic, in session: ModelSession) throws -> RecommendationList {
        guard sharedRatings == nil, filter == FilterRequest(), floor == .automatic,
              case .trained(let index) = user.reference else {
            let candidates = try session.candidates(for: filter)
            return try session.recommendations(for: user, count: count, explain: explain, candidates: candidates.candidates,
                                               floor: floor,
                                               unmatched: candidates.unmatched.isEmpty ? nil : candidates.unmatched,
                                               options: .serial)
        }
        return try recommendationCache.value(for: RecommendationKey(user: index, count: count, explain: explain),
                                             model: session.info.id) {
            try session.recommendations(for: user, count: count, explain: explain, options: .serial)
        }
    }

    /// The `count` users most similar to `user` in `session` (never the user), as
    /// ``ModelSession/similarUsers(to:count:options:)`` answers, on one thread.
    ///
    /// For a database user whose ratings were not edited the top ``similarCacheDepth`` are computed once per
    /// model and kept (a full scan of every user's latent vector is the cost of this call: at 25 M ratings,
    /// 162,500 vectors); an edited or new user is always computed, and so is every user of a server on shared
    /// ratings (folded in from them, not the model's row).
    public func similarUsers(to user: ResolvedUser, count: Int, in session: ModelSession) throws -> SimilarUsers {
        guard sharedRatings == nil, case .trained(let index) = user.reference, count <= Self.similarCacheDepth else {
            return try session.similarUsers(to: user, count: count, options: .serial)
        }
        let full = try similarCache.value(for: index, model: session.info.id) {
            try session.similarUsers(to: user, count: Self.similarCacheDepth, options: .serial)
        }
        return SimilarUsers(user: full.user, similar: Array(full.similar.prefix(count)))
    }

    // MARK: - Edits

    /// Stores user `user`'s rating of movie `movie` (a new user is added), then folds the user's stored ratings
    /// into the answering model, so their next recommendations reflect it at once (no retraining).
    ///
    /// - Throws: ``ServiceError`` `.unknownMovie` for a film the model does not know, `.invalidRatings` for a
    ///   rating off the model's scale; `.modelLoading`/`.noModel` without a model. Nothing is written then.
    public func setRating(user: String, movie: String, rating: Float) throws -> RatingEdit {
        let session = try session()
        try checkRating(rating, of: movie, in: session)
        let after = try store.setRating(user: user, movie: movie, rating: rating,
                                        timestamp: Int64(Date().timeIntervalSince1970))
        try refold(user: user, after: after, trainedOn: session)
        return RatingEdit(user: user, movie: movie, rating: rating, changed: after.changed,
                          userRatings: after.ratings.count, ratingsVersion: after.ratingsVersion)
    }

    /// Deletes user `user`'s rating of movie `movie` and folds the user's remaining ratings in again.
    ///
    /// - Throws: ``ServiceError`` `.unknownUser` for a user the database does not have, `.unknownMovie` for a film
    ///   the model does not know.
    public func deleteRating(user: String, movie: String) throws -> RatingEdit {
        let session = try session()
        _ = try movieIndex(movie, in: session)
        guard let after = try store.deleteRating(user: user, movie: movie) else {
            throw ServiceError(.unknownUser, "unknown user \"\(user)\": no user with this id in the database")
        }
        try refold(user: user, after: after, trainedOn: session)
        return RatingEdit(user: user, movie: movie, rating: nil, changed: after.changed,
                          userRatings: after.ratings.count, ratingsVersion: after.ratingsVersion)
    }

    /// Records the user's ratings as read in the edit's transaction, folded into the answering model; an older
    /// read (a concurrent edit that committed earlier but got here later) never replaces a newer one.
    private func refold(user: String, after: UserRatingsAfterEdit, trainedOn session: ModelSession) throws {
        guard after.changed || lock.withLock({ edited[user] == nil && session.trainedUser(user) == nil }) else { return }
        lock.withLock {
            // Fold into the model that answers now (a swap may have happened since `session` was read).
            guard let answering = current else { return }
            if let existing = edited[user], existing.ratingsVersion > after.ratingsVersion { return }
            if let resolved = try? Self.fold(after.ratings, user: user, into: answering) {
                edited[user] = EditedUser(ratings: after.ratings, ratingsVersion: after.ratingsVersion, resolved: resolved,
                                          modelID: answering.info.id)
            }
        }
    }

    /// `ratings` (by movie external id) folded into `session` as user `user`; films the model does not know
    /// are left out.
    private static func fold(_ ratings: [(movie: String, rating: Float)], user: String,
                             into session: ModelSession) throws -> ResolvedUser {
        let list = ratings.compactMap { entry -> (movie: Int, rating: Float)? in
            guard let index = session.movieIndex(externalID: entry.movie), index < session.model.movieCount else { return nil }
            return (index, entry.rating)
        }
        return try session.foldIn(list, label: user, trainedIndex: session.userIndex(externalID: user))
    }

    // MARK: - Retraining

    /// Starts retraining on the database's current ratings in the background (with the answering model's
    /// parameters, else the defaults) and swaps the new model in atomically when done; requests keep being
    /// answered from the old model until then.
    ///
    /// - Throws: ``ServiceError`` `.trainingInProgress` when a retraining is running.
    public func startTraining(completion: (@Sendable (Result<TrainReport, Error>) -> Void)? = nil) throws -> TrainingStarted {
        let parameters: ModelParameters = try lock.withLock {
            guard !training else {
                throw ServiceError(.trainingInProgress, "a retraining is already running: wait for it "
                                   + "(GET /api/v1/health shows \"training\": true until the swap)")
            }
            if unavailable?.kind == .modelLoading {
                throw ServiceError(.modelLoading, "the model is loading: try again in a moment")
            }
            training = true
            lastTrainingError = nil
            return current?.model.parameters ?? ModelParameters()
        }
        let version: Int64
        let snapshot: RatingsSnapshot
        let repository: ModelRepository
        do {
            repository = try ModelRepository(store: store)
            snapshot = try store.ratingsSnapshot()
            version = snapshot.fingerprint.ratingsVersion
        } catch {
            lock.withLock { training = false }
            throw error
        }
        nonisolated(unsafe) var pending: RatingsSnapshot? = snapshot
        let thread = Thread { [self] in
            let result: Result<TrainReport, Error>
            do {
                let taken = pending!
                pending = nil
                let session = try ModelSession.train(store: store, repository: repository, snapshot: taken,
                                                     parameters: parameters, progress: { _ in }).withCatalogue()
                install(session)
                result = .success(session.trainReport)
            } catch {
                lock.withLock { lastTrainingError = "the last retraining failed: \(error)" }
                result = .failure(error)
            }
            lock.withLock { training = false }
            completion?(result)
        }
        thread.start()
        return TrainingStarted(status: "training", ratingsVersion: version)
    }

    /// Whether a retraining is running.
    public var isTraining: Bool { lock.withLock { training } }
}

/// Answers kept for one saved model (``ModelInfo/id``): asked for another model, or full, it starts again.
private final class PerModelCache<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Key: Value] = [:]
    private var model: Int64 = -1
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// The value kept for `key` under `model`, else `compute()`'s, then kept (computed outside the lock: two
    /// requests may both compute it, and give the same value).
    func value(for key: Key, model: Int64, compute: () throws -> Value) rethrows -> Value {
        if let kept = lock.withLock({ self.model == model ? entries[key] : nil }) { return kept }
        let value = try compute()
        lock.withLock {
            if self.model != model || entries.count >= capacity {
                entries = [:]
                self.model = model
            }
            entries[key] = value
        }
        return value
    }
}
