extension SchemaCatalog {
    /// `fields` of a `kind` resource (its spec, or with `outputs` its outputs) with every field a
    /// provider's schema marks sensitive replaced by `(sensitive)`: the one rule for showing a
    /// stored resource (`ballast get`, the console). A kind served by several providers hides
    /// what any of them calls sensitive.
    public func redactingSensitive(_ fields: Fields, kind: String, outputs: Bool = false) -> Fields {
        var shown = fields
        let schemas = providers.values.compactMap { $0.kind(kind) }
        for field in schemas.flatMap({ outputs ? $0.outputs : $0.fields }) where field.sensitive && shown[field.name] != nil {
            shown[field.name] = .string(ValueFormatter.sensitive)
        }
        return shown
    }
}
