/// Decodes a `kind: PriceBook` document, checking every field a model names against the
/// schema of the provider's kind, at the position where it is written.
struct PriceBookDecoder {
    static let specKeys = ["sites", "selector", "currency", "hoursPerMonth", "models"]
    static let modelKeys = ["provider", "kind", "terms", "multipliers", "usage"]
    static let termKeys = ["name", "quantity", "perHour", "perMonth", "watts", "kWhPerMonth", "embodiedKgPerMonth"]
    static let rateKeys = ["perHour", "perMonth", "watts", "kWhPerMonth", "embodiedKgPerMonth"]
    /// Every figure a price book or budget holds: not negative, and at most a trillion, so that
    /// no product or sum of them overflows.
    static let figureRange = 0.0...1e12

    let catalog: SchemaCatalog

    func decode(root: YAMLNode, name: Located<String>, fields: FieldReader, metadata: FieldReader, diagnostics: inout [Diagnostic]) -> PriceBook? {
        for key in ["site", "dependsOn"] {
            if let entry = metadata[key] { diagnostics.append(.error("'metadata.\(key)' does not apply to a PriceBook; 'spec.sites' or 'spec.selector' chooses its sites", at: entry.keyLocation)) }
        }
        if let entry = fields["policy"] { diagnostics.append(.error("'policy' does not apply to a PriceBook", at: entry.keyLocation)) }
        guard let spec = Self.mapping(fields["spec"], named: "spec", owner: root.location, required: "a PriceBook needs spec.currency and spec.models", diagnostics: &diagnostics) else { return nil }
        spec.rejectUnknown(Self.specKeys, context: "the PriceBook spec", diagnostics: &diagnostics)
        let (scope, siteLocations) = spec.siteScope(selectorKey: "selector", context: "the PriceBook spec", diagnostics: &diagnostics)
        let currency = spec.currency("currency", diagnostics: &diagnostics) ?? "USD"
        if spec["currency"] == nil {
            diagnostics.append(.error("missing required field 'spec.currency' (an ISO 4217 code such as EUR)", at: spec.owner))
        }
        let hours = spec.number("hoursPerMonth", in: 1...744, diagnostics: &diagnostics) ?? PriceBook.defaultHoursPerMonth
        var models: [PriceModel] = []
        var seen: [String: SourceLocation] = [:]
        if let entry = spec["models"] {
            if case .sequence(let items) = entry.value.value {
                for item in items {
                    guard let model = decodeModel(item, diagnostics: &diagnostics) else { continue }
                    let key = "\(model.provider) \(model.kind)"
                    if let first = seen[key] {
                        diagnostics.append(.error("a second model for \(key) in PriceBook '\(name.value)'", at: item.location, notes: [.init("the first is here", at: first)]))
                        continue
                    }
                    seen[key] = item.location
                    models.append(model)
                }
            } else {
                diagnostics.append(.error("'models' must be a list, found \(entry.value.typeName)", at: entry.value.location))
            }
        } else {
            diagnostics.append(.error("missing required field 'spec.models'", at: spec.owner))
        }
        var book = PriceBook(name: name.value, location: root.location, scope: scope, currency: currency, hoursPerMonth: hours, models: models)
        book.siteLocations = siteLocations
        return book
    }

    static func mapping(_ entry: YAMLEntry?, named name: String, owner: SourceLocation, required: String?, diagnostics: inout [Diagnostic]) -> FieldReader? {
        guard let entry else {
            if let required { diagnostics.append(.error("missing required field '\(name)' (\(required))", at: owner)) }
            return nil
        }
        guard case .mapping(let entries) = entry.value.value else {
            diagnostics.append(.error("'\(name)' must be a mapping, found \(entry.value.typeName)", at: entry.value.location))
            return nil
        }
        return FieldReader(entries: entries, owner: entry.value.location)
    }

