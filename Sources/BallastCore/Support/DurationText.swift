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

    /// A duration as people read it, to the second: `45s`, `2m`, `1m30s`, `2h5m`; below a
    /// second, in milliseconds (`500ms`).
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        if seconds < 1 { return "\(max(0, attoseconds / 1_000_000_000_000_000))ms" }
        let hours = seconds / 3600, minutes = seconds % 3600 / 60, rest = seconds % 60
        var text = ""
        if hours > 0 { text += "\(hours)h" }
        if minutes > 0 { text += "\(minutes)m" }
        if rest > 0 || text.isEmpty { text += "\(rest)s" }
        return text
    }
}
