/// Checks a spec (or a site config) against field schemas and converts it to ``Fields``.
struct SpecValidator {
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var sensitivePaths: Set<String> = []
    private(set) var references: [LocatedReference] = []
    private(set) var templatePaths: [String] = []
    /// Fields that may appear beside the schema's (spec.placement), skipped here.
    var reservedKeys: Set<String> = []
    /// Whether `${…}` references are allowed (not in site config).
    var allowsReferences = true

    static func validate(
        _ node: YAMLNode?,
        fields: [FieldSchema],
        context: String,
        ownerLocation: SourceLocation,
        reservedKeys: Set<String> = [],
        allowsReferences: Bool = true,
        diagnostics: inout [Diagnostic]
    ) -> ValidatedSpec {
        var validator = SpecValidator()
        validator.reservedKeys = reservedKeys
        validator.allowsReferences = allowsReferences
        let result = validator.object(node, fields: fields, path: "", context: context, ownerLocation: ownerLocation)
        diagnostics.append(contentsOf: validator.diagnostics)
        return ValidatedSpec(fields: result, sensitivePaths: validator.sensitivePaths, references: validator.references, templatePaths: validator.templatePaths)
    }

    private static func join(_ path: String, _ name: String) -> String {
        path.isEmpty ? name : "\(path).\(name)"
    }

    private mutating func object(_ node: YAMLNode?, fields: [FieldSchema], path: String, context: String, ownerLocation: SourceLocation) -> Fields {
        var entries: [YAMLEntry] = []
        if let node {
            switch node.value {
            case .mapping(let mapping): entries = mapping
            case .null: break
            default:
                diagnostics.append(.error("\(context) must be a mapping, found \(node.typeName)", at: node.location))
                return Fields()
            }
        }
        var result: [(String, Value)] = []
        result.reserveCapacity(entries.count)
        for entry in entries {
            if path.isEmpty && reservedKeys.contains(entry.key) { continue }
            guard let field = fields.first(where: { $0.name == entry.key }) else {
                let candidates = fields.filter { !$0.computed }.map(\.name)
                diagnostics.append(.error("unknown field '\(Self.join(path, entry.key))' in \(context)\(Suggestion.hint(for: entry.key, among: candidates))", at: entry.keyLocation))
                continue
            }
            if field.computed {
                diagnostics.append(.error("'\(Self.join(path, entry.key))' is computed by the provider and cannot be set", at: entry.keyLocation))
                continue
            }
            let fieldPath = Self.join(path, field.name)
            if field.sensitive { sensitivePaths.insert(fieldPath) }
            if let value = check(entry.value, type: field.type, field: field, path: fieldPath) {
                result.append((field.name, value))
            }
        }
        for field in fields where field.required && !entries.contains(where: { $0.key == field.name }) {
            let location = node?.location ?? ownerLocation
            diagnostics.append(.error("missing required field '\(Self.join(path, field.name))' in \(context)", at: location))
        }
        return Fields(result)
    }

    private mutating func check(_ node: YAMLNode, type: FieldSchema.FieldType, field: FieldSchema, path: String) -> Value? {
        // A string that is exactly one reference stands for a value of any type.
        if case .string(let string) = node.value, Template.mayContainReference(string) {
            return template(string, node: node, type: type, field: field, path: path)
        }
        switch (type, node.value) {
        case (.string, .string(let string)):
            if let allowed = field.allowed, !allowed.contains(string) {
                diagnostics.append(.error("'\(string)' is not a valid value for '\(path)': expected one of \(allowed.joined(separator: ", "))\(Suggestion.hint(for: string, among: allowed))", at: node.location))
                return nil
            }
            return .string(string)
        case (.int, .int(let int)):
            return .int(int)
        case (.number, .int(let int)):
            return .number(Double(int))
        case (.number, .double(let double)):
            return .number(double)
        case (.bool, .bool(let bool)):
            return .bool(bool)
        case (.list(let element), .sequence(let items)):
            var values: [Value] = []
            values.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                if let value = check(item, type: element, field: field, path: "\(path)[\(index)]") { values.append(value) }
            }
            return .list(values)
        case (.map(let element), .mapping(let entries)):
            var values: [(String, Value)] = []
            for entry in entries {
                if let value = check(entry.value, type: element, field: field, path: Self.join(path, entry.key)) { values.append((entry.key, value)) }
            }
            return .map(Fields(values))
        case (.object(let nested), .mapping):
            return .map(object(node, fields: nested, path: path, context: "'\(path)'", ownerLocation: node.location))
        case (_, .null):
            diagnostics.append(.error("'\(path)' is null; remove the field or give it a \(type.displayName) value", at: node.location))
            return nil
        default:
            var hint = ""
            if case .string = type, Self.isUnquotedScalar(node.value) {
                hint = " (quote it to make it a string)"
            }
            diagnostics.append(.error("'\(path)' must be \(Self.article(type)), found \(node.typeName)\(hint)", at: node.location))
            return nil
        }
    }

    private static func isUnquotedScalar(_ value: YAMLValue) -> Bool {
        switch value {
        case .int, .double, .bool: true
        default: false
        }
    }

    private static func article(_ type: FieldSchema.FieldType) -> String {
        switch type {
        case .int, .object: "an \(type.displayName)"
        default: "a \(type.displayName)"
        }
    }

    private mutating func template(_ string: String, node: YAMLNode, type: FieldSchema.FieldType, field: FieldSchema, path: String) -> Value? {
        let parsed: Template
        do {
            parsed = try Template(parsing: string)
        } catch {
            diagnostics.append(.error(error.message, at: node.location))
            return nil
        }
        let references = parsed.references
        if references.isEmpty { return check(YAMLNode(.string(string.replacingOccurrences(of: "$${", with: "${")), at: node.location), type: type, field: field, path: path) }
        guard allowsReferences else {
            diagnostics.append(.error("references are not allowed in '\(path)'", at: node.location))
            return nil
        }
        if parsed.soleReference == nil, type != .string {
            diagnostics.append(.error("'\(path)' must be \(Self.article(type)); a reference can stand for it only when it is the whole value", at: node.location))
            return nil
        }
        for reference in references {
            self.references.append(LocatedReference(expression: reference, path: path, location: node.location))
            if reference.isSecret { sensitivePaths.insert(path) }
        }
        templatePaths.append(path)
        return .string(string)
    }
}
