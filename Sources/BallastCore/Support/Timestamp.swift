import Foundation

/// RFC 3339 times in UTC (`2026-11-25T10:00:00Z`), as every JSON document and listing prints
/// them. A value-type format style: no formatter object is built per call.
public enum Timestamp {
    static let seconds = Date.ISO8601FormatStyle()
    static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func string(_ date: Date, fractionalSeconds: Bool = false) -> String {
        date.formatted(fractionalSeconds ? fractional : seconds)
    }

    /// Reads `2026-11-25T10:00:00Z`, with or without fractional seconds.
    public static func parse(_ text: String) -> Date? {
        (try? seconds.parse(text)) ?? (try? fractional.parse(text))
    }
}
