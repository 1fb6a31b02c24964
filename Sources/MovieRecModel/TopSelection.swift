/// Keeps the `capacity` best `(score, index)` pairs offered, in O(n log capacity) with no full sort.
///
/// "Best" = higher score, ties broken by the lower index, so the result is deterministic.
/// NaN scores are ignored.
struct TopSelection {
    /// A kept candidate.
    struct Entry: Equatable {
        /// The score.
        var score: Float
        /// The index of the candidate.
        var index: Int
    }

    /// How many entries are kept.
    let capacity: Int
    /// A binary heap whose root is the worst kept entry.
    private var heap: [Entry] = []

    /// Creates an empty selection keeping at most `capacity` entries.
    init(capacity: Int) {
        self.capacity = max(0, capacity)
        heap.reserveCapacity(self.capacity)
    }

    @inline(__always)
    private static func isBetter(_ a: Entry, _ b: Entry) -> Bool {
        a.score > b.score || (a.score == b.score && a.index < b.index)
    }

    /// Offers a candidate; it is kept when fewer than `capacity` are held or it beats the worst held.
    @inline(__always)
    mutating func offer(score: Float, index: Int) {
        guard capacity > 0, !score.isNaN else { return }
        let entry = Entry(score: score, index: index)
        if heap.count < capacity {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard Self.isBetter(heap[parent], heap[child]) else { break }
                heap.swapAt(parent, child)
                child = parent
            }
        } else if Self.isBetter(entry, heap[0]) {
            heap[0] = entry
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < heap.count else { break }
                var worst = left
                if left + 1 < heap.count && Self.isBetter(heap[left], heap[left + 1]) { worst = left + 1 }
                guard Self.isBetter(heap[parent], heap[worst]) else { break }
                heap.swapAt(parent, worst)
                parent = worst
            }
        }
    }

    /// The kept entries, best first.
    func sorted() -> [Entry] {
        heap.sorted(by: Self.isBetter)
    }
}
