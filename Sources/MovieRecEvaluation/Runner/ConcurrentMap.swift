import Dispatch

/// `(0..<count).map(transform)` computed on up to `threadCount` threads.
///
/// Each index is computed independently and stored at its own position, so the result does not depend
/// on the number of threads. The first error (by index) is rethrown.
func concurrentMap<T>(count: Int, threadCount: Int, _ transform: (Int) throws -> T) throws -> [T] {
    guard threadCount > 1, count > 1 else { return try (0..<count).map(transform) }
    var results = [Result<T, Error>?](repeating: nil, count: count)
    let chunks = min(count, threadCount * 16)
    results.withUnsafeMutableBufferPointer { buffer in
        let output = buffer
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for index in (chunk * count / chunks)..<((chunk + 1) * count / chunks) {
                output[index] = Result { try transform(index) }
            }
        }
    }
    return try results.map { try $0!.get() }
}
