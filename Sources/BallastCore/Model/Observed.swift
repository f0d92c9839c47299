/// What a provider reports exists now for one resource.
public struct Observed: Sendable, Hashable {
    public var id: ResourceID
    /// The resource's settable fields as they are now. Kept as the provider gave them: parsed,
    /// or (the sim's world, read from its files) as JSON text, parsed on each read, so a reader
    /// that needs them more than once keeps its own copy. A plan holds every observed spec at
    /// once, and a parsed spec takes about three times the bytes of its text.
    @EncodedFields public var spec: Fields
    /// Computed outputs (ids, addresses), kept as given like ``spec``: a plan reads only the
    /// outputs that references need.
    @EncodedFields public var outputs: Fields
    /// Changes whenever the resource changes; a saved plan records it to detect staleness.
    public var revision: String

    public init(id: ResourceID, spec: Fields, outputs: Fields = Fields(), revision: String) {
        self.init(id: id, spec: EncodedFields(spec), outputs: EncodedFields(outputs), revision: revision)
    }

    /// An observation whose spec is kept as given, text or parsed (see ``EncodedFields``).
    public init(id: ResourceID, spec: EncodedFields, outputs: Fields = Fields(), revision: String) {
        self.init(id: id, spec: spec, outputs: EncodedFields(outputs), revision: revision)
    }

    /// An observation whose spec and outputs are kept as given, text or parsed.
    public init(id: ResourceID, spec: EncodedFields, outputs: EncodedFields, revision: String) {
        self.id = id
        _spec = spec
        _outputs = outputs
        self.revision = revision
    }
}
