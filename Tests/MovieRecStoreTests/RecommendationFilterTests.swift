import Foundation
import MovieRecModel
import Testing
@testable import MovieRecStore

@Suite("RecommendationFilter: genres, years, exclusions into the model's candidate mask")
struct RecommendationFilterTests {
    /// A store with five films (genres as in movies.csv and as u.item flags would give them) and a few ratings.
    private func store(_ scratch: Scratch) throws -> RatingStore {
        let movies = try scratch.write("movies.csv", """
            movieId,title,genres
            10,Star Wars (1977),Action|Adventure|Sci-Fi
            20,"Matrix, The (1999)",Action|Sci-Fi|Thriller
            30,Iron Man (2008),Action|Adventure|Sci-Fi
            40,You've Got Mail (1998),Comedy|Romance
            50,Untitled,(no genres listed)

            """)
        let ratings = try scratch.write("ratings.csv", "userId,movieId,rating,timestamp\n1,10,4,1\n1,40,2,2\n2,20,5,3\n")
        _ = try RatingsImporter(databasePath: scratch.path("db.sqlite"), options: ImportOptions(moviesFile: movies))
            .run(ratingsFile: ratings)
        return try RatingStore(path: scratch.path("db.sqlite"), createIfMissing: false)
    }

    /// The external ids whose flag is set, for the store's movies in database-id order.
    private func allowedIDs(_ filter: RecommendationFilter, _ store: RatingStore) throws -> [String] {
        let table = try store.loadRatings()
        let candidates = try filter.candidates(store: store, movieIDs: table.movieIDs)
        let flags = try #require(candidates.allowed)
        return zip(table.movieExternalIDs, flags).filter(\.1).map(\.0)
    }

    @Test("genre (any of, any case), years, exclusions; the default is no mask")
    func masks() throws {
        let scratch = try Scratch()
        let store = try store(scratch)
        #expect(try RecommendationFilter().candidates(store: store, movieIDs: [1, 2]) == .unrated)
        #expect(try RecommendationFilter(includeRated: true).candidates(store: store, movieIDs: [1]).includeRated)
        #expect(try allowedIDs(RecommendationFilter(genres: ["adventure"]), store).sorted() == ["10", "30"])
        #expect(try allowedIDs(RecommendationFilter(genres: ["Romance", "Thriller"]), store).sorted() == ["20", "40"])
        // A film without a year never passes a year filter.
        #expect(try allowedIDs(RecommendationFilter(years: 1990...1999), store).sorted() == ["20", "40"])
        #expect(try allowedIDs(RecommendationFilter(genres: ["Sci-Fi"], years: 1990...2010, excludedMovies: ["20"]), store) == ["30"])
        let error = #expect(throws: StoreError.self) {
            _ = try RecommendationFilter(genres: ["Western"]).candidates(store: store, movieIDs: [])
        }
        #expect(error?.description.contains("no movie has the genre \"Western\": expected one of (no genres listed), Action, Adventure") == true)
    }

    @Test("year ranges: FROM..TO, FROM-TO, one year, open ends; nonsense and reversed ranges are errors")
    func years() throws {
        #expect(try RecommendationFilter.years("1990..1999") == 1990...1999)
        #expect(try RecommendationFilter.years("1990-1999") == 1990...1999)
        #expect(try RecommendationFilter.years(" 1995 ") == 1995...1995)
        #expect(try RecommendationFilter.years("2000..") == 2000...9999)
        #expect(try RecommendationFilter.years("..1950") == 0...1950)
        for bad in ["", "..", "abc", "1990..1999..2000", "19999", "1999..1990", "-"] {
            #expect(throws: StoreError.self, "\(bad)") { _ = try RecommendationFilter.years(bad) }
        }
    }

    @Test("--exclude: comma-separated ids must exist; a file of titles is matched, its misses listed")
    func exclusions() throws {
        let scratch = try Scratch()
        let store = try store(scratch)
        let matcher = TitleMatcher(entries: try store.catalogueEntries())
        #expect(try RecommendationFilter.excludedMovies("10, 20", matcher: matcher).movies == ["10", "20"])
        #expect(throws: StoreError.self) { _ = try RecommendationFilter.excludedMovies("10,99", matcher: matcher) }
        let file = try scratch.write("seen.csv", "The Matrix (1999)\nIron Man\nNope (2022)\n")
        let excluded = try RecommendationFilter.excludedMovies(file, matcher: matcher)
        #expect(excluded.movies == ["20", "30"])
        #expect(excluded.unmatched.map(\.line) == [3])
        #expect(try store.ratingScale() == 2...5)
    }
}

@Suite("The store's catalogue for the TitleMatcher")
struct StoreCatalogueTests {
    @Test("catalogueEntries reads ids, titles, years and the IMDb ids a links import stores in movies.imdb_id")
    func imdbIDs() throws {
        let scratch = try Scratch()
        let movies = try scratch.write("movies.csv", "movieId,title,genres\n1,Heat (1995),Crime\n2,Brazil,Comedy\n")
        let ratings = try scratch.write("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4,1\n")
        let path = scratch.path("db.sqlite")
        _ = try RatingsImporter(databasePath: path, options: ImportOptions(moviesFile: movies)).run(ratingsFile: ratings)
        let store = try RatingStore(path: path, createIfMissing: false)
        #expect(try store.catalogueEntries() == [CatalogueEntry(externalID: "1", title: "Heat (1995)", year: 1995),
                                                 CatalogueEntry(externalID: "2", title: "Brazil", year: nil)])
        // What a links import writes (the column comes from the store's links migration where it exists).
        try store.databaseWriter.write { db in
            let has = try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM pragma_table_info('movies') WHERE name = 'imdb_id')") ?? false
            if !has { try db.execute(sql: "ALTER TABLE movies ADD COLUMN imdb_id TEXT") }
            try db.execute(sql: "UPDATE movies SET imdb_id = 'tt0113277' WHERE external_id = '1'")
        }
        let entries = try store.catalogueEntries()
        #expect(entries.map(\.imdbID) == [113277, nil])
        let matched = TitleMatcher(entries: entries).match(MovieReference(imdbID: 113277, titles: ["Something Else"]))
        #expect(matched == .matched(entries[0], .imdbID))
    }
}