    private func decodeModel(_ node: YAMLNode, diagnostics: inout [Diagnostic]) -> PriceModel? {
        guard case .mapping(let entries) = node.value else {
            diagnostics.append(.error("a price model must be a mapping with provider, kind and terms, found \(node.typeName)", at: node.location))
            return nil
        }
        let model = FieldReader(entries: entries, owner: node.location)
        model.rejectUnknown(Self.modelKeys, context: "a price model", diagnostics: &diagnostics)
        let provider = model.string("provider", diagnostics: &diagnostics)
        if provider == nil, model["provider"] == nil { diagnostics.append(.error("missing required field 'provider' in a price model", at: node.location)) }
        let kind = model.string("kind", diagnostics: &diagnostics)
        if kind == nil, model["kind"] == nil { diagnostics.append(.error("missing required field 'kind' in a price model", at: node.location)) }
        guard let provider, let kind else { return nil }
        // nil: not checked (a plugin this machine does not have).
        var schema: [FieldSchema]?
        if let providerSchema = catalog.providers[provider.value] {
            if let kindSchema = providerSchema.kind(kind.value) {
                schema = kindSchema.fields
            } else {
                diagnostics.append(.error("provider '\(provider.value)' has no kind '\(kind.value)'\(Suggestion.hint(for: kind.value, among: providerSchema.kinds.map(\.kind)))", at: kind.location))
            }
        } else if !provider.value.hasPrefix("plugin:") {
            diagnostics.append(.error("unknown provider '\(provider.value)'\(Suggestion.hint(for: provider.value, among: catalog.providerNames))", at: provider.location))
        }
        var terms: [PriceTerm] = []
        if let entry = model["terms"] {
            if case .sequence(let items) = entry.value.value {
                for (index, item) in items.enumerated() {
                    if let term = decodeTerm(item, number: index + 1, schema: schema, diagnostics: &diagnostics) { terms.append(term) }
                }
            } else {
                diagnostics.append(.error("'terms' must be a list, found \(entry.value.typeName)", at: entry.value.location))
            }
        }
        var multipliers: [PriceMultiplier] = []
        if let entry = model["multipliers"] {
            if case .sequence(let items) = entry.value.value {
                for item in items {
                    if let multiplier = decodeMultiplier(item, schema: schema, diagnostics: &diagnostics) { multipliers.append(multiplier) }
                }
            } else {
                diagnostics.append(.error("'multipliers' must be a list, found \(entry.value.typeName)", at: entry.value.location))
            }
        }
        var usage: [String: Double] = [:]
        if let usageFields = Self.mapping(model["usage"], named: "usage", owner: node.location, required: nil, diagnostics: &diagnostics) {
            for entry in usageFields.entries {
                if let value = FieldReader.number(entry.value, named: "usage.\(entry.key)", in: Self.figureRange, diagnostics: &diagnostics) { usage[entry.key] = value }
            }
        }
        return PriceModel(provider: provider.value, kind: kind.value, terms: terms, multipliers: multipliers, usage: usage, location: node.location)
    }

    private func decodeTerm(_ node: YAMLNode, number: Int, schema: [FieldSchema]?, diagnostics: inout [Diagnostic]) -> PriceTerm? {
        guard case .mapping(let entries) = node.value else {
            diagnostics.append(.error("a price term must be a mapping, found \(node.typeName)", at: node.location))
            return nil
        }
        let fields = FieldReader(entries: entries, owner: node.location)
        fields.rejectUnknown(Self.termKeys, context: "a price term", diagnostics: &diagnostics)
        var term = PriceTerm(name: fields.string("name", diagnostics: &diagnostics)?.value ?? "term \(number)")
        if let entry = fields["quantity"] {
            term.quantity = decodeQuantity(entry, schema: schema, diagnostics: &diagnostics) ?? .one
        }
        term.perHour = decodeRate(fields["perHour"], schema: schema, diagnostics: &diagnostics)
        term.perMonth = decodeRate(fields["perMonth"], schema: schema, diagnostics: &diagnostics)
        term.watts = decodeRate(fields["watts"], schema: schema, diagnostics: &diagnostics)
        term.kWhPerMonth = decodeRate(fields["kWhPerMonth"], schema: schema, diagnostics: &diagnostics)
        term.embodiedKgPerMonth = decodeRate(fields["embodiedKgPerMonth"], schema: schema, diagnostics: &diagnostics)
        if !Self.rateKeys.contains(where: { fields[$0] != nil }) {
            diagnostics.append(.error("price term '\(term.name)' has no rate: give perHour, perMonth, watts, kWhPerMonth or embodiedKgPerMonth", at: node.location))
        }
        return term
    }

