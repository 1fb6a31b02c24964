import MovieRecNumerics
/// Word lists and patterns that make plausible film titles such as "The Silent Harbor",
/// "Midnight in Verona", "Harbor, The" (MovieLens moves a leading article to the end) or
/// "Love, Lies and Lemonade". All words are generic English words or place and first names.
enum MovieTitles {
    static let adjectives = [
        "Silent", "Broken", "Last", "Golden", "Hidden", "Crimson", "Lonely", "Dark", "Endless", "Secret",
        "Burning", "Frozen", "Wild", "Lost", "Electric", "Quiet", "Forgotten", "Savage", "Little", "Gentle",
        "Restless", "Hollow", "Bitter", "Sweet", "Distant", "Midnight", "Iron", "Velvet", "Scarlet", "Final",
        "Wandering", "Shattered", "Brave", "Sleeping", "Invisible", "Eternal", "Northern", "Sudden", "Perfect", "Strange",
    ]
    static let nouns = [
        "Harbor", "Garden", "Stranger", "Mirror", "River", "Kingdom", "Promise", "Horizon", "Shadow", "Storm",
        "Letter", "Winter", "Summer", "Road", "Island", "Empire", "Circle", "Witness", "Heart", "Machine",
        "Dream", "Signal", "Frontier", "Lighthouse", "Orchard", "Voyage", "Bridge", "Canyon", "Station", "Detective",
        "Dancer", "Hunter", "Soldier", "Pilgrim", "Thief", "Prophet", "Window", "Fortune", "Season", "Echo",
        "Moon", "Train", "Crown", "Valley", "Ocean", "Tide", "Flame", "Return", "Silence", "Game",
    ]
    static let places = [
        "Verona", "Paris", "Tokyo", "Brooklyn", "Havana", "Lisbon", "Alaska", "Marrakesh", "Vienna", "Texas",
        "Saigon", "Berlin", "Naples", "Montana", "Cairo", "Dublin", "Memphis", "Shanghai", "Oslo", "Tangier",
        "Manhattan", "Prague", "Bombay", "Sicily", "Chicago", "Moscow", "Seville", "Kyoto", "Harlem", "Provence",
    ]
    static let names = [
        "Anna", "Jack", "Rosa", "Max", "Eleanor", "Sam", "Lucy", "Vincent", "Clara", "Tom",
        "Mia", "Oscar", "Grace", "Leo", "Nora", "Frank", "Ivy", "Hugo", "Ruby", "Walter",
        "Sofia", "Eddie", "Hazel", "Otis", "June", "Felix", "Iris", "Harvey", "Stella", "Milo",
    ]
    static let times = ["Midnight", "Dawn", "Sunday", "Summer", "Twilight", "Christmas", "Noon", "Autumn"]
    static let subtitles = [
        "The Reckoning", "Homecoming", "The Last Stand", "Revelations", "The Return", "Origins",
        "Rising", "Endgame", "The Lost City", "Redemption",
    ]

    /// English plural of a noun from `nouns` ("Thief" → "Thieves", "Echo" → "Echoes", "Witness" → "Witnesses").
    static func plural(_ noun: String) -> String {
        if noun.hasSuffix("f") { return noun.dropLast() + "ves" }
        if noun.hasSuffix("s") || noun.hasSuffix("o") || noun.hasSuffix("ch") { return noun + "es" }
        return noun + "s"
    }

    /// A title drawn from one of several patterns, without the year.
    static func make(using rng: inout SeededGenerator) -> String {
        func pick(_ words: [String]) -> String {
            words[Int(rng.next() % UInt64(words.count))]
        }
        let pattern = rng.nextUniform()
        switch pattern {
        case ..<0.22:
            let core = "\(pick(adjectives)) \(pick(nouns))"
            return rng.nextUniform() < 0.6 ? "\(core), The" : "The \(core)"
        case ..<0.34:
            let linker = rng.nextUniform() < 0.5 ? "in" : "of"
            return "\(pick(times)) \(linker) \(pick(places))"
        case ..<0.44:
            return "\(pick(names))'s \(pick(nouns))"
        case ..<0.56:
            return "\(pick(adjectives)) \(plural(pick(nouns)))"
        case ..<0.64:
            return "\(pick(nouns)) of the \(pick(nouns))"
        case ..<0.70:
            return "\(plural(pick(nouns))), \(plural(pick(nouns))) and \(plural(pick(nouns)))"
        case ..<0.75:
            return "\(pick(nouns)) for \(pick(names)), A"
        case ..<0.78:
            return "\"\(pick(adjectives)) \(pick(nouns))\" \(pick(nouns))"
        case ..<0.86:
            let sequel = rng.nextUniform() < 0.5 ? "2" : "II: \(pick(subtitles))"
            return "\(pick(adjectives)) \(pick(nouns)) \(sequel)"
        case ..<0.93:
            return pick(places)
        default:
            return "\(pick(nouns))"
        }
    }
}
