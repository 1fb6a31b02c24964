import MovieRecNumerics

/// Bounded draws, shuffles and samples for the split procedures, on the project's `SeededGenerator`.
///
/// Bounded draws use ``next(below:)`` (not the standard library's `random(in:)`) so a split depends only on
/// this file and the generator, never on the standard library version.
extension SeededGenerator {
    /// A uniform integer in `0..<bound` (Lemire's multiply-and-reject method, no modulo bias).
    mutating func next(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// Shuffles `values` in place (Fisher–Yates, from the back).
    mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, next(below: i + 1))
        }
    }

    /// `count` distinct elements of `values` chosen uniformly (partial Fisher–Yates), in draw order.
    mutating func sample<T>(_ values: [T], count: Int) -> [T] {
        var pool = values
        for i in 0..<count {
            pool.swapAt(i, i + next(below: pool.count - i))
        }
        return Array(pool.prefix(count))
    }
}
