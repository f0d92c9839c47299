/// Brings values filled in by `${…}` references to the type of the field they fill, after
/// resolution and before any provider call: `port: ${env:PORT}` becomes the int 8080, and
/// `port: ${env:PORT}` with PORT=eighty is an error. Messages name the reference, never the
/// value (it may be a secret).
public enum ResolvedValues {
    /// A resolved value that does not fit its field: the spec path, for the field's position,
    /// and the message.
    public struct Problem: Sendable, Hashable {
        public var path: String
        public var message: String
    }

    /// `spec` with each resolved template path converted to its field's type, and a message per
    /// path whose value does not fit. Paths in `unknown` (not resolved yet) are left alone.
    public static func conform(_ spec: Fields, resource: DesiredResource, unknown: Set<String>, schema: KindSchema?) -> (spec: Fields, problems: [Problem]) {
        guard let schema, !resource.templatePaths.isEmpty else { return (spec, []) }
        var result = spec
        var problems: [Problem] = []
        for path in resource.templatePaths where !unknown.contains(path) {
            guard let (type, allowed) = fieldType(at: path, in: schema), let value = SpecResolver.value(at: path, in: spec) else { continue }
            let written = SpecResolver.value(at: path, in: resource.spec)?.stringValue ?? "the reference"
            switch convert(value, to: type) {
            case .some(let converted):
                if let allowed, case .string(let text) = converted, !allowed.contains(text) {
                    problems.append(Problem(path: path, message: "'spec.\(path)' must be one of \(allowed.joined(separator: ", ")), but \(written) resolved to another value"))
                    continue
                }
                SpecResolver.set(converted, at: path, in: &result)
            case .none:
                problems.append(Problem(path: path, message: "'spec.\(path)' must be \(type.withArticle), but \(written) resolved to a value that is not one"))
            }
        }
        return (result, problems)
    }

    /// The value as `type`, converting text (what `${env:…}` and `${file:…}` give) where it
    /// reads exactly as one; nil when it does not fit.
    static func convert(_ value: Value, to type: FieldSchema.FieldType) -> Value? {
        switch (type, value) {
        case (.string, .string): return value
        case (.string, .int), (.string, .number), (.string, .bool): return .string(SpecResolver.text(value))
        case (.int, .int): return value
        case (.int, .number(let double)): return double.rounded() == double && abs(double) < 9.2e18 ? .int(Int(double)) : nil
        case (.int, .string(let text)): return Int(text).map(Value.int)
        case (.number, .int), (.number, .number): return value
        case (.number, .string(let text)): return Double(text).flatMap { $0.isFinite ? Value.number($0) : nil }
        case (.bool, .bool): return value
        case (.bool, .string("true")): return .bool(true)
        case (.bool, .string("false")): return .bool(false)
        case (.list, .list), (.map, .map), (.object, .map): return value
        default: return nil
        }
    }

    /// The type of the value at a spec path (`port`, `backups.retentionDays`, `routes[0]`,
    /// `env.KEY`), with the allowed values of an enum-like field.
    static func fieldType(at path: String, in schema: KindSchema) -> (FieldSchema.FieldType, [String]?)? {
        var type = FieldSchema.FieldType.object(schema.fields)
        var allowed: [String]?
        for component in SpecResolver.components(path) {
            switch (component, type) {
            case (.key(let key), .object(let fields)):
                guard let field = fields.first(where: { $0.name == key }) else { return nil }
                type = field.type
                allowed = field.allowed
            case (.key, .map(let element)):
                type = element
                allowed = nil
            case (.index, .list(let element)):
                type = element
            default:
                return nil
            }
        }
        return (type, allowed)
    }
}