    private func decodeQuantity(_ entry: YAMLEntry, schema: [FieldSchema]?, diagnostics: inout [Diagnostic]) -> PriceQuantity? {
        guard case .mapping(let entries) = entry.value.value else {
            diagnostics.append(.error("'quantity' must be a mapping with 'field', 'by' and 'values', or 'usage'; found \(entry.value.typeName)", at: entry.value.location))
            return nil
        }
        let fields = FieldReader(entries: entries, owner: entry.value.location)
        fields.rejectUnknown(["field", "by", "values", "usage"], context: "'quantity'", diagnostics: &diagnostics)
        let given = ["field", "by", "usage"].filter { fields[$0] != nil }
        guard given.count == 1 else {
            diagnostics.append(.error("'quantity' takes one of 'field' (a number), 'by' with 'values' (a table), or 'usage' (an estimate)\(given.isEmpty ? "" : "; found \(given.joined(separator: " and "))")", at: entry.value.location))
            return nil
        }
        if let usage = fields.string("usage", diagnostics: &diagnostics) {
            return .usage(usage.value)
        }
        if fields["field"] != nil {
            if let entry = fields["values"] { diagnostics.append(.error("'values' goes with 'by', not 'field'", at: entry.keyLocation)) }
            guard let path = checkedPath(fields.string("field", diagnostics: &diagnostics), schema: schema, wants: .numeric, diagnostics: &diagnostics) else { return nil }
            return .field(path)
        }
        guard let (path, table) = decodeTable(fields, schema: schema, diagnostics: &diagnostics) else { return nil }
        return .lookup(path, table)
    }

    private func decodeRate(_ entry: YAMLEntry?, schema: [FieldSchema]?, diagnostics: inout [Diagnostic]) -> PriceRate? {
        guard let entry else { return nil }
        switch entry.value.value {
        case .int, .double:
            return FieldReader.number(entry.value, named: entry.key, in: Self.figureRange, diagnostics: &diagnostics).map(PriceRate.flat)
        case .mapping(let entries):
            let fields = FieldReader(entries: entries, owner: entry.value.location)
            fields.rejectUnknown(["by", "values"], context: "'\(entry.key)'", diagnostics: &diagnostics)
            guard let (path, table) = decodeTable(fields, schema: schema, diagnostics: &diagnostics) else { return nil }
            return .by(path, table)
        default:
            diagnostics.append(.error("'\(entry.key)' must be a number, or a mapping with 'by' and 'values'; found \(entry.value.typeName)", at: entry.value.location))
            return nil
        }
    }

