import BallastCore

/// An adapter that observes and changes resources of the kinds it serves, on the sites that
/// name it. Built in, or out of process through the plugin bridge.
///
/// Calls throw only ``ProviderError`` (typed throws): its code says whether a retry can help,
/// so the engine never has to guess from an untyped error. Every call may be retried by the
/// engine after a retryable one, so `create`, `update` and `delete` must be safe to repeat:
/// creating what already exists with the same spec adopts it, deleting what is gone succeeds.
public protocol Provider: Sendable {
    /// The name sites use in `spec.provider`.
    var name: String { get }

    /// The kinds served, with each field's type and flags, and the site config schema.
    /// Constant for the life of the provider.
    func schema() -> ProviderSchema

    /// Reports what exists now for the given ids, all on one site, in one batch.
    /// Side-effect free and idempotent; ids that do not exist are absent from the result.
    /// Throws a retryable error when the site cannot be reached.
    func observe(_ ids: [ResourceID], site: Site) async throws(ProviderError) -> [ResourceID: Observed]

    /// Creates the resource with its spec fully resolved (no templates left) and returns what
    /// now exists, outputs included.
    func create(_ resource: ResolvedResource, site: Site) async throws(ProviderError) -> Observed

    /// Brings an existing resource to the resolved spec in place; never called for a change
    /// to an immutable field (that is a replace: delete, then create).
    func update(_ resource: ResolvedResource, current: Observed, site: Site) async throws(ProviderError) -> Observed

    /// Deletes the resource; succeeds when it is already gone.
    func delete(_ id: ResourceID, site: Site) async throws(ProviderError)

    /// Pushes the ids of resources that changed outside Ballast, for event-driven reconcile;
    /// nil means the provider can only be polled.
    func changes(site: Site) -> AsyncStream<ResourceID>?

    /// Every resource of the provider's kinds that exists on the site, whoever made it, sorted
    /// by id: what `ballast unmanaged` compares with the manifests and the inventory. Nil when
    /// the provider cannot list (the capability is optional). Side-effect free; throws a
    /// retryable error when the site cannot be reached.
    func list(site: Site) async throws(ProviderError) -> [Observed]?

    /// Lets go of what the provider holds in memory only to answer later calls faster (the
    /// sim's parsed world). Every later call still works and answers as before, reading it
    /// again first. Called by a process that will not call the provider again: `plan`, once
    /// it has observed. Never loses a change made through the provider.
    func releaseCaches() async
}

extension Provider {
    public func changes(site: Site) -> AsyncStream<ResourceID>? { nil }
    public func list(site: Site) async throws(ProviderError) -> [Observed]? { nil }
    public func releaseCaches() async {}
}

/// A desired resource with every template filled: what providers are asked to make real.
public struct ResolvedResource: Sendable, Hashable {
    public var id: ResourceID
    public var spec: Fields
    public var labels: StringMap

    public init(id: ResourceID, spec: Fields, labels: StringMap = [:]) {
        self.id = id
        self.spec = spec
        self.labels = labels
    }
}
