/// Decodes a `kind: Budget` document.
struct BudgetDecoder {
    static let specKeys = ["sites", "siteSelector", "selector", "monthly", "currency", "carbonKg", "enforce"]

    func decode(root: YAMLNode, name: Located<String>, fields: FieldReader, metadata: FieldReader, diagnostics: inout [Diagnostic]) -> Budget? {
        for key in ["site", "dependsOn"] {
            if let entry = metadata[key] { diagnostics.append(.error("'metadata.\(key)' does not apply to a Budget; 'spec.sites' or 'spec.siteSelector' chooses its sites", at: entry.keyLocation)) }
        }
        if let entry = fields["policy"] { diagnostics.append(.error("'policy' does not apply to a Budget", at: entry.keyLocation)) }
        guard let spec = PriceBookDecoder.mapping(fields["spec"], named: "spec", owner: root.location, required: "a Budget needs spec.monthly with spec.currency, or spec.carbonKg", diagnostics: &diagnostics) else { return nil }
        spec.rejectUnknown(Self.specKeys, context: "the Budget spec", diagnostics: &diagnostics)
        var budget = Budget(name: name.value, location: root.location)
        if spec["sites"] != nil {
            let names = spec.stringList("sites", diagnostics: &diagnostics)
            budget.sites.sites = names.map(\.value)
            budget.siteLocations = Dictionary(names.map { ($0.value, $0.location) }, uniquingKeysWith: { first, _ in first })
        }
        budget.sites.matchLabels = Self.matchLabels(spec, key: "siteSelector", diagnostics: &diagnostics)
        if budget.sites.sites != nil, budget.sites.matchLabels != nil, let entry = spec["siteSelector"] {
            diagnostics.append(.error("the Budget spec takes 'sites' or 'siteSelector', not both", at: entry.keyLocation))
        }
        budget.matchLabels = Self.matchLabels(spec, key: "selector", diagnostics: &diagnostics)
        budget.monthly = spec.number("monthly", in: PriceBookDecoder.figureRange, diagnostics: &diagnostics)
        if let text = spec.string("currency", diagnostics: &diagnostics) {
            if text.value.count == 3, text.value.allSatisfy({ $0.isASCII && $0.isUppercase }) {
                budget.currency = text.value
            } else {
                diagnostics.append(.error("'currency' is '\(text.value)'; write an ISO 4217 code such as EUR or USD", at: text.location))
            }
        }
        if spec["monthly"] != nil, spec["currency"] == nil {
            diagnostics.append(.error("'monthly' needs 'currency': a budget counts one currency", at: spec["monthly"]!.keyLocation))
        }
        if spec["currency"] != nil, spec["monthly"] == nil, let entry = spec["currency"] {
            diagnostics.append(.error("'currency' without 'monthly' limits nothing", at: entry.keyLocation))
        }
        budget.carbonKg = spec.number("carbonKg", in: PriceBookDecoder.figureRange, diagnostics: &diagnostics)
        if spec["monthly"] == nil, spec["carbonKg"] == nil {
            diagnostics.append(.error("a Budget needs a limit: 'monthly' (with 'currency'), 'carbonKg', or both", at: spec.owner))
        }
        budget.enforce = spec.enumeration("enforce", Budget.Enforcement.self, diagnostics: &diagnostics) ?? .block
        return budget
    }

    private static func matchLabels(_ spec: FieldReader, key: String, diagnostics: inout [Diagnostic]) -> StringMap? {
        guard let entry = spec[key] else { return nil }
        guard case .mapping(let entries) = entry.value.value else {
            diagnostics.append(.error("'\(key)' must be a mapping with 'matchLabels', found \(entry.value.typeName)", at: entry.value.location))
            return nil
        }
        let selector = FieldReader(entries: entries, owner: entry.value.location)
        selector.rejectUnknown(["matchLabels"], context: "'\(key)'", diagnostics: &diagnostics)
        return selector.labels("matchLabels", diagnostics: &diagnostics)
    }
}
