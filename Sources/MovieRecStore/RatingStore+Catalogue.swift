import Foundation
import GRDB

extension RatingStore {
    /// Every movie of the store as a ``CatalogueEntry`` (external id, title, year), in database-id order: what a
    /// ``TitleMatcher`` is built from. IMDb ids are `nil` until the store keeps links.
    public func catalogueEntries() throws -> [CatalogueEntry] {
        try catalogueRead("reading the movie catalogue") { db in
            try Row.fetchAll(db, sql: "SELECT external_id, title, year FROM movies ORDER BY id").map { row in
                CatalogueEntry(externalID: row[0], title: row[1], year: row[2])
            }
        }
    }

    /// The lowest and highest stored rating (`nil` without ratings): the scale a person's ratings are mapped onto
    /// when no model is at hand (a model has its own ``TrainedModel/ratingRange``, the same values).
    public func ratingScale() throws -> ClosedRange<Float>? {
        try catalogueRead("reading the rating scale") { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT MIN(rating), MAX(rating) FROM ratings"),
                  let low: Double = row[0], let high: Double = row[1] else { return nil }
            return Float(low)...Float(high)
        }
    }

    /// Year and genres of every movie, by database id: what ``RecommendationFilter`` selects on.
    public func movieFacets() throws -> [Int64: (year: Int?, genres: [String])] {
        try catalogueRead("reading movie years and genres") { db in
            var result: [Int64: (year: Int?, genres: [String])] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, year, genres FROM movies") {
                let genres: String? = row[2]
                result[row[0]] = (row[1], (genres ?? "").split(separator: "|").map(String.init))
            }
            return result
        }
    }

    private func catalogueRead<T>(_ action: String, _ body: (Database) throws -> T) throws -> T {
        do { return try databaseWriter.read(body) } catch { throw StoreError.wrapping(error, database: path, while: action) }
    }
}
