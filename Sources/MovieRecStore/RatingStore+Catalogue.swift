import Foundation
import GRDB

extension RatingStore {
    /// Every movie of the store as a ``CatalogueEntry`` (external id, title, year, IMDb id), in database-id order:
    /// what a ``TitleMatcher`` is built from. The IMDb id is the `movies.imdb_id` a links import stored
    /// (`tt0114709`); `nil` for a movie without one, and for every movie of a store without that column.
    public func catalogueEntries() throws -> [CatalogueEntry] {
        try catalogueRead("reading the movie catalogue") { db in
            let hasIMDb = try Bool.fetchOne(db, sql: """
                SELECT EXISTS(SELECT 1 FROM pragma_table_info('movies') WHERE name = 'imdb_id')
                """) ?? false
            let sql = "SELECT external_id, title, year\(hasIMDb ? ", imdb_id" : "") FROM movies ORDER BY id"
            return try Row.fetchAll(db, sql: sql).map { row in
                let imdb: String? = hasIMDb ? row[3] : nil
                return CatalogueEntry(externalID: row[0], title: row[1], year: row[2],
                                      imdbID: imdb.flatMap(TitleMatcher.imdbNumber))
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
        do { return try databaseReader.read(body) } catch { throw StoreError.wrapping(error, database: path, while: action) }
    }
}
