/// Compares a desired spec against an observed one, field by field.
///
/// Only the fields the user set are compared (computed fields never are); `object` fields
/// recurse over the fields set, `map` fields compare every key on either side, lists compare
/// in order as a whole. Ignored paths are skipped.
public struct SpecDiff: Sendable {
    public var schema: KindSchema?
    public var resource: DesiredResource
    private var existing = false

    public init(schema: KindSchema?, resource: DesiredResource) {
        self.schema = schema
        self.resource = resource
    }

    public mutating func changes(desired: Fields, observed: Fields?, unknown: Set<String> = []) -> [FieldChange] {
        existing = observed != nil
        var changes: [FieldChange] = []
        compareObject(desired, observed, fields: schema?.fields, prefix: "", unknown: unknown, into: &changes)
        return changes
    }

    private func compareObject(_ desired: Fields, _ observed: Fields?, fields: [FieldSchema]?, prefix: String, unknown: Set<String>, into changes: inout [FieldChange]) {
        for entry in desired {
            let path = prefix.isEmpty ? entry.key : prefix + "." + entry.key
            guard let fields, let field = fields.firstIndex(where: { $0.name == entry.key }) else {
                compare(entry.value, observed?[entry.key], type: nil, immutable: false, sensitive: false, path: path, unknown: unknown, into: &changes)
                continue
            }
            if fields[field].computed { continue }
            compare(entry.value, observed?[entry.key], type: fields[field].type, immutable: fields[field].immutable, sensitive: fields[field].sensitive, path: path, unknown: unknown, into: &changes)
        }
    }

    private func compare(_ desired: Value?, _ observed: Value?, type: FieldSchema.FieldType?, immutable: Bool, sensitive: Bool, path: String, unknown: Set<String>, into changes: inout [FieldChange]) {
        if resource.policy.ignores(specPath: path) { return }
        let secret = sensitive || resource.isSensitive(path)
        // A new value for an immutable field forces replacement only on a resource that exists.
        let forces = immutable && existing
        if !unknown.isEmpty && (unknown.contains(path) || unknown.contains(where: { $0.hasPrefix(path + "[") })) {
            changes.append(FieldChange(path: path, before: observed, after: nil, sensitive: secret, afterUnknown: true, forcesReplacement: forces))
            return
        }
        switch (type, desired, observed) {
        case let (.object(nested)?, .map(want)?, nil):
            compareObject(want, nil, fields: nested, prefix: path, unknown: unknown, into: &changes)
        case let (.map(element)?, .map(want)?, nil):
            for entry in want {
                compare(entry.value, nil, type: element, immutable: immutable, sensitive: secret, path: "\(path).\(entry.key)", unknown: unknown, into: &changes)
            }
        case let (.object(nested)?, .map(want)?, .map(have)?):
            let before = changes.count
            compareObject(want, have, fields: nested, prefix: path, unknown: unknown, into: &changes)
            if forces {
                for index in before..<changes.count { changes[index].forcesReplacement = true }
            }
        case let (.map(element)?, .map(want)?, .map(have)?):
            let keys = Set(want.keys).union(have.keys).sorted()
            for key in keys {
                compare(want[key], have[key], type: element, immutable: immutable, sensitive: secret, path: "\(path).\(key)", unknown: unknown, into: &changes)
            }
        default:
            let equal: Bool = switch (desired, observed) {
            case (nil, nil): true
            case let (want?, have?): want.isEquivalent(to: have)
            default: false
            }
            if !equal {
                changes.append(FieldChange(path: path, before: observed, after: desired, sensitive: secret, forcesReplacement: forces))
            }
        }
    }
}
