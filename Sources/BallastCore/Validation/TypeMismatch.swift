/// The one message for a value of the wrong type, with the hint that explains the usual
/// cause, for every field: spec fields, site config, policy, metadata.
public enum TypeMismatch {
    /// "'path' must be EXPECTED, found FOUND (hint)".
    ///
    /// - `expected`: the type with its article ("a bool", "an int").
    /// - `expectsString`, `expectsBool`, `expectsNumber`: what the field takes, for the hint.
    static func message(_ path: String, expected: String, found node: YAMLNode, expectsString: Bool = false, expectsBool: Bool = false, expectsNumber: Bool = false) -> String {
        "'\(path)' must be \(expected), found \(node.typeName)\(hint(for: node.value, expectsString: expectsString, expectsBool: expectsBool, expectsNumber: expectsNumber))"
    }

    static func hint(for value: YAMLValue, expectsString: Bool, expectsBool: Bool, expectsNumber: Bool) -> String {
        switch value {
        case .string(let text) where expectsBool && ["yes", "no", "on", "off", "y", "n"].contains(text.lowercased()):
            return " ('\(text)' is a string in YAML 1.2; write true or false)"
        case .string(let text) where expectsBool && ["true", "false"].contains(text.lowercased()):
            return " (remove the quotes to make it a bool)"
        case .string(let text) where expectsNumber && Double(text.trimmingCharacters(in: .whitespaces)) != nil:
            return " (remove the quotes to make it a number)"
        case .int, .double, .bool:
            return expectsString ? " (quote it to make it a string)" : ""
        default:
            return ""
        }
    }
}