    /// `by: FIELD` and `values: { VALUE: figure }`: each value must be one the field allows.
    private func decodeTable(_ fields: FieldReader, schema: [FieldSchema]?, diagnostics: inout [Diagnostic]) -> (PriceFieldPath, [String: Double])? {
        guard let byText = fields.string("by", diagnostics: &diagnostics) else {
            if fields["by"] == nil { diagnostics.append(.error("missing 'by': the field whose value chooses the figure", at: fields.owner)) }
            return nil
        }
        let path = checkedPath(byText, schema: schema, wants: .choice, diagnostics: &diagnostics)
        var leaf: FieldSchema?
        if let schema, let path { leaf = try? path.leaf(in: schema).get() }
        guard let values = Self.mapping(fields["values"], named: "values", owner: fields.owner, required: "the figure for each value of '\(byText.value)'", diagnostics: &diagnostics) else { return nil }
        var table: [String: Double] = [:]
        for entry in values.entries {
            if let allowed = leaf?.allowed, !allowed.contains(entry.key) {
                diagnostics.append(.error("'\(entry.key)' is not a value of '\(byText.value)': expected one of \(allowed.joined(separator: ", "))\(Suggestion.hint(for: entry.key, among: allowed))", at: entry.keyLocation))
                continue
            }
            if case .bool = leaf?.type, !["true", "false"].contains(entry.key) {
                diagnostics.append(.error("'\(byText.value)' is a bool: its values are true and false, not '\(entry.key)'", at: entry.keyLocation))
                continue
            }
            if let figure = FieldReader.number(entry.value, named: entry.key, in: Self.figureRange, diagnostics: &diagnostics) { table[entry.key] = figure }
        }
        guard let path else { return nil }
        return (path, table)
    }

    private func decodeMultiplier(_ node: YAMLNode, schema: [FieldSchema]?, diagnostics: inout [Diagnostic]) -> PriceMultiplier? {
        guard case .mapping(let entries) = node.value else {
            diagnostics.append(.error("a multiplier must be a mapping with 'field' (and 'factor' for a bool field), found \(node.typeName)", at: node.location))
            return nil
        }
        let fields = FieldReader(entries: entries, owner: node.location)
        fields.rejectUnknown(["field", "factor"], context: "a multiplier", diagnostics: &diagnostics)
        let text = fields.string("field", diagnostics: &diagnostics)
        if text == nil, fields["field"] == nil { diagnostics.append(.error("missing required field 'field' in a multiplier", at: node.location)) }
        let factor = fields.number("factor", in: Self.figureRange, diagnostics: &diagnostics)
        guard let path = checkedPath(text, schema: schema, wants: factor == nil ? .numeric : .bool, diagnostics: &diagnostics) else { return nil }
        if let factor { return .whenTrue(path, factor: factor) }
        if let schema, case .success(let leaf) = path.leaf(in: schema), case .bool = leaf.type {
            diagnostics.append(.error("'\(path)' is a bool: give the 'factor' that applies when it is true", at: node.location))
            return nil
        }
        return .field(path)
    }

    enum Wanted {
        case numeric
        case choice
        case bool
    }

    /// The path, checked against the kind's fields when they are known: it must name a field
    /// of the wanted type. Errors point at the path as written.
    private func checkedPath(_ text: Located<String>?, schema: [FieldSchema]?, wants: Wanted, diagnostics: inout [Diagnostic]) -> PriceFieldPath? {
        guard let text else { return nil }
        guard let path = PriceFieldPath(text.value) else {
            diagnostics.append(.error("'\(text.value)' is not a field path: write 'sizeGb', 'backups.retentionDays' or 'disks[].sizeGb'", at: text.location))
            return nil
        }
        guard let schema else { return path }
        switch path.leaf(in: schema) {
        case .failure(let problem):
            diagnostics.append(.error("'\(text.value)' \(problem.message)\(Suggestion.hint(for: path.segments.last?.name ?? "", among: problem.suggestions))", at: text.location))
            return nil
        case .success(let leaf):
            let fits: Bool
            let expected: String
            switch wants {
            case .numeric:
                expected = "an int or number field"
                if case .int = leaf.type { fits = true } else if case .number = leaf.type { fits = true } else { fits = false }
            case .choice:
                expected = "a string, bool or int field"
                switch leaf.type {
                case .string, .bool, .int: fits = true
                default: fits = false
                }
            case .bool:
                expected = "a bool field (a 'factor' applies when it is true)"
                if case .bool = leaf.type { fits = true } else { fits = false }
            }
            if !fits {
                diagnostics.append(.error("'\(text.value)' is \(leaf.type.withArticle); a price model needs \(expected) here", at: text.location))
                return nil
            }
            return path
        }
    }
}
