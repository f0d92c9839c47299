/// Checks a spec (or a site config) against field schemas and converts it to ``Fields``.
struct SpecValidator {
    private(set) var diagnostics: [Diagnostic] = []
    private(set) var sensitivePaths: Set<String> = []
    private(set) var references: [LocatedReference] = []
    private(set) var templatePaths: [String] = []
    private(set) var fileFieldLocations: [String: SourceLocation] = [:]
    /// Fields that may appear beside the schema's (spec.placement), skipped here.
    var reservedKeys: Set<String> = []
    /// Whether `${…}` references are allowed (not in site config).
    var allowsReferences = true
    /// The kind's outputs: set by the provider, so a spec that sets one gets its own error.
    var outputs: [String] = []

    static func validate(
        _ node: YAMLNode?,
        fields: [FieldSchema],
        context: String,
        ownerLocation: SourceLocation,
        reservedKeys: Set<String> = [],
        allowsReferences: Bool = true,
        outputs: [String] = [],
        diagnostics: inout [Diagnostic]
    ) -> ValidatedSpec {
        var validator = SpecValidator()
        validator.reservedKeys = reservedKeys
        validator.allowsReferences = allowsReferences
        validator.outputs = outputs
        let result = validator.object(node, fields: fields, path: "", context: context, ownerLocation: ownerLocation)
        diagnostics.append(contentsOf: validator.diagnostics)
        return ValidatedSpec(fields: result, sensitivePaths: validator.sensitivePaths, references: validator.references, templatePaths: validator.templatePaths, fileFieldLocations: validator.fileFieldLocations)
    }

    /// Where a value sits in the spec (`backups.retentionDays`, `disks[0]`): written out only
    /// when a message, a template or a nested value needs the text, not for every scalar.
    struct PathBuilder {
        enum Component {
            case whole
            case key(String)
            case index(Int)
        }

        var parent: String
        var component: Component

        static func key(_ key: String, in parent: String) -> PathBuilder { PathBuilder(parent: parent, component: .key(key)) }
        static func index(_ index: Int, in parent: String) -> PathBuilder { PathBuilder(parent: parent, component: .index(index)) }
        static func written(_ path: String) -> PathBuilder { PathBuilder(parent: path, component: .whole) }

        var text: String {
            switch component {
            case .whole: parent
            case .key(let key): parent.isEmpty ? key : parent + "." + key
            case .index(let index): parent + "[" + String(index) + "]"
            }
        }
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
        var result: [Fields.Entry] = []
        result.reserveCapacity(entries.count)
        for entry in entries {
            if path.isEmpty && reservedKeys.contains(entry.key) { continue }
            let fieldPath = PathBuilder.key(entry.key, in: path)
            guard let field = fields.firstIndex(where: { $0.name == entry.key }) else {
                if path.isEmpty && outputs.contains(entry.key) {
                    diagnostics.append(.error("'\(fieldPath.text)' is an output, computed by the provider; it cannot be set in \(context)", at: entry.keyLocation))
                    continue
                }
                let candidates = fields.filter { !$0.computed }.map(\.name)
                diagnostics.append(.error("unknown field '\(fieldPath.text)' in \(context)\(Suggestion.hint(for: entry.key, among: candidates))", at: entry.keyLocation))
                continue
            }
            if fields[field].computed {
                diagnostics.append(.error("'\(fieldPath.text)' is computed by the provider and cannot be set", at: entry.keyLocation))
                continue
            }
            if fields[field].sensitive { sensitivePaths.insert(fieldPath.text) }
            if fields[field].loadsFileInto != nil { fileFieldLocations[fieldPath.text] = entry.value.location }
            if let value = check(entry.value, type: fields[field].type, field: fields[field], path: fieldPath) {
                result.append(Fields.Entry(key: entry.key, value: value))
            }
        }
        for field in fields.indices where fields[field].required && !entries.contains(where: { $0.key == fields[field].name }) {
            let location = node?.location ?? ownerLocation
            diagnostics.append(.error("missing required field '\(PathBuilder.key(fields[field].name, in: path).text)' in \(context)", at: location))
        }
        return Fields(uniqueKeyEntries: result)
    }

