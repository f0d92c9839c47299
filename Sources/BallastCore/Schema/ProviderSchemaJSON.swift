/// A provider's schema as JSON: the shape a plugin's `schema` answer has (see
/// docs/provider-protocol.md), and the one an edge agent reports for its site's provider. The one
/// place that writes and reads it; anything malformed is a clear error naming where it came from.
public enum ProviderSchemaJSON {
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The schema as a plugin would answer `schema`; ``decode(_:provider:origin:)`` reads it back
    /// equal (`loadsFileInto`, which only built-in providers use, is not carried).
    public static func encode(_ schema: ProviderSchema) -> Value {
        .map(Fields([
            "kinds": .list(schema.kinds.map { kind in
                var fields: [String: Value] = [
                    "kind": .string(kind.kind), "summary": .string(kind.summary),
                    "fields": .list(kind.fields.map(encode)), "outputs": .list(kind.outputs.map(encode)),
                ]
                if kind.relocatable { fields["relocatable"] = .bool(true) }
                return .map(Fields(fields))
            }),
            "siteConfig": .list(schema.siteConfig.map(encode)),
        ]))
    }

    static func encode(_ field: FieldSchema) -> Value {
        var fields = Fields(["name": .string(field.name), "type": encode(field.type)])
        if field.required { fields["required"] = .bool(true) }
        if let allowed = field.allowed { fields["allowed"] = .list(allowed.map(Value.string)) }
        if let value = field.defaultValue { fields["default"] = value }
        if let minimum = field.minimum { fields["minimum"] = .number(minimum) }
        if let maximum = field.maximum { fields["maximum"] = .number(maximum) }
        if field.immutable { fields["immutable"] = .bool(true) }
        if field.computed { fields["computed"] = .bool(true) }
        if field.sensitive { fields["sensitive"] = .bool(true) }
        if !field.summary.isEmpty { fields["summary"] = .string(field.summary) }
        if let confinedTo = field.confinedTo { fields["confinedTo"] = .string(confinedTo) }
        if field.dataPath { fields["dataPath"] = .bool(true) }
        return .map(fields)
    }

    static func encode(_ type: FieldSchema.FieldType) -> Value {
        switch type {
        case .string: .string("string")
        case .int: .string("int")
        case .bool: .string("bool")
        case .number: .string("number")
        case .list(let element): .map(Fields(["list": encode(element)]))
        case .map(let element): .map(Fields(["map": encode(element)]))
        case .object(let children): .map(Fields(["object": .list(children.map(encode))]))
        }
    }
    public static func decode(_ value: Value, provider: String, origin: String) throws(Invalid) -> ProviderSchema {
        guard case .map(let fields) = value, case .list(let kinds)? = fields["kinds"] else {
            throw Invalid(description: "\(origin): schema must be an object with a 'kinds' list")
        }
        var decoded: [KindSchema] = []
        for (index, kind) in kinds.enumerated() {
            guard case .map(let kindFields) = kind, let name = kindFields["kind"]?.stringValue, !name.isEmpty else {
                throw Invalid(description: "\(origin): schema kinds[\(index)] needs a 'kind' name")
            }
            decoded.append(KindSchema(
                kind: name, summary: kindFields["summary"]?.stringValue ?? "",
                fields: try fieldList(kindFields["fields"], origin: origin, at: "\(name).fields"),
                outputs: try fieldList(kindFields["outputs"], origin: origin, at: "\(name).outputs").map { field in
                    var output = field
                    output.computed = true
                    return output
                },
                relocatable: kindFields["relocatable"]?.boolValue ?? false))
        }
        return ProviderSchema(provider: provider, kinds: decoded, siteConfig: try fieldList(fields["siteConfig"], origin: origin, at: "siteConfig"))
    }

    static func fieldList(_ value: Value?, origin: String, at path: String) throws(Invalid) -> [FieldSchema] {
        guard let value else { return [] }
        guard case .list(let items) = value else { throw Invalid(description: "\(origin): schema \(path) must be a list") }
        var fields: [FieldSchema] = []
        for (index, item) in items.enumerated() {
            guard case .map(let entry) = item, let name = entry["name"]?.stringValue, !name.isEmpty else {
                throw Invalid(description: "\(origin): schema \(path)[\(index)] needs a 'name'")
            }
            let type = try fieldType(entry["type"] ?? .string("string"), origin: origin, at: "\(path).\(name)")
            var allowed: [String]?
            if case .list(let values)? = entry["allowed"] { allowed = values.compactMap(\.stringValue) }
            let minimum = entry["minimum"].flatMap(Self.number) ?? -.infinity
            let maximum = entry["maximum"].flatMap(Self.number) ?? .infinity
            guard minimum <= maximum else { throw Invalid(description: "\(origin): schema \(path).\(name) has a minimum above its maximum") }
            let range = minimum.isFinite || maximum.isFinite ? minimum...maximum : nil
            fields.append(FieldSchema(
                name, type, required: entry["required"]?.boolValue ?? false, allowed: allowed, default: Self.defaultValue(entry["default"], of: type), range: range,
                immutable: entry["immutable"]?.boolValue ?? false, computed: entry["computed"]?.boolValue ?? false,
                sensitive: entry["sensitive"]?.boolValue ?? false, summary: entry["summary"]?.stringValue ?? "",
                confinedTo: entry["confinedTo"]?.stringValue, dataPath: entry["dataPath"]?.boolValue ?? false))
        }
        return fields
    }

    /// A number field's default written as a whole number (`0`: JSON does not tell 0 from 0.0)
    /// is the number it means.
    private static func defaultValue(_ value: Value?, of type: FieldSchema.FieldType) -> Value? {
        if case .number = type, case .int(let whole)? = value { return .number(Double(whole)) }
        return value
    }

    private static func number(_ value: Value) -> Double? {
        switch value {
        case .int(let int): Double(int)
        case .number(let number): number
        default: nil
        }
    }

    /// `"string"`, `"int"`, `"bool"`, `"number"`, `{"list": T}`, `{"map": T}`, `{"object": [fields]}`.
    static func fieldType(_ value: Value, origin: String, at path: String) throws(Invalid) -> FieldSchema.FieldType {
        switch value {
        case .string("string"): return .string
        case .string("int"): return .int
        case .string("bool"): return .bool
        case .string("number"): return .number
        case .map(let fields) where fields.count == 1:
            if let element = fields["list"] { return .list(try fieldType(element, origin: origin, at: path)) }
            if let element = fields["map"] { return .map(try fieldType(element, origin: origin, at: path)) }
            if let children = fields["object"] { return .object(try fieldList(children, origin: origin, at: path)) }
        default: break
        }
        throw Invalid(description: "\(origin): schema \(path) has an unknown type \(JSONText.string(value))")
    }
}
