/// A position-free configuration value: what desired specs, observed state and plans hold.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case list([Value])
    case map(Fields)

    /// Equality as configuration means it: `2` and `2.0` are the same number.
    public func isEquivalent(to other: Value) -> Bool {
        switch (self, other) {
        case let (.int(a), .number(b)), let (.number(b), .int(a)): Double(a) == b
        case let (.list(a), .list(b)): a.count == b.count && zip(a, b).allSatisfy { $0.isEquivalent(to: $1) }
        case let (.map(a), .map(b)):
            a.count == b.count && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value.isEquivalent(to: $1.value) }
        default: self == other
        }
    }

    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    public var intValue: Int? {
        switch self {
        case .int(let int): int
        case .number(let double) where double.rounded() == double && abs(double) < 9e15: Int(double)
        default: nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let int): Double(int)
        case .number(let double): double
        default: nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let bool) = self { return bool }
        return nil
    }

    public var fieldsValue: Fields? {
        if case .map(let fields) = self { return fields }
        return nil
    }

    /// The value at a dotted path inside nested maps (`backups.retentionDays`).
    public func value(at path: some Sequence<Substring>) -> Value? {
        var current = self
        for component in path {
            guard case .map(let fields) = current, let next = fields[String(component)] else { return nil }
            current = next
        }
        return current
    }
}
