/// Numbers written for people, the same on every machine (no locale).
public enum DecimalText {
    /// `730`, `0.031611`, `-2.5`: a whole number without a decimal point, else at most
    /// six decimals with trailing zeros dropped.
    public static func plain(_ value: Double) -> String {
        guard value.isFinite else { return String(value) }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        var text = fixed(value, decimals: 6, grouped: false)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `1,204.50` with `decimals` digits after the point, rounded half away from zero;
    /// thousands grouped with commas when `grouped`. Never `-0.00`.
    public static func fixed(_ value: Double, decimals: Int, grouped: Bool = true) -> String {
        guard value.isFinite else { return String(value) }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = (abs(value) * scale).rounded(.toNearestOrAwayFromZero)
        guard scaled < 9e18 else { return String(value) }
        let units = UInt64(scaled)
        let whole = units / UInt64(scale)
        let fraction = units % UInt64(scale)
        var wholeText = String(whole)
        if grouped {
            var groupedText = ""
            for (offset, character) in wholeText.enumerated() {
                if offset > 0, (wholeText.count - offset) % 3 == 0 { groupedText.append(",") }
                groupedText.append(character)
            }
            wholeText = groupedText
        }
        var text = (value < 0 && units > 0 ? "-" : "") + wholeText
        if decimals > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text
    }
}
