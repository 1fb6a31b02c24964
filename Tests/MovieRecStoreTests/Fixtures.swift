import Foundation
import GRDB
@testable import MovieRecStore

/// A fresh temporary directory per test, removed when the fixture is released.
final class Scratch {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("movierec-store-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    /// Path of `name` inside the directory.
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Writes UTF-8 text and returns the path.
    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try write(name, bytes: Array(text.utf8))
    }

    /// Writes raw bytes and returns the path.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let path = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Writes a database at `path` as an older movierec wrote it: the store's migrations up to `migration` only (no
/// application id), then `sql` (its rows).
func writeOldDatabase(at path: String, upTo migration: String, _ sql: String) throws {
    let queue = try DatabaseQueue(path: path)
    try StoreSchema.migrator.migrate(queue, upTo: migration)
    try queue.write { db in try db.execute(sql: sql) }
    try queue.close()
}

/// Every row of every table, in a canonical order, as text: two equal dumps mean equal database content.
func contentDump(ofDatabaseAt path: String) throws -> String {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { db in
        var text = ""
        let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        for table in tables {
            let columns = try db.columns(in: table).map(\.name)
            let order = columns.indices.map { String($0 + 1) }.joined(separator: ", ")
            text += "## \(table)\n"
            for row in try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY \(order)") { text += "\(row)\n" }
        }
        return text
    }
}

/// Ratings as `[user external id, movie external id] → (rating, timestamp)`, read with plain SQL.
func storedRatings(ofDatabaseAt path: String) throws -> [String: (rating: Double, timestamp: Int64?)] {
    let queue = try DatabaseQueue(path: path)
    defer { try? queue.close() }
    return try queue.read { db in
        var result: [String: (rating: Double, timestamp: Int64?)] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT u.external_id AS u, m.external_id AS m, r.rating, r.timestamp
            FROM ratings r JOIN users u ON u.id = r.user_id JOIN movies m ON m.id = r.movie_id
            """) {
            let user: String = row["u"]
            let movie: String = row["m"]
            result["\(user)/\(movie)"] = (row["rating"], row["timestamp"])
        }
        return result
    }
}

/// The shared MovieLens small data set, found by walking up from this file to a sibling `shared/data`.
enum SharedData {
    static let movieLensSmall: URL? = {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("shared/data/ml-latest-small")
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("ratings.csv").path) {
                return candidate
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }()
}
