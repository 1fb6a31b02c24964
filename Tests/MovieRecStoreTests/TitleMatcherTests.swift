import Foundation
import Testing
@testable import MovieRecStore

/// A small catalogue in MovieLens style (titles with a trailing year, articles moved to the end), written for
/// these tests: two films share a title and year, two share a title in different years.
enum TestCatalogue {
    static let entries: [CatalogueEntry] = [
        CatalogueEntry(externalID: "1", title: "Star Wars: Episode IV - A New Hope (1977)", year: 1977, imdbID: 76759),
        CatalogueEntry(externalID: "2", title: "Matrix, The (1999)", year: 1999),
        CatalogueEntry(externalID: "3", title: "Heat (1995)", year: 1995),
        CatalogueEntry(externalID: "4", title: "Heat (1986)", year: 1986),
        CatalogueEntry(externalID: "5", title: "Emma (1996)", year: 1996),
        CatalogueEntry(externalID: "6", title: "Emma (1996)", year: 1996),
        CatalogueEntry(externalID: "7", title: "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)", year: 2001),
        CatalogueEntry(externalID: "8", title: "Seven (a.k.a. Se7en) (1995)", year: 1995),
        CatalogueEntry(externalID: "9", title: "Hamlet (1990)", year: 1990),
        CatalogueEntry(externalID: "10", title: "Hamlet (1996)", year: 1996),
        CatalogueEntry(externalID: "11", title: "Paddington (2014)", year: 2014),
        CatalogueEntry(externalID: "12", title: "Avventura, L' (1960)", year: 1960),
        CatalogueEntry(externalID: "13", title: "Fast & Furious (2009)", year: 2009),
        CatalogueEntry(externalID: "14", title: nil, year: nil),
    ]

    static let matcher = TitleMatcher(entries: entries)
}

@Suite("TitleMatcher: ids, IMDb ids, exact and normalised titles, years")
struct TitleMatcherTests {
    private let matcher = TestCatalogue.matcher

    /// The id and method of a match, or a description of why there was none.
    private func outcome(_ title: String?, year: Int? = nil, id: String? = nil, imdb: Int? = nil) -> String {
        let reference = MovieReference(movieID: id, imdbID: imdb, titles: title.map { [$0] } ?? [], year: year)
        switch matcher.match(reference) {
        case .matched(let entry, let method): return "\(entry.externalID) \(method.rawValue)"
        case .ambiguous(let entries): return "ambiguous " + entries.map(\.externalID).joined(separator: ",")
        case .unmatched(let entries): return "unmatched " + entries.map(\.externalID).joined(separator: ",")
        }
    }

    @Test("normalise: MovieLens's trailing article, case, accents, punctuation, & and apostrophes")
    func normalise() {
        #expect(TitleMatcher.normalise("Matrix, The") == "matrix")
        #expect(TitleMatcher.normalise("The Matrix") == "matrix")
        #expect(TitleMatcher.normalise("THE MATRIX") == "matrix")
        #expect(TitleMatcher.normalise("Beautiful Mind, A") == TitleMatcher.normalise("A Beautiful Mind"))
        #expect(TitleMatcher.normalise("Amélie") == "amelie")
        #expect(TitleMatcher.normalise("Star Wars: Episode IV - A New Hope") == "star wars episode iv a new hope")
        #expect(TitleMatcher.normalise("Cité des enfants perdus, La") == "la cite des enfants perdus")
        #expect(TitleMatcher.normalise("Avventura, L'") == "lavventura")
        #expect(TitleMatcher.normalise("L’Avventura") == "lavventura")
        #expect(TitleMatcher.normalise("Fast & Furious") == "fast and furious")
        #expect(TitleMatcher.normalise("You've Got Mail") == "youve got mail")
        // A title that only looks like "…, article" keeps its words; a lone article is kept.
        #expect(TitleMatcher.normalise("I, Robot") == "i robot")
        #expect(TitleMatcher.normalise("The") == "the")
    }

