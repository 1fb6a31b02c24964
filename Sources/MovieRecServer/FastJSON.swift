import MovieRecService

/// A byte buffer that JSON is written into directly: the hot responses (recommendations, similar users and
/// films) are written by hand instead of through `JSONEncoder`, which took about a third of a recommendation
/// request's time. The output is the same JSON as `JSONEncoder` with sorted keys and unescaped slashes
/// (the route tests compare both).
struct JSONBuffer {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A JSON string literal with `"`, `\` and control characters escaped.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        let utf8 = text.utf8
        // The common case, a native string with nothing to escape: one scan of its bytes, then one copy.
        let plain = utf8.withContiguousStorageIfAvailable { buffer -> Bool in
            for byte in buffer where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                return false
            }
            bytes.append(contentsOf: buffer)
            return true
        }
        if plain == true {
            bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0..<0x20:
                raw("\\u00")
                let digits: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A number as `JSONEncoder` writes it: the shortest representation, without a trailing `.0`.
    mutating func number(_ value: Float) {
        guard value.isFinite else { return raw("null") }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }

    mutating func number(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ value: Bool) { value ? raw("true") : raw("false") }

    /// `"key":` (a comma first unless `first`).
    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        raw("\":")
    }
}

/// A result the server writes with ``JSONBuffer``.
protocol FastJSONEncodable {
    /// Writes the value as JSON (keys sorted as `JSONEncoder` with `.sortedKeys` sorts them).
    func write(to json: inout JSONBuffer)
}

extension FastJSONEncodable {
    /// The JSON bytes.
    var fastJSON: [UInt8] {
        var json = JSONBuffer(capacity: 4096)
        write(to: &json)
        return json.bytes
    }
}

extension RecommendationList: FastJSONEncodable {
    func write(to json: inout JSONBuffer) {
        // `unmatched` (files of the CLI only) is never set by the server's routes; it keeps the generic encoder.
        json.raw("{")
        json.key("newUser", first: true)
        json.bool(newUser)
        json.key("recommendations")
        json.raw("[")
        for (n, item) in recommendations.enumerated() {
            if n > 0 { json.raw(",") }
            json.raw("{")
            var first = true
            if let attentionScore = item.attentionScore {
                json.key("attentionScore", first: true)
                first = false
                json.number(attentionScore)
            }
            if let because = item.because {
                json.key("because", first: first)
                first = false
                json.raw("[")
                for (r, reason) in because.enumerated() {
                    if r > 0 { json.raw(",") }
                    json.raw("{")
                    json.key("contribution", first: true)
                    json.number(reason.contribution)
                    json.key("cosine")
                    json.number(reason.cosine)
                    json.key("kind")
                    json.string(reason.kind)
                    if let movie = reason.movie {
                        json.key("movie")
                        json.string(movie)
                    }
                    json.key("rating")
                    json.number(reason.rating)
                    json.key("share")
                    json.number(reason.share)
                    json.key("sharedFavourites")
                    json.raw("[")
                    for (f, favourite) in reason.sharedFavourites.enumerated() {
                        if f > 0 { json.raw(",") }
                        json.string(favourite)
                    }
                    json.raw("]")
                    json.key("text")
                    json.string(reason.text)
                    if let title = reason.title {
                        json.key("title")
                        json.string(title)
                    }
                    if let user = reason.user {
                        json.key("user")
                        json.string(user)
                    }
                    json.key("weight")
                    json.number(reason.weight)
                    json.raw("}")
                }
                json.raw("]")
            }
            json.key("movie", first: first)
            json.string(item.movie)
            json.key("predictedRating")
            json.number(item.predictedRating)
            if let ratedMovieScore = item.ratedMovieScore {
                json.key("ratedMovieScore")
                json.number(ratedMovieScore)
            }
            if let ratedMovieShare = item.ratedMovieShare {
                json.key("ratedMovieShare")
                json.number(ratedMovieShare)
            }
            json.key("score")
            json.number(item.score)
            if let supportShare = item.supportShare {
                json.key("supportShare")
                json.number(supportShare)
            }
            if let supporters = item.supporters {
                json.key("supporters")
                json.number(supporters)
            }
            json.key("title")
            json.string(item.title)
            if let watchScore = item.watchScore {
                json.key("watchScore")
                json.number(watchScore)
            }
            json.raw("}")
        }
        json.raw("]")
        json.key("user")
        json.string(user)
        json.raw("}")
    }
}

extension SimilarUsers: FastJSONEncodable {
    func write(to json: inout JSONBuffer) {
        json.raw("{")
        json.key("similar", first: true)
        json.raw("[")
        for (n, match) in similar.enumerated() {
            if n > 0 { json.raw(",") }
            json.raw("{")
            json.key("commonMovies", first: true)
            json.number(match.commonMovies)
            json.key("cosine")
            json.number(match.cosine)
            json.key("score")
            json.number(match.score)
            json.key("user")
            json.string(match.user)
            json.raw("}")
        }
        json.raw("]")
        json.key("user")
        json.string(user)
        json.raw("}")
    }
}

extension SimilarMovies: FastJSONEncodable {
    func write(to json: inout JSONBuffer) {
        json.raw("{")
        json.key("movie", first: true)
        json.string(movie)
        json.key("similar")
        json.raw("[")
        for (n, film) in similar.enumerated() {
            if n > 0 { json.raw(",") }
            json.raw("{")
            json.key("cosine", first: true)
            json.number(film.cosine)
            json.key("movie")
            json.string(film.movie)
            json.key("ratings")
            json.number(film.ratings)
            json.key("score")
            json.number(film.score)
            json.key("title")
            json.string(film.title)
            json.raw("}")
        }
        json.raw("]")
        json.key("title")
        json.string(title)
        json.raw("}")
    }
}
