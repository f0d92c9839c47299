/// Typed access to the entries of a YAML mapping, reporting type errors as diagnostics.
struct FieldReader {
    let entries: [YAMLEntry]
    let owner: SourceLocation

    subscript(key: String) -> YAMLEntry? {
        entries.first { $0.key == key }
    }

    func rejectUnknown(_ known: [String], context: String, diagnostics: inout [Diagnostic]) {
        for entry in entries where !known.contains(entry.key) {
            diagnostics.append(.error("unknown field '\(entry.key)' in \(context)\(Suggestion.hint(for: entry.key, among: known))", at: entry.keyLocation))
        }
    }

    func string(_ key: String, diagnostics: inout [Diagnostic]) -> Located<String>? {
        guard let entry = self[key] else { return nil }
        guard case .string(let string) = entry.value.value else {
            diagnostics.append(.error(TypeMismatch.message(key, expected: "a string", found: entry.value, expectsString: true), at: entry.value.location))
            return nil
        }
        return Located(string, at: entry.value.location)
    }

    func bool(_ key: String, diagnostics: inout [Diagnostic]) -> Bool? {
        guard let entry = self[key] else { return nil }
        guard case .bool(let bool) = entry.value.value else {
            diagnostics.append(.error(TypeMismatch.message(key, expected: "a bool", found: entry.value, expectsBool: true), at: entry.value.location))
            return nil
        }
        return bool
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ key: String, _ type: E.Type, diagnostics: inout [Diagnostic]) -> E? where E.RawValue == String {
        guard let text = string(key, diagnostics: &diagnostics) else { return nil }
        guard let value = E(rawValue: text.value) else {
            let allowed = E.allCases.map(\.rawValue)
            diagnostics.append(.error("'\(text.value)' is not a valid value for '\(key)': expected one of \(allowed.joined(separator: ", "))\(Suggestion.hint(for: text.value, among: allowed))", at: text.location))
            return nil
        }
        return value
    }

    func stringList(_ key: String, diagnostics: inout [Diagnostic]) -> [Located<String>] {
        guard let entry = self[key] else { return [] }
        guard case .sequence(let items) = entry.value.value else {
            if case .null = entry.value.value { return [] }
            diagnostics.append(.error("'\(key)' must be a list of strings, found \(entry.value.typeName)", at: entry.value.location))
            return []
        }
        var result: [Located<String>] = []
        for item in items {
            if case .string(let string) = item.value {
                result.append(Located(string, at: item.location))
            } else {
                diagnostics.append(.error("'\(key)' must be a list of strings; this item is \(item.typeName)", at: item.location))
            }
        }
        return result
    }

    /// Labels: a string map whose keys and values follow the Kubernetes label rules.
    func labels(_ key: String, diagnostics: inout [Diagnostic]) -> StringMap {
        stringMap(key, diagnostics: &diagnostics) { entry, value, diagnostics in
            if !NameRules.isValidLabelKey(entry.key) {
                diagnostics.append(.error("invalid label key '\(entry.key)': use an optional DNS prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit", at: entry.keyLocation))
            } else if !NameRules.isLabelValue(Substring(value)) {
                diagnostics.append(.error("invalid value '\(value)' for label '\(entry.key)': at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit", at: entry.value.location))
            }
        }
    }

    /// A map of string values; ints and bools are accepted and kept as their text. `check`
    /// sees each entry that has a string value.
    func stringMap(_ key: String, diagnostics: inout [Diagnostic], check: (YAMLEntry, String, inout [Diagnostic]) -> Void = { _, _, _ in }) -> StringMap {
        guard let entry = self[key] else { return [:] }
        guard case .mapping(let mapping) = entry.value.value else {
            if case .null = entry.value.value { return [:] }
            diagnostics.append(.error("'\(key)' must be a mapping of strings, found \(entry.value.typeName)", at: entry.value.location))
            return [:]
        }
        var result: [(String, String)] = []
        result.reserveCapacity(mapping.count)
        for item in mapping {
            let text: String
            switch item.value.value {
            case .string(let string): text = string
            case .int(let int): text = String(int)
            case .bool(let bool): text = String(bool)
            default:
                diagnostics.append(.error(TypeMismatch.message("\(key).\(item.key)", expected: "a string", found: item.value, expectsString: true), at: item.value.location))
                continue
            }
            check(item, text, &diagnostics)
            result.append((item.key, text))
        }
        return StringMap(result)
    }
}

extension FieldReader {
    /// A number (an int or a float), finite, within `range`.
    func number(_ key: String, in range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude, diagnostics: inout [Diagnostic]) -> Double? {
        guard let entry = self[key] else { return nil }
        return Self.number(entry.value, named: key, in: range, diagnostics: &diagnostics)
    }

    static func number(_ node: YAMLNode, named key: String, in range: ClosedRange<Double>, diagnostics: inout [Diagnostic]) -> Double? {
        let value: Double
        switch node.value {
        case .int(let int): value = Double(int)
        case .double(let double): value = double
        default:
            diagnostics.append(.error("'\(key)' must be a number, found \(node.typeName)", at: node.location))
            return nil
        }
        guard value.isFinite, range.contains(value) else {
            let bound = range.upperBound == .greatestFiniteMagnitude ? "at least \(DecimalText.plain(range.lowerBound))" : "from \(DecimalText.plain(range.lowerBound)) to \(DecimalText.plain(range.upperBound))"
            diagnostics.append(.error("'\(key)' is \(DecimalText.plain(value)); it must be \(bound)", at: node.location))
            return nil
        }
        return value
    }
}
