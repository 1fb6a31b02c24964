import Foundation
import GRDB
import MovieRecModel
@testable import MovieRecStore
import Testing

/// Saving and restoring trained models in the store (`models` table), and stale-model detection.
@Suite("ModelRepository")
struct ModelRepositoryTests {
    private let header = "userId,movieId,rating,timestamp\n"

    /// 40 users × 30 films; user u rates film m when a hash of (u, m) falls in 60 % of its range, with a
    /// half-star rating from a fixed formula (two taste groups), so the model has real structure to learn.
    private func ratingsCSV() -> String {
        var text = header
        for u in 1...40 {
            for m in 1...30 where isRated(u, m) {
                let sameTaste = (u % 2) == (m % 2)
                let rating = min(5, max(0.5, (sameTaste ? 4.0 : 2.0) + Double((u * 7 + m * 13) % 5) * 0.25))
                text += "\(u),\(m),\(rating),\(1_000 + u * 100 + m)\n"
            }
        }
        return text
    }

    /// A multiplicative hash of (u, m): 716 of the 1,200 pairs are rated; user 1 rated film 2, not film 1.
    private func isRated(_ u: Int, _ m: Int) -> Bool {
        let hash = UInt32(truncatingIfNeeded: (u * 1_000_003 + m) &* 2_654_435_761)
        return (hash >> 16) % 100 < 60
    }

    private func parameters() -> ModelParameters {
        var parameters = ModelParameters()
        parameters.rank = 4
        parameters.watchRank = 4
        parameters.neighbours = 10
        return parameters
    }

    /// A database with the ratings above, its repository and a snapshot.
    private func makeStore(_ scratch: Scratch) throws -> (RatingStore, ModelRepository, RatingsSnapshot) {
        let ratings = try scratch.write("ratings.csv", ratingsCSV())
        _ = try RatingsImporter(databasePath: scratch.path("db.sqlite")).run(ratingsFile: ratings)
        let store = try RatingStore(path: scratch.path("db.sqlite"), createIfMissing: false)
        return (store, try ModelRepository(store: store), try store.ratingsSnapshot())
    }

