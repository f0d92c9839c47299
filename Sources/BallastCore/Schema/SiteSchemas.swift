/// What validation and planning need of each declared site's provider, looked up once per
/// site rather than once per resource: the provider's schema and, for each kind it serves, the kind's
/// schema and the fields that must stay inside a directory of the site's config.
struct SiteSchemas {
    /// One site and its provider's schemas. A class, so a lookup hands out one reference.
    final class Entry: Sendable {
        let site: Site
        /// Nil when the provider is not registered (a plugin that could not be found).
        let provider: ProviderSchema?
        let kinds: [String: KindSchema]
        let confinedFields: [String: [FieldSchema]]

        init(site: Site, provider: ProviderSchema?) {
            self.site = site
            self.provider = provider
            var kinds: [String: KindSchema] = [:]
            var confinedFields: [String: [FieldSchema]] = [:]
            for kind in provider?.kinds ?? [] where kinds[kind.kind] == nil {
                kinds[kind.kind] = kind
                let confined = kind.fields.filter { $0.confinedTo != nil }
                if !confined.isEmpty { confinedFields[kind.kind] = confined }
            }
            self.kinds = kinds
            self.confinedFields = confinedFields
        }
    }

    private let entries: [String: Entry]

    init(sites: [String: Site], catalog: SchemaCatalog) {
        entries = sites.mapValues { Entry(site: $0, provider: catalog.providers[$0.provider]) }
    }

    subscript(site: String) -> Entry? { entries[site] }
}
