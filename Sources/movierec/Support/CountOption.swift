import ArgumentParser

/// The one rule for every `--count N` option: N ≥ 1. The options are declared with `parsing: .unconditional`, so
/// `--count -1` reaches this check instead of being read as an unknown flag ("Missing value for '--count <N>'").
///
/// - Throws: `ValidationError` "--count must be ≥ 1 (got N)." for N < 1.
func validateCount(_ count: Int) throws {
    guard count >= 1 else { throw ValidationError("--count must be ≥ 1 (got \(count)).") }
}
