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
        (budget.sites, budget.siteLocations) = spec.siteScope(selectorKey: "siteSelector", context: "the Budget spec", diagnostics: &diagnostics)
        budget.matchLabels = spec.selector("selector", context: "the Budget spec's selector", diagnostics: &diagnostics)
        budget.monthly = spec.number("monthly", in: PriceBookDecoder.figureRange, diagnostics: &diagnostics)
        budget.currency = spec.currency("currency", diagnostics: &diagnostics)
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
}
