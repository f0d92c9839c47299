/// Fills `${…}` templates in a desired spec: secrets from resolved values, outputs from
/// the observed outputs of dependencies that are known.
public struct SpecResolver: Sendable {
    /// Resolved `${env:…}` and `${file:…}` values, keyed by the expression.
    public var secrets: [ReferenceExpression: String]

    public init(secrets: [ReferenceExpression: String]) {
        self.secrets = secrets
    }

    /// The spec with every resolvable template filled, and the paths whose value is not known
    /// yet (an output of a resource that does not exist or will be replaced).
    public func resolve(_ resource: DesiredResource, outputs: (ResourceID) -> Fields?) -> (spec: Fields, unknown: Set<String>) {
        guard !resource.templatePaths.isEmpty else { return (resource.spec, []) }
        var spec = resource.spec
        var unknown = Set<String>()
        for path in resource.templatePaths {
            guard let current = Self.value(at: path, in: spec), case .string(let text) = current,
                  let template = try? Template(parsing: text) else { continue }
            var result = ""
            var whole: Value?
            var known = true
            for segment in template.segments {
                switch segment {
                case .literal(let literal):
                    result += literal
                case .reference(let expression):
                    guard let value = resolve(expression, in: resource, outputs: outputs) else {
                        known = false
                        continue
                    }
                    if template.soleReference != nil { whole = value }
                    result += Self.text(value)
                }
            }
            if known {
                Self.set(whole ?? .string(result), at: path, in: &spec)
            } else {
                unknown.insert(path)
            }
        }
        return (spec, unknown)
    }

    /// ``resolve(_:outputs:)``, then each filled value brought to its field's type
    /// (``ResolvedValues``): what planning compares and what a provider is sent.
    public func resolve(_ resource: DesiredResource, schema: KindSchema?, outputs: (ResourceID) -> Fields?) -> (spec: Fields, unknown: Set<String>, problems: [ResolvedValues.Problem]) {
        let (filled, unknown) = resolve(resource, outputs: outputs)
        let (spec, problems) = ResolvedValues.conform(filled, resource: resource, unknown: unknown, schema: schema)
        return (spec, unknown, problems)
    }

    private func resolve(_ expression: ReferenceExpression, in resource: DesiredResource, outputs: (ResourceID) -> Fields?) -> Value? {
        switch expression {
        case .env, .file:
            return secrets[expression.resolvingFile(relativeTo: resource.sourceDirectory)].map(Value.string)
        case let .output(kind, name, site, field):
            let key = "\(kind)/\(name)" + (site.map { "@" + $0 } ?? "")
            guard let target = resource.referenceTargets[key] else { return nil }
            return outputs(target)?[field]
        }
    }

    /// A value as it reads inside a string template.
    public static func text(_ value: Value) -> String {
        switch value {
        case .string(let string): string
        case .int(let int): String(int)
        case .number(let double): JSONText.number(double)
        case .bool(let bool): String(bool)
        case .null: ""
        default: JSONText.string(value)
        }
    }

    /// Paths are dotted names with `[index]` for list items: `routes[0]`, `backups.days`.
    static func components(_ path: String) -> [PathComponent] {
        var result: [PathComponent] = []
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indices: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]"), let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) {
                indices.insert(index, at: 0)
                name = name[..<open]
            }
            result.append(.key(String(name)))
            result.append(contentsOf: indices.map(PathComponent.index))
        }
        return result
    }

    enum PathComponent {
        case key(String)
        case index(Int)
    }

    static func value(at path: String, in fields: Fields) -> Value? {
        var current = Value.map(fields)
        for component in components(path) {
            switch (component, current) {
            case (.key(let key), .map(let map)):
                guard let next = map[key] else { return nil }
                current = next
            case (.index(let index), .list(let items)):
                guard items.indices.contains(index) else { return nil }
                current = items[index]
            default:
                return nil
            }
        }
        return current
    }

    /// Sets the value at `path`; nil removes a map key (and changes nothing when it is absent).
    /// Sets (or with nil, removes) the value at a spec path.
    public static func set(_ value: Value?, at path: String, in fields: inout Fields) {
        var root = Value.map(fields)
        set(value, at: components(path)[...], in: &root)
        if case .map(let updated) = root { fields = updated }
    }

    private static func set(_ value: Value?, at path: ArraySlice<PathComponent>, in target: inout Value) {
        guard let first = path.first else {
            target = value ?? .null
            return
        }
        switch (first, target) {
        case (.key(let key), .map(var map)):
            if path.count == 1 {
                map[key] = value
            } else {
                guard map[key] != nil || value != nil else { return }
                var child = map[key] ?? .map(Fields())
                set(value, at: path.dropFirst(), in: &child)
                map[key] = child
            }
            target = .map(map)
        case (.index(let index), .list(var items)) where items.indices.contains(index):
            set(value, at: path.dropFirst(), in: &items[index])
            target = .list(items)
        default:
            break
        }
    }
}
