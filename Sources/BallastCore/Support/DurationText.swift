/// Durations as people write them in options and query strings.
public enum DurationText {
    /// Parses `60s`, `2m`, `500ms`, `1h` or a plain number of seconds, from zero to a year;
    /// nil for anything else (negative, not a number, infinite, absurdly long).
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("", 1)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let number = Double(text.dropLast(suffix.count)), number.isFinite, number >= 0 else { continue }
            let seconds = number * scale
            guard seconds <= 366 * 86_400 else { return nil }
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        return nil
    }
}
