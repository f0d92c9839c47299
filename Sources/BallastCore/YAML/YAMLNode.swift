/// A node of the YAML tree the loader builds, with the position it came from.
///
/// The tree is a plain (non-indirect) enum: children live in arrays, which already box
/// their storage, so no extra indirection is paid per node.
public struct YAMLNode: Sendable {
    public var value: YAMLValue
    public var location: SourceLocation

    public init(_ value: YAMLValue, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// The content of a ``YAMLNode`` after YAML 1.2 core-schema resolution.
public enum YAMLValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case sequence([YAMLNode])
    /// Entries in document order; keys are unique.
    case mapping([YAMLEntry])
}

/// One key/value pair of a mapping. Keys are scalars, kept as their text.
public struct YAMLEntry: Sendable {
    public var key: String
    public var keyLocation: SourceLocation
    public var value: YAMLNode

    public init(key: String, keyLocation: SourceLocation, value: YAMLNode) {
        self.key = key
        self.keyLocation = keyLocation
        self.value = value
    }
}

extension YAMLNode {
    /// A short name of the node's type, for messages such as "expected a mapping, found a list".
    public var typeName: String {
        switch value {
        case .null: "null"
        case .bool: "a bool"
        case .int: "an int"
        case .double: "a number"
        case .string: "a string"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }

    public var mappingEntries: [YAMLEntry]? {
        if case .mapping(let entries) = value { return entries }
        return nil
    }

    public var stringValue: String? {
        if case .string(let string) = value { return string }
        return nil
    }

    /// The entry for a key in a mapping node.
    public subscript(key: String) -> YAMLEntry? {
        guard case .mapping(let entries) = value else { return nil }
        return entries.first { $0.key == key }
    }

    /// The number of nodes in this subtree, counting itself.
    public var nodeCount: Int {
        switch value {
        case .sequence(let items): 1 + items.reduce(0) { $0 + $1.nodeCount }
        case .mapping(let entries): 1 + entries.reduce(0) { $0 + $1.value.nodeCount }
        default: 1
        }
    }
}
