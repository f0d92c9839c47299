import BallastCore
import BallastProviders

/// Reads the `schema` answer of a plugin (see docs/provider-protocol.md) into a
/// ``ProviderSchema``; anything malformed is a clear error naming the plugin and the place.
enum PluginSchemaDecoder {
    static func decode(_ value: Value, provider: String) throws(ProviderError) -> ProviderSchema {
        guard case .map(let fields) = value, case .list(let kinds)? = fields["kinds"] else {
            throw ProviderError(.invalid, "plugin \(provider): schema must be an object with a 'kinds' list")
        }
        var decoded: [KindSchema] = []
        for (index, kind) in kinds.enumerated() {
            guard case .map(let kindFields) = kind, let name = kindFields["kind"]?.stringValue, !name.isEmpty else {
                throw ProviderError(.invalid, "plugin \(provider): schema kinds[\(index)] needs a 'kind' name")
            }
            decoded.append(KindSchema(
                kind: name, summary: kindFields["summary"]?.stringValue ?? "",
                fields: try fieldList(kindFields["fields"], provider: provider, at: "\(name).fields"),
                outputs: try fieldList(kindFields["outputs"], provider: provider, at: "\(name).outputs").map { field in
                    var output = field
                    output.computed = true
                    return output
                }))
        }
        return ProviderSchema(provider: provider, kinds: decoded, siteConfig: try fieldList(fields["siteConfig"], provider: provider, at: "siteConfig"))
    }

    static func fieldList(_ value: Value?, provider: String, at path: String) throws(ProviderError) -> [FieldSchema] {
        guard let value else { return [] }
        guard case .list(let items) = value else { throw ProviderError(.invalid, "plugin \(provider): schema \(path) must be a list") }
        var fields: [FieldSchema] = []
        for (index, item) in items.enumerated() {
            guard case .map(let entry) = item, let name = entry["name"]?.stringValue, !name.isEmpty else {
                throw ProviderError(.invalid, "plugin \(provider): schema \(path)[\(index)] needs a 'name'")
            }
            let type = try fieldType(entry["type"] ?? .string("string"), provider: provider, at: "\(path).\(name)")
            var allowed: [String]?
            if case .list(let values)? = entry["allowed"] { allowed = values.compactMap(\.stringValue) }
            let minimum = entry["minimum"].flatMap(Self.number) ?? -.infinity
            let maximum = entry["maximum"].flatMap(Self.number) ?? .infinity
            guard minimum <= maximum else { throw ProviderError(.invalid, "plugin \(provider): schema \(path).\(name) has a minimum above its maximum") }
            let range = minimum.isFinite || maximum.isFinite ? minimum...maximum : nil
            fields.append(FieldSchema(
                name, type, required: entry["required"]?.boolValue ?? false, allowed: allowed, default: entry["default"], range: range,
                immutable: entry["immutable"]?.boolValue ?? false, computed: entry["computed"]?.boolValue ?? false,
                sensitive: entry["sensitive"]?.boolValue ?? false, summary: entry["summary"]?.stringValue ?? "",
                confinedTo: entry["confinedTo"]?.stringValue, dataPath: entry["dataPath"]?.boolValue ?? false))
        }
        return fields
    }

    private static func number(_ value: Value) -> Double? {
        switch value {
        case .int(let int): Double(int)
        case .number(let number): number
        default: nil
        }
    }

    /// `"string"`, `"int"`, `"bool"`, `"number"`, `{"list": T}`, `{"map": T}`, `{"object": [fields]}`.
    static func fieldType(_ value: Value, provider: String, at path: String) throws(ProviderError) -> FieldSchema.FieldType {
        switch value {
        case .string("string"): return .string
        case .string("int"): return .int
        case .string("bool"): return .bool
        case .string("number"): return .number
        case .map(let fields) where fields.count == 1:
            if let element = fields["list"] { return .list(try fieldType(element, provider: provider, at: path)) }
            if let element = fields["map"] { return .map(try fieldType(element, provider: provider, at: path)) }
            if let children = fields["object"] { return .object(try fieldList(children, provider: provider, at: path)) }
        default: break
        }
        throw ProviderError(.invalid, "plugin \(provider): schema \(path) has an unknown type \(JSONText.string(value))")
    }
}
