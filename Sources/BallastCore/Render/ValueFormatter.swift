/// Formats values for people: `"text"`, `50`, `["a", "b"]`, `{env = "prod"}`.
public enum ValueFormatter {
    public static let sensitive = "(sensitive)"
    public static let knownAfterApply = "(known after apply)"
    public static let absent = "(none)"

    public static func format(_ value: Value?) -> String {
        guard let value else { return absent }
        switch value {
        case .null: return "null"
        case .bool(let bool): return String(bool)
        case .int(let int): return String(int)
        case .number(let double): return JSONText.number(double)
        case .string(let string): return JSONText.quote(string)
        case .list(let items): return "[" + items.map { format($0) }.joined(separator: ", ") + "]"
        case .map(let fields): return "{" + fields.entries.map { "\(TerminalText.safe($0.key)) = \(format($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    public static func before(_ change: FieldChange) -> String {
        if change.sensitive { return sensitive }
        return format(change.before)
    }

    public static func after(_ change: FieldChange) -> String {
        if change.afterUnknown { return knownAfterApply }
        if change.sensitive { return sensitive }
        return format(change.after)
    }
}
