import MovieRecNumerics
import Foundation

/// The 19 MovieLens genres with their relative frequency in MovieLens catalogues (films per genre),
/// used to give each synthetic film one to four genres.
enum MovieLensGenre {
    static let names = [
        "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ]
    static let weights: [Double] = [
        1828, 1263, 611, 664, 3756, 1199, 440, 4361, 779, 87, 978, 158, 334, 573, 1596, 980, 1894, 382, 167,
    ]
    /// What MovieLens writes for a film without genres.
    static let none = "(no genres listed)"

    /// Draws one genre index with probability proportional to `weights`, skipping those in `excluded`.
    static func draw(excluding excluded: [Int], using rng: inout SeededGenerator) -> Int {
        var total = 0.0
        for (index, weight) in weights.enumerated() where !excluded.contains(index) { total += weight }
        var target = rng.nextUniform() * total
        for (index, weight) in weights.enumerated() where !excluded.contains(index) {
            target -= weight
            if target < 0 { return index }
        }
        return weights.indices.last { !excluded.contains($0) } ?? 0
    }
}

/// Number of latent taste dimensions shared by films and users.
let tasteDimensions = 12

/// The films of a synthetic data set: release years (ascending with the id, like MovieLens ids that grow
/// over time), genres, titles, popularity and the latent parameters of the rating model.
///
/// Popularity is log-normal with a soft cap: `w = e^{σz} / (1 + e^{σz} / e^{σ·3})`, σ = 2.5, z ~ N(0, 1),
/// which gives MovieLens' shape — most films with a handful of ratings, a few with very many.
/// The film bias is `b_i = 0.35·ξ + 0.12·z` (popular films are rated a little higher) and the taste vector
/// `q_i` is the unit-length sum of its genres' embeddings plus noise, so films of a genre point the same way.
struct MovieCatalog {
    /// Release timestamp (1 January of the year, seconds since 1970), ascending with the film index.
    let releaseTimes: [Int64]
    /// Release year of each film.
    let years: [Int]
    /// Title field of each film ("Title (Year)"), CSV-quoted where needed.
    let titleFields: [String]
    /// Genre field per film, `A|B|C`.
    let genreFields: [String]
    /// Popularity weights (unnormalised, > 0).
    let popularity: [Double]
    /// Film biases b_i.
    let biases: [Float]
    /// Taste vectors q_i, `tasteDimensions` floats per film, row-major.
    let tastes: [Float]
    /// Genre embeddings, `tasteDimensions` floats per genre, row-major (shared with user tastes).
    let genreEmbeddings: [Float]

    init(movies: Int, seed: UInt64) {
        var rng = SeededGenerator(seed: streamSeed(seed, stream: 1, index: 0))
        let d = tasteDimensions
        var embeddings = [Float](repeating: 0, count: MovieLensGenre.names.count * d)
        let embeddingScale = 1.0 / Double(d).squareRoot()
        for k in embeddings.indices { embeddings[k] = Float(rng.nextGaussian() * embeddingScale) }

        var drawnYears = [Int](repeating: 0, count: movies)
        for index in 0..<movies {
            let back = rng.nextExponential(mean: 17)
            drawnYears[index] = back < 108 ? 2023 - Int(back) : 1916 + Int(rng.next() % 45)
        }
        drawnYears.sort()

        var titles = [String](), genres = [String](), weights = [Double](), biases = [Float]()
        var tastes = [Float](repeating: 0, count: movies * d)
        titles.reserveCapacity(movies)
        genres.reserveCapacity(movies)
        weights.reserveCapacity(movies)
        biases.reserveCapacity(movies)
        let sigma = 2.5
        let softCap = PortableMath.exp(sigma * 3.0)
        for index in 0..<movies {
            let title = "\(MovieTitles.make(using: &rng)) (\(drawnYears[index]))"
            titles.append(csvQuoted(title))

            var chosen = [Int]()
            if rng.nextUniform() >= 0.004 {
                let u = rng.nextUniform()
                let count = u < 0.35 ? 1 : u < 0.70 ? 2 : u < 0.92 ? 3 : 4
                for _ in 0..<count { chosen.append(MovieLensGenre.draw(excluding: chosen, using: &rng)) }
                chosen.sort()
            }
            genres.append(chosen.isEmpty ? MovieLensGenre.none : chosen.map { MovieLensGenre.names[$0] }.joined(separator: "|"))

            let z = rng.nextGaussian()
            let raw = PortableMath.exp(sigma * z)
            weights.append(raw / (1 + raw / softCap))
            biases.append(Float(0.35 * rng.nextGaussian() + 0.12 * z))

            var norm: Float = 0
            for k in 0..<d {
                var value = Float(0.5 * rng.nextGaussian() * embeddingScale)
                for genre in chosen { value += embeddings[genre * d + k] }
                tastes[index * d + k] = value
                norm += value * value
            }
            let inverse = norm > 0 ? 1 / norm.squareRoot() : 0
            for k in 0..<d { tastes[index * d + k] *= inverse }
        }
        self.years = drawnYears
        self.releaseTimes = drawnYears.map { startOfYear($0) }
        self.titleFields = titles
        self.genreFields = genres
        self.popularity = weights
        self.biases = biases
        self.tastes = tastes
        self.genreEmbeddings = embeddings
    }

    /// The whole `movies.csv` file: header `movieId,title,genres`, LF line endings, ids `1…M`.
    func csvBytes() -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(titleFields.count * 48 + 32)
        bytes.append(contentsOf: "movieId,title,genres\n".utf8)
        for index in titleFields.indices {
            appendDecimal(index + 1, to: &bytes)
            bytes.append(UInt8(ascii: ","))
            bytes.append(contentsOf: titleFields[index].utf8)
            bytes.append(UInt8(ascii: ","))
            bytes.append(contentsOf: genreFields[index].utf8)
            bytes.append(UInt8(ascii: "\n"))
        }
        return bytes
    }
}

/// RFC 4180 quoting: a field containing a comma, quote or line break is wrapped in quotes with inner quotes doubled.
func csvQuoted(_ field: String) -> String {
    guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

/// Seconds since 1970-01-01 UTC at the start of 1 January of `year` (proleptic Gregorian calendar).
func startOfYear(_ year: Int) -> Int64 {
    let y = year - 1
    let days = 365 * (year - 1970) + (y / 4 - y / 100 + y / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400)
    return Int64(days) * 86_400
}
