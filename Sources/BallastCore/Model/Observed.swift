/// What a provider reports exists now for one resource.
public struct Observed: Sendable, Hashable {
    public var id: ResourceID
    /// The resource's settable fields as they are now.
    public var spec: Fields
    /// Computed outputs (ids, addresses).
    public var outputs: Fields
    /// Changes whenever the resource changes; a saved plan records it to detect staleness.
    public var revision: String

    public init(id: ResourceID, spec: Fields, outputs: Fields = Fields(), revision: String) {
        self.id = id
        self.spec = spec
        self.outputs = outputs
        self.revision = revision
    }
}
