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

    /// Runs `body` once for each of `taskCount` tasks on at most `threadCount` workers. Workers claim the
    /// next unstarted task when they finish one, so a worker slowed down by other processes does not hold
    /// the others up. Tasks must write disjoint outputs (which task runs where never changes a result).
    func forEachTask(_ taskCount: Int, _ body: (Int) -> Void) {
        guard taskCount > 0 else { return }
        let workers = min(threadCount, taskCount)
        if workers == 1 {
            for task in 0..<taskCount { body(task) }
            return
        }
        let queue = TaskQueue(count: taskCount)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while let task = queue.claim() { body(task) }
        }
    }

    /// Splits `0..<count` into contiguous ranges and runs `body` on each. About 32 ranges per worker, so a
    /// worker slowed down by other processes delays the end of the region only a little.
    func forEachRange(_ count: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let chunks = min(count, threadCount == 1 ? 1 : threadCount * 32)
        forEachTask(chunks) { chunk in
            body((chunk * count / chunks)..<((chunk + 1) * count / chunks))
        }
    }
}

/// Hands out task numbers 0, 1, 2, … to concurrent workers, one at a time.
private final class TaskQueue: @unchecked Sendable {
    private let count: Int
    private var next = 0
    private let lock = DispatchQueue(label: "MovieRecNumerics.TaskQueue")

    init(count: Int) { self.count = count }

    /// The next unclaimed task, or `nil` when all have been handed out.
    func claim() -> Int? {
        lock.sync {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
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
