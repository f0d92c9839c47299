/// Writes ``Value``s as compact, deterministic JSON text.
public enum JSONText {
    public static func write(_ value: Value, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let bool): out += bool ? "true" : "false"
        case .int(let int): out += String(int)
        case .number(let double): out += number(double)
        case .string(let string): quote(string, into: &out)
        case .list(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, into: &out)
            }
            out += "]"
        case .map(let fields):
            out += "{"
            for (index, entry) in fields.entries.enumerated() {
                if index > 0 { out += "," }
                quote(entry.key, into: &out)
                out += ":"
                write(entry.value, into: &out)
            }
            out += "}"
        }
    }

    public static func string(_ value: Value) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    /// JSON has no infinities or NaN: they are written as strings.
    public static func number(_ double: Double) -> String {
        if double.isNaN { return "\"NaN\"" }
        if double.isInfinite { return double < 0 ? "\"-Infinity\"" : "\"Infinity\"" }
        if double.rounded() == double && abs(double) < 1e15 { return String(Int(double)) }
        return String(double)
    }

    public static func quote(_ string: String, into out: inout String) {
        out += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where TerminalText.mustEscape(scalar):
                // Control and bidirectional characters are escaped, so JSON read on a terminal
                // is as safe as text (TerminalText).
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    public static func quote(_ string: String) -> String {
        var out = ""
        quote(string, into: &out)
        return out
    }
}

extension JSONText {
    /// Indented JSON with keys sorted, ending in a newline.
    public static func pretty(_ value: Value) -> String {
        var out = ""
        pretty(value, indent: 0, into: &out)
        out += "\n"
        return out
    }

    private static func pretty(_ value: Value, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        let closing = String(repeating: "  ", count: indent)
        switch value {
        case .list(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += pad
                pretty(item, indent: indent + 1, into: &out)
                out += index == items.count - 1 ? "\n" : ",\n"
            }
            out += closing + "]"
        case .map(let fields) where !fields.isEmpty:
            out += "{\n"
            for (index, entry) in fields.entries.enumerated() {
                out += pad
                quote(entry.key, into: &out)
                out += ": "
                pretty(entry.value, indent: indent + 1, into: &out)
                out += index == fields.count - 1 ? "\n" : ",\n"
            }
            out += closing + "}"
        default:
            write(value, into: &out)
        }
    }
}
