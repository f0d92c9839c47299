@testable import BallastCore

/// Parses YAML text with the real parser; documents and diagnostics.
func parseYAML(_ text: String, limits: YAMLLimits = .default) -> (documents: [YAMLNode], diagnostics: [Diagnostic]) {
    parseYAML(bytes: Array(text.utf8), limits: limits)
}

func parseYAML(bytes: [UInt8], limits: YAMLLimits = .default) -> (documents: [YAMLNode], diagnostics: [Diagnostic]) {
    var documents: [YAMLNode] = []
    let diagnostics = bytes.withUnsafeBytes { buffer in
        YAMLParser(limits: limits).parse(buffer, file: 0, firstLine: 0) { documents.append($0) }
    }
    return (documents, diagnostics)
}

/// A compact rendering of a node tree for assertions: `{a: 1, b: [x, "y"]}`.
func render(_ node: YAMLNode) -> String {
    switch node.value {
    case .null: "null"
    case .bool(let bool): String(bool)
    case .int(let int): String(int)
    case .double(let double): String(double)
    case .string(let string): "\"\(string)\""
    case .sequence(let items): "[" + items.map(render).joined(separator: ", ") + "]"
    case .mapping(let entries): "{" + entries.map { "\($0.key): \(render($0.value))" }.joined(separator: ", ") + "}"
    }
}

extension Diagnostic {
    var position: String { location.map { "\($0.line):\($0.column)" } ?? "-" }
}
