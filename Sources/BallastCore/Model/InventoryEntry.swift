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
    /// The spec last applied (templates unresolved), and its digest.
    public var spec: Fields
    public var specDigest: String
    public var outputs: Fields
    public var status: Status
    public var lastError: String?
    public var generation: Int
    public var dependencies: [ResourceID]
    public var preventDestroy: Bool
    public var deletion: Policy.Deletion
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: ResourceID, spec: Fields, specDigest: String, outputs: Fields = Fields(), status: Status = .ready,
        lastError: String? = nil, generation: Int = 1, dependencies: [ResourceID] = [], preventDestroy: Bool = false,
        deletion: Policy.Deletion = .delete, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.spec = spec
        self.specDigest = specDigest
        self.outputs = outputs
        self.status = status
        self.lastError = lastError
        self.generation = generation
        self.dependencies = dependencies
        self.preventDestroy = preventDestroy
        self.deletion = deletion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
