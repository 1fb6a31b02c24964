import Foundation
import MovieRecStore

/// A one-line progress bar on stderr: `parsing [#####-----]  45%  120/270 MB  3.1 M rows/s  ETA 3 s`.
///
/// Draws only when enabled (stderr is a terminal and `--quiet` is off), not before half a second has passed
/// (quick imports print nothing), and at most ten times a second.
final class ProgressBar {
    private let enabled: Bool
    private let started = DispatchTime.now().uptimeNanoseconds
    private var lastDraw: UInt64 = 0
    private var phase: ImportProgress.Phase?
    private var phaseStarted: UInt64 = 0
    private var drew = false

    /// A bar that draws only when `enabled`.
    init(enabled: Bool) { self.enabled = enabled }

    /// Redraws the bar for `progress` (throttled).
    func update(_ progress: ImportProgress) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        if phase != progress.phase {
            phase = progress.phase
            phaseStarted = now
        }
        let elapsed = Double(now - started) / 1e9
        let phaseElapsed = Double(now - phaseStarted) / 1e9
        guard elapsed >= 0.5 else { return }
        guard now - lastDraw >= 100_000_000 || progress.completed == progress.total else { return }
        lastDraw = now
        drew = true
        let fraction = progress.total > 0 ? min(1, Double(progress.completed) / Double(progress.total)) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let amount: String
        switch progress.phase {
        case .parsing:
            amount = "\(progress.completed / 1_000_000)/\(progress.total / 1_000_000) MB"
        case .writing:
            amount = "\(groupedDigits(progress.completed))/\(groupedDigits(progress.total)) rows"
        }
        let measured = phaseElapsed >= 0.3
        let rate = measured ? String(format: "  %.1f M rows/s", Double(progress.rows) / phaseElapsed / 1e6) : ""
        let eta = measured && fraction > 0.01 && fraction < 1 ? " ETA \(Int((phaseElapsed / fraction - phaseElapsed).rounded())) s" : ""
        let line = String(format: "%@ [%@] %3d%%  %@%@%@", progress.phase.rawValue, bar, Int(fraction * 100), amount,
                          rate, eta)
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    /// Clears the bar line if anything was drawn.
    func finish() {
        guard drew else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drew = false
    }
}

/// `1234567` → `"1,234,567"` (locale-independent, for stable output).
func groupedDigits(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (offset, character) in digits.enumerated() {
        if offset > 0 && (digits.count - offset) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return value < 0 ? "-" + result : result
}
