/// What a provider reports exists now for one resource.
public struct Observed: Sendable, Hashable {
    public var id: ResourceID
    /// The spec as the provider gave it: parsed, or (the sim's world, read from its files) the
    /// JSON text, parsed when read. A plan holds every observed spec at once, and a parsed spec
    /// takes about three times the bytes of its text.
    private var storedSpec: EncodedFields
    /// Computed outputs (ids, addresses).
    public var outputs: Fields
    /// Changes whenever the resource changes; a saved plan records it to detect staleness.
    public var revision: String

    public init(id: ResourceID, spec: Fields, outputs: Fields = Fields(), revision: String) {
        self.init(id: id, spec: EncodedFields(spec), outputs: outputs, revision: revision)
    }

    /// An observation whose spec is kept as given, text or parsed (see ``EncodedFields``).
    public init(id: ResourceID, spec: EncodedFields, outputs: Fields = Fields(), revision: String) {
        self.id = id
        storedSpec = spec
        self.outputs = outputs
        self.revision = revision
    }

    /// The resource's settable fields as they are now; parsed on each read when kept as text,
    /// so a reader that needs them more than once keeps its own copy.
    public var spec: Fields {
        get { storedSpec.fields }
        set { storedSpec = EncodedFields(newValue) }
    }
}