    @Test("saving from a read-only store upgrades a movierec database from before application_id (as train does)")
    func saveUpgradesLegacyDatabase() throws {
        let scratch = try Scratch()
        let path = scratch.path("old.sqlite")
        // The old schema: migration v1 only, rollback journal, no application id; then the ratings above.
        let queue = try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(queue, upTo: StoreSchema.initialMigration)
        try queue.close()
        _ = try RatingsImporter(databasePath: scratch.path("new.sqlite")).run(ratingsFile: scratch.write("r.csv", ratingsCSV()))
        let source = try DatabaseQueue(path: scratch.path("new.sqlite"))
        let rows = try source.read { try Row.fetchAll($0, sql: "SELECT user_id, movie_id, rating, timestamp FROM ratings") }
        let users = try source.read { try Row.fetchAll($0, sql: "SELECT id, external_id FROM users") }
        let movies = try source.read { try Row.fetchAll($0, sql: "SELECT id, external_id FROM movies") }
        try source.close()
        let old = try DatabaseQueue(path: path)
        try old.write { db in
            for row in users { try db.execute(sql: "INSERT INTO users(id, external_id) VALUES (?, ?)", arguments: [row[0], row[1]]) }
            for row in movies { try db.execute(sql: "INSERT INTO movies(id, external_id) VALUES (?, ?)", arguments: [row[0], row[1]]) }
            for row in rows {
                try db.execute(sql: "INSERT INTO ratings VALUES (?, ?, ?, ?)", arguments: [row[0], row[1], row[2], row[3]])
            }
            try db.execute(sql: "UPDATE store_state SET ratings_version = 1")
        }
        #expect(try old.read { try Int32.fetchOne($0, sql: "PRAGMA application_id") } == 0)
        try old.close()

        let store = try RatingStore(path: path, createIfMissing: false)
        let repository = try ModelRepository(store: store)
        #expect(try repository.latestInfo() == nil)
        let snapshot = try store.ratingsSnapshot()
        let model = try Model.train(data: snapshot.table.ratingData, parameters: parameters())
        let saved = try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 0.1)
        #expect(try repository.latestInfo() == saved)
        let probe = try DatabaseQueue(path: path)
        #expect(try probe.read { try Int32.fetchOne($0, sql: "PRAGMA application_id") } == StoreSchema.applicationID)
        #expect(try probe.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try probe.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM pragma_table_info('movies') WHERE name = 'imdb_id')")
        } == true)
        try probe.close()
    }

    // MARK: - Round trip

    @Test("save → load gives identical predictions, recommendations and similar users")
    func roundTrip() throws {
        let scratch = try Scratch()
        let (_, repository, snapshot) = try makeStore(scratch)
        let model = try Model.train(data: snapshot.table.ratingData, parameters: parameters())
        let saved = try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 0.5)

        let info = try #require(try repository.latestInfo())
        #expect(info == saved)
        #expect(info.fingerprint == snapshot.fingerprint)
        #expect(info.header.parameters == parameters())
        #expect(info.trainingSeconds == 0.5)
        let restored = try #require(try repository.loadLatest(ratings: snapshot.table, fingerprint: snapshot.fingerprint))
        #expect(restored.encode() == model.encode())
        for user in 0..<model.userCount {
            for movie in stride(from: user % 3, to: model.movieCount, by: 3) {
                #expect(try restored.predict(user: user, movie: movie) == model.predict(user: user, movie: movie))
            }
            #expect(try Recommender(model: restored).topN(user: user, count: 5, explain: true)
                    == Recommender(model: model).topN(user: user, count: 5, explain: true))
            #expect(try restored.mostSimilarUsers(to: user, count: 5) == model.mostSimilarUsers(to: user, count: 5))
        }
    }

    @Test("the factor BLOBs are raw little-endian Float32 of the archive arrays")
    func blobLayout() throws {
        let scratch = try Scratch()
        let (store, repository, snapshot) = try makeStore(scratch)
        let model = try Model.train(data: snapshot.table.ratingData, parameters: parameters())
        try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 0)
        let archive = model.encode()
        let row = try #require(try store.databaseWriter.read { db in
            try Row.fetchOne(db, sql: "SELECT biases, latent_factors, watch_factors, ratings_version, parameters FROM models")
        })
        // Decoded byte by byte here, independently of the repository's bulk copy.
        func decode(_ data: Data) -> [Float] {
            let bytes = [UInt8](data)
            return stride(from: 0, to: bytes.count, by: 4).map { offset in
                Float(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
                      | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
            }
        }
        #expect(decode(row["biases"]) == archive.biases)
        #expect(decode(row["latent_factors"]) == archive.latentFactors)
        #expect(decode(row["watch_factors"]) == archive.watchFactors)
        #expect(row["ratings_version"] as Int64 == 1)
        let parametersJSON: String = row["parameters"]
        #expect(try JSONDecoder().decode(ModelParameters.self, from: Data(parametersJSON.utf8)) == parameters())
    }

    @Test("factor BLOBs are written and read in chunks of any length, across pieces of any length")
    func chunkedBlobIO() throws {
        let scratch = try Scratch()
        let (store, repository, snapshot) = try makeStore(scratch)
        let model = try Model.train(data: snapshot.table.ratingData, parameters: parameters())
        let info = try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 0)
        let count = info.header.segmentLengths(.latentFactors).reduce(0, +)
        // Distinct values with awkward bit patterns (−0, subnormal, infinity), cut into pieces of 0, 1, 5 and
        // the rest, so chunks straddle piece boundaries.
        let values: [Float] = (0..<count).map { j in
            switch j % 5 {
            case 0: return -0.0
            case 1: return .leastNonzeroMagnitude * Float(j)
            case 2: return .infinity
            default: return Float(j) * -1.25
            }
        }
        let lengths = [0, 1, 5, count - 6]
        var start = 0
        let pieces = lengths.map { length in
            defer { start += length }
            return Array(values[start..<(start + length)])
        }
        for chunkLength in [1, 7, 4096] {
            try store.databaseWriter.write { db in
                try FactorBlob(db, column: "latent_factors", row: info.id, writable: true, database: store.path,
                               chunkLength: chunkLength).write(pieces.reversed().map { $0.map { -$0 } })
                try FactorBlob(db, column: "latent_factors", row: info.id, writable: true, database: store.path,
                               chunkLength: chunkLength).write(pieces)
            }
            // Decoded byte by byte, independently of FactorBlob.
            let data = try #require(try store.databaseWriter.read { db in
                try Data.fetchOne(db, sql: "SELECT latent_factors FROM models WHERE id = ?", arguments: [info.id])
            })
            let bytes = [UInt8](data).map(UInt32.init)
            let stored: [UInt32] = stride(from: 0, to: bytes.count, by: 4).map { offset -> UInt32 in
                let low: UInt32 = bytes[offset] | bytes[offset + 1] << 8
                return low | bytes[offset + 2] << 16 | bytes[offset + 3] << 24
            }
            #expect(stored == values.map(\.bitPattern))
            let read = try store.databaseWriter.read { db in
                try FactorBlob(db, column: "latent_factors", row: info.id, writable: false, database: store.path,
                               chunkLength: chunkLength).read(lengths: lengths)
            }
            #expect(read.map { $0.map(\.bitPattern) } == pieces.map { $0.map(\.bitPattern) })
        }
    }

    @Test("saving again replaces the older model")
    func onlyLatestKept() throws {
        let scratch = try Scratch()
        let (store, repository, snapshot) = try makeStore(scratch)
        #expect(try repository.latestInfo() == nil)
        #expect(try repository.loadLatest(ratings: snapshot.table, fingerprint: snapshot.fingerprint) == nil)
        let model = try Model.train(data: snapshot.table.ratingData, parameters: parameters())
        let first = try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 1)
        let second = try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 2)
        #expect(second.id != first.id)
        #expect(try repository.latestInfo()?.id == second.id)
        #expect(try store.databaseWriter.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM models") } == 1)
    }

    // MARK: - Staleness

    @Test("a new import makes the model stale; a changed rating value keeps it restorable, a new rating does not")
    func staleness() throws {
        let scratch = try Scratch()
        let (store, repository, snapshot) = try makeStore(scratch)
        let model = try Model.train(data: snapshot.table.ratingData, parameters: parameters())
        try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 0)
        let info = try #require(try repository.latestInfo())
        #expect(info.staleness(against: snapshot.fingerprint) == nil)

        // Update an existing rating (user 1, film 2) with a newer timestamp: same shape.
        try scratch.write("update.csv", header + "1,2,0.5,9999999\n")
        _ = try RatingsImporter(databasePath: store.path).run(ratingsFile: scratch.path("update.csv"))
        let updated = try store.ratingsSnapshot()
        let valueChange = try #require(info.staleness(against: updated.fingerprint))
        #expect(valueChange.isRestorable)
        #expect(valueChange.description == "the model is stale (trained on ratings version 1, the database is at 2)")
        #expect(throws: StoreError.self) { try repository.loadLatest(ratings: updated.table, fingerprint: updated.fingerprint) }
        // Still loadable explicitly (what --allow-stale does), with the new rating value.
        let stale = try repository.load(info, ratings: updated.table, fingerprint: updated.fingerprint)
        #expect(stale.encode() == model.encode())

        // A new (user, film) pair (user 1, film 1, not rated before): the rating count changes, the model cannot be restored.
        try scratch.write("new.csv", header + "1,1,4.0,9999999\n")
        _ = try RatingsImporter(databasePath: store.path).run(ratingsFile: scratch.path("new.csv"))
        let grown = try store.ratingsSnapshot()
        let shapeChange = try #require(info.staleness(against: grown.fingerprint))
        #expect(!shapeChange.isRestorable)
        #expect(shapeChange.description.contains("the database is at 3"))
        #expect(throws: StoreError.self) { try repository.load(info, ratings: grown.table, fingerprint: grown.fingerprint) }
    }

    @Test("a catalogue-only import adds films without a new ratings version: the model is reported as trained on other data")
    func catalogueChange() throws {
        let scratch = try Scratch()
        let (store, repository, snapshot) = try makeStore(scratch)
        let model = try Model.train(data: snapshot.table.ratingData, parameters: parameters())
        let info = try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 0)
        try scratch.write("movies.csv", "movieId,title,genres\n999,Brand New (2020),Drama\n")
        _ = try RatingsImporter(databasePath: store.path, options: ImportOptions(moviesFile: scratch.path("movies.csv")))
            .run(ratingsFile: scratch.path("ratings.csv"))
        let after = try store.ratingsSnapshot()
        #expect(after.fingerprint.ratingsVersion == snapshot.fingerprint.ratingsVersion)
        let staleness = try #require(info.staleness(against: after.fingerprint))
        #expect(!staleness.isRestorable)
        #expect(staleness.description.contains("30 films") && staleness.description.contains("31 films"))
    }

    // MARK: - Fingerprint

    @Test("the fingerprint counts users, films and ratings and changes with the id order")
    func fingerprint() {
        func table(users: [Int64], movies: [Int64]) -> RatingTable {
            RatingTable(userIDs: users, userExternalIDs: users.map(String.init), movieIDs: movies,
                        movieExternalIDs: movies.map(String.init), userIndex: [0, 1], movieIndex: [0, 1],
                        rating: [4, 3], timestamp: [0, 0])
        }
        let a = RatingsFingerprint(table: table(users: [1, 2], movies: [1, 2, 3]), ratingsVersion: 4)
        #expect(a.users == 2 && a.movies == 3 && a.ratings == 2 && a.ratingsVersion == 4)
        #expect(a == RatingsFingerprint(table: table(users: [1, 2], movies: [1, 2, 3]), ratingsVersion: 4))
        let reordered = RatingsFingerprint(table: table(users: [2, 1], movies: [1, 2, 3]), ratingsVersion: 4)
        #expect(reordered.idChecksum != a.idChecksum && !reordered.hasSameShape(as: a))
        // Moving an id from the user list to the film list must change the checksum too.
        let shifted = RatingsFingerprint(table: table(users: [1, 2, 1], movies: [2, 3]), ratingsVersion: 4)
        #expect(shifted.idChecksum != a.idChecksum)
    }

    @Test("a damaged factor BLOB is reported, not read")
    func damagedBlob() throws {
        let scratch = try Scratch()
        let (store, repository, snapshot) = try makeStore(scratch)
        let model = try Model.train(data: snapshot.table.ratingData, parameters: parameters())
        let info = try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 0)
        try store.databaseWriter.write { db in
            try db.execute(sql: "UPDATE models SET latent_factors = substr(latent_factors, 1, 10)")
        }
        #expect { try repository.load(info, ratings: snapshot.table, fingerprint: snapshot.fingerprint) } throws: {
            guard let error = $0 as? StoreError else { return false }
            return error.description.contains("models.latent_factors") && error.concernsSavedModel
        }
    }

    @Test("a factor column that is not a BLOB, or a header with impossible ranks, is reported before reading")
    func damagedColumnAndHeader() throws {
        let scratch = try Scratch()
        let (store, repository, snapshot) = try makeStore(scratch)
        let model = try Model.train(data: snapshot.table.ratingData, parameters: parameters())
        let info = try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 0)
        try store.databaseWriter.write { db in try db.execute(sql: "UPDATE models SET watch_factors = 'abcd'") }
        #expect { try repository.load(info, ratings: snapshot.table, fingerprint: snapshot.fingerprint) } throws: {
            guard let error = $0 as? StoreError else { return false }
            return error.concernsSavedModel && error.field == "models.watch_factors" && error.value == "a text value"
        }
        // A header whose ranks would size arrays beyond any BLOB is rejected before any array is allocated.
        var header = info.header
        header.rank = Int.max / 2
        let forged = ModelInfo(id: info.id, createdAt: info.createdAt, fingerprint: info.fingerprint, header: header,
                               trainingSeconds: 0)
        #expect { try repository.load(forged, ratings: snapshot.table, fingerprint: snapshot.fingerprint) } throws: {
            guard let error = $0 as? StoreError else { return false }
            return error.concernsSavedModel && error.value == "header.rank/watchRank"
        }
    }

    @Test("a model header this version cannot decode (another movierec version) is reported as such")
    func foreignHeader() throws {
        let scratch = try Scratch()
        let (store, repository, snapshot) = try makeStore(scratch)
        let model = try Model.train(data: snapshot.table.ratingData, parameters: parameters())
        try repository.save(model, trainedOn: snapshot.fingerprint, trainingSeconds: 0)
        try store.databaseWriter.write { db in try db.execute(sql: "UPDATE models SET header = '{\"formatVersion\": 0}'") }
        #expect { try repository.latestInfo() } throws: {
            guard let error = $0 as? StoreError else { return false }
            return error.concernsSavedModel && error.description.contains("written by another version of movierec")
        }
        // Errors about the ratings themselves are not about the saved model.
        #expect(!StoreError(.database, file: "x", reason: "disk I/O error").concernsSavedModel)
    }
}