    /// `literal`: the string is text already (a template with no reference, `$${` written as
    /// `${`), never read as a template again.
    private mutating func check(_ node: YAMLNode, type: FieldSchema.FieldType, field: FieldSchema, path: PathBuilder, literal: Bool = false) -> Value? {
        // A string that is exactly one reference stands for a value of any type.
        if !literal, case .string(let string) = node.value, Template.mayContainReference(string) {
            return template(string, node: node, type: type, field: field, path: path.text)
        }
        switch (type, node.value) {
        case (.string, .string(let string)):
            if let allowed = field.allowed, !allowed.contains(string) {
                diagnostics.append(.error("'\(string)' is not a valid value for '\(path.text)': expected one of \(allowed.joined(separator: ", "))\(Suggestion.hint(for: string, among: allowed))", at: node.location))
                return nil
            }
            return .string(string)
        case (.int, .int(let int)):
            return inRange(Double(int), text: String(int), field: field, path: path, node: node) ? .int(int) : nil
        case (.number, .int(let int)):
            return inRange(Double(int), text: String(int), field: field, path: path, node: node) ? .number(Double(int)) : nil
        case (.number, .double(let double)):
            guard double.isFinite else {
                diagnostics.append(.error("'\(path.text)' must be a finite number, found \(double)", at: node.location))
                return nil
            }
            return inRange(double, text: String(double), field: field, path: path, node: node) ? .number(double) : nil
        case (.bool, .bool(let bool)):
            return .bool(bool)
        case (.list(let element), .sequence(let items)):
            let parent = path.text
            var values: [Value] = []
            values.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                if let value = check(item, type: element, field: field, path: PathBuilder.index(index, in: parent)) { values.append(value) }
            }
            return .list(values)
        case (.map(let element), .mapping(let entries)):
            let parent = path.text
            var values: [Fields.Entry] = []
            values.reserveCapacity(entries.count)
            for entry in entries {
                if let value = check(entry.value, type: element, field: field, path: PathBuilder.key(entry.key, in: parent)) { values.append(Fields.Entry(key: entry.key, value: value)) }
            }
            return .map(Fields(uniqueKeyEntries: values))
        case (.object(let nested), .mapping):
            let parent = path.text
            return .map(object(node, fields: nested, path: parent, context: "'\(parent)'", ownerLocation: node.location))
        case (_, .null):
            diagnostics.append(.error("'\(path.text)' is null; remove the field or give it a \(type.displayName) value", at: node.location))
            return nil
        default:
            diagnostics.append(.error(TypeMismatch.message(path.text, expected: type.withArticle, found: node, expectsString: type == .string, expectsBool: type == .bool, expectsNumber: type == .int || type == .number), at: node.location))
            return nil
        }
    }

    /// The schema's range for the field (``FieldSchema/minimum``, ``FieldSchema/maximum``).
    private mutating func inRange(_ value: Double, text: String, field: FieldSchema, path: PathBuilder, node: YAMLNode) -> Bool {
        if let minimum = field.minimum, value < minimum, let range = field.rangeText {
            diagnostics.append(.error("'\(path.text)' is \(text); it must be \(range)", at: node.location))
            return false
        }
        if let maximum = field.maximum, value > maximum, let range = field.rangeText {
            diagnostics.append(.error("'\(path.text)' is \(text); it must be \(range)", at: node.location))
            return false
        }
        return true
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
        if references.isEmpty { return check(YAMLNode(.string(string.replacingOccurrences(of: "$${", with: "${")), at: node.location), type: type, field: field, path: PathBuilder.written(path), literal: true) }
        guard allowsReferences else {
            diagnostics.append(.error("references are not allowed in '\(path)'", at: node.location))
            return nil
        }
        if parsed.soleReference == nil, type != .string {
            diagnostics.append(.error("'\(path)' must be \(type.withArticle); a reference can stand for it only when it is the whole value", at: node.location))
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
