import Foundation

/// What Ballast remembers about one resource it manages (the state store's inventory).
public struct InventoryEntry: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case ready = "Ready"
        case failed = "Failed"
        case drifted = "Drifted"
        case unknown = "Unknown"
    }

    public var id: ResourceID
    /// The spec last applied (templates unresolved), and ``specDigest`` its digest. Kept as read
    /// from the store (`$spec`: JSON text, parsed when read: a plan reads it only for what it
    /// deletes or must complete).
    @EncodedFields public var spec: Fields
    public var specDigest: String
    @EncodedFields public var outputs: Fields
    public var status: Status
    public var lastError: String?
    public var generation: Int
    public var dependencies: [ResourceID]
    public var preventDestroy: Bool
    public var deletion: Policy.Deletion
    /// `policy.prune` as last applied: false keeps it when it is no longer declared.
    public var prune: Bool
    public var createdAt: Date
    public var updatedAt: Date
    /// For an instance placed by failover: the site whose instance it stands in for (the
    /// placement decision, kept with the instance so that a restart does not flip it).
    public var standsInFor: String?
    /// The labels of the manifest as last applied: what a label-scoped budget counts a
    /// resource's deletion against once the manifest is gone.
    public var labels: StringMap
    /// The manifest file it was declared in when it was last created or changed (absolute,
    /// links resolved); nil when unknown: standard input, a git source (each commit is read
    /// from a directory of its own), an agent's site, or applied before this was recorded.
    /// What ``ManifestScope`` checks before a resource no manifest declares is pruned.
    public var manifest: String?

    public init(
        id: ResourceID, spec: Fields, specDigest: String, outputs: Fields = Fields(), status: Status = .ready,
        lastError: String? = nil, generation: Int = 1, dependencies: [ResourceID] = [], preventDestroy: Bool = false,
        deletion: Policy.Deletion = .delete, prune: Bool = true, createdAt: Date, updatedAt: Date, standsInFor: String? = nil, labels: StringMap = [:], manifest: String? = nil
    ) {
        self.init(
            id: id, storedSpec: EncodedFields(spec), specDigest: specDigest, storedOutputs: EncodedFields(outputs), status: status, lastError: lastError,
            generation: generation, dependencies: dependencies, preventDestroy: preventDestroy, deletion: deletion, prune: prune, createdAt: createdAt,
            updatedAt: updatedAt, standsInFor: standsInFor, labels: labels, manifest: manifest)
    }

    public init(
        id: ResourceID, storedSpec: EncodedFields, specDigest: String, storedOutputs: EncodedFields, status: Status,
        lastError: String?, generation: Int, dependencies: [ResourceID], preventDestroy: Bool,
        deletion: Policy.Deletion, prune: Bool, createdAt: Date, updatedAt: Date, standsInFor: String?, labels: StringMap, manifest: String? = nil
    ) {
        self.id = id
        _spec = storedSpec
        self.specDigest = specDigest
        _outputs = storedOutputs
        self.status = status
        self.lastError = lastError
        self.generation = generation
        self.dependencies = dependencies
        self.preventDestroy = preventDestroy
        self.deletion = deletion
        self.prune = prune
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.standsInFor = standsInFor
        self.labels = labels
        self.manifest = manifest
    }

    /// The deletion-related policy remembered from the manifest as last applied.
    public var recordedPolicy: RecordedPolicy {
        get { RecordedPolicy(preventDestroy: preventDestroy, deletion: deletion, prune: prune) }
        set { (preventDestroy, deletion, prune) = (newValue.preventDestroy, newValue.deletion, newValue.prune) }
    }
}

/// The parts of a resource's policy that must outlive its manifest: they decide what happens
/// once it is no longer declared.
public struct RecordedPolicy: Sendable, Hashable {
    public var preventDestroy: Bool
    public var deletion: Policy.Deletion
    public var prune: Bool

    public init(preventDestroy: Bool = false, deletion: Policy.Deletion = .delete, prune: Bool = true) {
        self.preventDestroy = preventDestroy
        self.deletion = deletion
        self.prune = prune
    }

    public init(_ policy: Policy) {
        self.init(preventDestroy: policy.preventDestroy, deletion: policy.deletion, prune: policy.prune)
    }
}

/// What Ballast manages, by id: the state store's inventory.
public typealias Inventory = ResourceTable<InventoryEntry>
