/// The readers price books, budgets and placement share: site lists, label selectors and
/// currencies, each checked in one place.
extension FieldReader {
    /// `KEY: { matchLabels: {...} }`, nil when absent.
    func selector(_ key: String, context: String, diagnostics: inout [Diagnostic]) -> StringMap? {
        guard let entry = self[key] else { return nil }
        guard case .mapping(let entries) = entry.value.value else {
            diagnostics.append(.error("'\(context)' must be a mapping with 'matchLabels', found \(entry.value.typeName)", at: entry.value.location))
            return nil
        }
        let selector = FieldReader(entries: entries, owner: entry.value.location)
        selector.rejectUnknown(["matchLabels"], context: context, diagnostics: &diagnostics)
        return selector.labels("matchLabels", diagnostics: &diagnostics)
    }

    /// `sites: [...]` or `SELECTORKEY: { matchLabels }` (not both); neither covers every site.
    /// Also where each named site is written, for the error when it is not declared.
    func siteScope(selectorKey: String, context: String, diagnostics: inout [Diagnostic]) -> (scope: SiteScope, locations: [String: SourceLocation]) {
        var scope = SiteScope()
        var locations: [String: SourceLocation] = [:]
        if self["sites"] != nil {
            let names = stringList("sites", diagnostics: &diagnostics)
            for site in names where !NameRules.isValidName(site.value) {
                diagnostics.append(.error("'\(site.value)' is not a site name", at: site.location))
            }
            scope.sites = names.map(\.value)
            for site in names where locations[site.value] == nil { locations[site.value] = site.location }
        }
        scope.matchLabels = selector(selectorKey, context: "\(context)'s \(selectorKey)", diagnostics: &diagnostics)
        if scope.sites != nil, scope.matchLabels != nil, let entry = self[selectorKey] {
            diagnostics.append(.error("\(context) takes 'sites' or '\(selectorKey)', not both", at: entry.keyLocation))
        }
        return (scope, locations)
    }

    /// An ISO 4217 code: three capital letters.
    func currency(_ key: String, diagnostics: inout [Diagnostic]) -> String? {
        guard let text = string(key, diagnostics: &diagnostics) else { return nil }
        guard text.value.count == 3, text.value.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
            diagnostics.append(.error("'\(key)' is '\(text.value)'; write an ISO 4217 code such as EUR or USD", at: text.location))
            return nil
        }
        return text.value
    }
}