    @Test("aliases: the title without its year, the part before the parentheses, each alternative without a.k.a.")
    func aliases() {
        #expect(TitleMatcher.aliases(ofCatalogueTitle: "Seven (a.k.a. Se7en) (1995)") == ["Seven (a.k.a. Se7en)", "Seven", "Se7en"])
        #expect(TitleMatcher.aliases(ofCatalogueTitle: "Matrix, The (1999)") == ["Matrix, The"])
        #expect(TitleMatcher.aliases(ofCatalogueTitle: "Brazil") == ["Brazil"])
        #expect(TitleMatcher.strippingYear("Babylon 5 (1994-1998)") == "Babylon 5")
        #expect(TitleMatcher.strippingYear("Heat") == "Heat")
    }

    @Test("matching order: movie id, IMDb id, exact title + year, normalised title + year ±1, title alone")
    func order() {
        #expect(outcome("Heat", year: 1995, id: "2") == "2 movie-id")
        // The IMDb id wins over a title that names another film.
        #expect(outcome("Heat", year: 1995, imdb: 76759) == "1 imdb-id")
        #expect(outcome("Matrix, The", year: 1999) == "2 exact-title")
        #expect(outcome("The Matrix", year: 1999) == "2 normalised-title")
        #expect(outcome("the matrix", year: 2000) == "2 normalised-title")
        #expect(outcome("The Matrix", year: 1998) == "2 normalised-title")
        #expect(outcome("Star Wars: Episode IV – A New Hope", year: 1977) == "1 normalised-title")
        #expect(outcome("Heat", year: 1995) == "3 exact-title")
        #expect(outcome("HEAT", year: 1986) == "4 normalised-title")
        #expect(outcome("Se7en", year: 1995) == "8 exact-title")
        #expect(outcome("Amelie", year: 2001) == "7 normalised-title")
        #expect(outcome("L'Avventura", year: 1960) == "12 normalised-title")
        #expect(outcome("Fast and Furious", year: 2009) == "13 normalised-title")
        #expect(outcome("Paddington") == "11 title-only")
        #expect(outcome("the matrix") == "2 title-only")
    }

    @Test("never guessed: a shared title and year is ambiguous; a year more than 1 away lists the candidates")
    func noGuess() {
        #expect(outcome("Emma", year: 1996) == "ambiguous 5,6")
        #expect(outcome("Heat") == "ambiguous 3,4")
        #expect(outcome("Hamlet", year: 1948) == "unmatched 9,10")
        #expect(outcome("The Matrix", year: 2003) == "unmatched 2")
        #expect(outcome("No Such Film", year: 2000) == "unmatched ")
        #expect(outcome("No Such Film") == "unmatched ")
        // An id that is not in the catalogue falls through to the title (an all-digit title here: none).
        #expect(outcome("99", id: "99") == "unmatched ")
    }

    @Test("a movie field: a tt IMDb id, else an id also tried as a title with its year")
    func movieField() {
        #expect(MovieReference(field: " tt0133093 ") == MovieReference(imdbID: 133093))
        #expect(MovieReference(field: "Matrix, The (1999)")
                == MovieReference(movieID: "Matrix, The (1999)", titles: ["Matrix, The"], year: 1999))
        #expect(MovieReference(field: "42") == MovieReference(movieID: "42", titles: ["42"], year: nil))
        // "tt" followed by something other than digits is a title.
        #expect(MovieReference(field: "ttx").movieID == "ttx")
        let request = PersonalRatingsFile(file: "request body", format: .movieRating, lines: [
            .init(line: 1, reference: MovieReference(field: "The Matrix (1999)"), rating: 4),
            .init(line: 2, reference: MovieReference(field: "Nope"), rating: 3),
        ])
        let resolved = try? request.resolve(with: matcher, scale: 0.5...5)
        #expect(resolved?.ratings.map(\.movie.externalID) == ["2"])
        #expect(resolved?.unmatched.map(\.line) == [2])
    }

    @Test("IMDb ids: tt-prefixed or bare digits, written back with seven digits")
    func imdbIDs() {
        #expect(TitleMatcher.imdbNumber("tt0133093") == 133093)
        #expect(TitleMatcher.imdbNumber("0114709") == 114709)
        #expect(TitleMatcher.imdbNumber("tt") == nil)
        #expect(TitleMatcher.imdbNumber("tt12x") == nil)
        #expect(TitleMatcher.imdbString(133093) == "tt0133093")
        #expect(TitleMatcher.imdbString(12345678) == "tt12345678")
    }
}
