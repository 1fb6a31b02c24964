import Foundation

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A monotonic stopwatch (`ContinuousClock`), read in seconds or milliseconds.
struct Stopwatch {
    private let clock = ContinuousClock()
    private var started: ContinuousClock.Instant

    /// Starts timing now.
    init() { started = clock.now }

    /// Seconds since the start.
    var seconds: Double {
        let elapsed = clock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// Milliseconds since the start.
    var milliseconds: Double { seconds * 1000 }

    /// Runs `body` and returns its result with the seconds it took.
    static func time<T>(_ body: () throws -> T) rethrows -> (result: T, seconds: Double) {
        let watch = Stopwatch()
        let result = try body()
        return (result, watch.seconds)
    }
}

/// Latency percentiles of a sample.
struct Percentiles {
    /// The sample, ascending.
    let sorted: [Double]

    /// Sorts `sample` (at least one value).
    init(_ sample: [Double]) {
        precondition(!sample.isEmpty, "Percentiles: empty sample")
        sorted = sample.sorted()
    }

    /// The nearest-rank p-th percentile: the smallest value with at least p % of the sample at or below
    /// it, `sorted[⌈p/100·n⌉ − 1]`.
    func value(_ p: Double) -> Double {
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// What the operating system says about this process and the machine.
enum SystemProbe {
    /// The peak resident set size of this process in bytes: `VmHWM` from `/proc/self/status` on Linux,
    /// else `getrusage`'s `ru_maxrss` (kilobytes on Linux, bytes on macOS).
    static func peakResidentBytes() -> Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
           let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
            return kilobytes * 1024
        }
        var usage = rusage()
        #if canImport(Darwin)
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss)
        #else
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) * 1024
        #endif
    }

    /// CPU seconds (user + system, all threads) this process has used so far: what a step costs whatever
    /// else the machine is doing, unlike its wall time.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        #if canImport(Darwin)
        getrusage(RUSAGE_SELF, &usage)
        #else
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #endif
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// The one-minute load average (how many processes wanted a CPU), or −1 when unavailable.
    static func loadAverage() -> Double {
        var loads = [Double](repeating: 0, count: 3)
        return getloadavg(&loads, 3) >= 1 ? loads[0] : -1
    }

    /// Number of online processors.
    static var processorCount: Int { ProcessInfo.processInfo.activeProcessorCount }
}
