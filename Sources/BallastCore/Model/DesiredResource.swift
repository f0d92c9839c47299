/// One placed resource as the manifests declare it, after validation and placement.
///
/// `spec` holds only the fields the user set; strings may still contain `${…}` templates,
/// which are resolved when planning (secrets) and applying (outputs).
public struct DesiredResource: Sendable, Hashable {
    public var id: ResourceID
    public var labels: StringMap
    public var annotations: StringMap
    public var spec: Fields
    public var policy: Policy
    /// Resources this one must follow: explicit `dependsOn` plus references, sorted.
    public var dependencies: [ResourceID]
    /// The topological layer: 0 without dependencies, else one more than the deepest one.
    public var layer: Int
    /// Spec paths whose values are secret: sensitive fields and those built from secrets.
    public var sensitivePaths: Set<String>
    /// Spec paths whose values hold `${…}` templates.
    public var templatePaths: [String]
    /// Which resource each output reference names, keyed as written (`Kind/name` or
    /// `Kind/name@site`), resolved relative to this resource's site.
    public var referenceTargets: [String: ResourceID]
    /// The document the resource came from.
    public var location: SourceLocation?
    /// The directory of the manifest file, against which relative `${file:…}` paths resolve;
    /// nil for standard input (the working directory).
    public var sourceDirectory: String?
    /// The manifest file that declares it, absolute with links resolved (``ManifestScope``);
    /// nil for standard input. Recorded in the inventory when it is applied
    /// (``InventoryEntry/manifest``).
    public var manifest: String?
    /// Where each template path's value, each file-loading field and `policy.preventDestroy`
    /// are written, so that an error about one (an unset `${env:…}`, an unreadable `source`, a
    /// refused delete) points at it, not at the document. Empty for most resources.
    public var fieldLocations: [String: SourceLocation] = [:]
    /// Files read into the spec when the manifests were loaded (a host File's `source`):
    /// watched and digested like the manifests themselves.
    public var readFiles: [String] = []
    /// For an instance failover placed: the site whose instance it stands in for. Recorded in
    /// the inventory with it (``InventoryEntry/standsInFor``), so that a restart keeps the decision.
    public var standsInFor: String?

    public init(
        id: ResourceID,
        labels: StringMap = [:],
        annotations: StringMap = [:],
        spec: Fields = Fields(),
        policy: Policy = Policy(),
        dependencies: [ResourceID] = [],
        layer: Int = 0,
        sensitivePaths: Set<String> = [],
        templatePaths: [String] = [],
        referenceTargets: [String: ResourceID] = [:],
        location: SourceLocation? = nil
    ) {
        self.id = id
        self.labels = labels
        self.annotations = annotations
        self.spec = spec
        self.policy = policy
        self.dependencies = dependencies
        self.layer = layer
        self.sensitivePaths = sensitivePaths
        self.templatePaths = templatePaths
        self.referenceTargets = referenceTargets
        self.location = location
    }

    /// Whether the value at a spec path is secret (the path or one of its parents is).
    public func isSensitive(_ path: String) -> Bool {
        if sensitivePaths.isEmpty { return false }
        if sensitivePaths.contains(path) { return true }
        return sensitivePaths.contains { path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[") }
    }
}
