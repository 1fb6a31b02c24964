import Foundation

/// One self-overwriting status line on stderr (`training: truncated SVD of the residuals`), drawn only when
/// enabled (stderr is a terminal and `--quiet` is off) and cleared by ``finish()``.
final class StageLine {
    private let enabled: Bool
    private var drew = false

    /// A line that draws only when `enabled`.
    init(enabled: Bool) { self.enabled = enabled }

    /// Replaces the line with `text`.
    func show(_ text: String) {
        guard enabled else { return }
        drew = true
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text + "…").utf8))
    }

    /// Clears the line if anything was drawn.
    func finish() {
        guard drew else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drew = false
    }
}
