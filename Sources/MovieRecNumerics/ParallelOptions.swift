import Dispatch

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How many worker threads the numeric kernels may use.
///
/// Results never depend on `threadCount`: work is split so that every output element is computed by
/// exactly one worker with a fixed summation order, so 1 and N threads give bit-identical results.
public struct ParallelOptions: Sendable, Equatable {
    /// The number of workers (at least 1).
    public var threadCount: Int

    /// Creates options with `threadCount` workers (values below 1 are treated as 1).
    public init(threadCount: Int) {
        self.threadCount = max(1, threadCount)
    }

    /// One worker per active processor.
    public static var `default`: ParallelOptions {
        ParallelOptions(threadCount: activeProcessorCount())
    }

    /// A single worker: everything runs on the calling thread.
    public static let serial = ParallelOptions(threadCount: 1)

    /// Runs `body` once for each of `taskCount` tasks, spreading them over the workers
    /// (task `t` goes to worker `t mod threadCount`). Tasks must write disjoint outputs.
    func forEachTask(_ taskCount: Int, _ body: (Int) -> Void) {
        guard taskCount > 0 else { return }
        let workers = min(threadCount, taskCount)
        if workers == 1 {
            for task in 0..<taskCount { body(task) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var task = worker
            while task < taskCount {
                body(task)
                task += workers
            }
        }
    }

    /// Splits `0..<count` into contiguous ranges (about eight per worker) and runs `body` on each.
    func forEachRange(_ count: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(count, threadCount == 1 ? 1 : threadCount * 8)
        forEachTask(chunks) { chunk in
            body((chunk * count / chunks)..<((chunk + 1) * count / chunks))
        }
    }
}

private func activeProcessorCount() -> Int {
    #if canImport(Darwin) || canImport(Glibc) || canImport(Musl)
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return 1
    #endif
}
