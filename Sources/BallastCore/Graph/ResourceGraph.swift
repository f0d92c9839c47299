/// The dependency DAG of the placed resources, with a deterministic order.
public struct ResourceGraph: Sendable, Hashable {
    /// Every resource, sorted by (layer, id): an order in which creates can run.
    public private(set) var order: [ResourceID]
    /// The topological layer of each resource: 0 for those with no dependencies.
    public private(set) var layers: [ResourceID: Int]
    /// What each resource depends on, sorted.
    public private(set) var dependencies: [ResourceID: [ResourceID]]
    /// What depends on each resource, sorted.
    public private(set) var dependents: [ResourceID: [ResourceID]]

    public init(order: [ResourceID], layers: [ResourceID: Int], dependencies: [ResourceID: [ResourceID]]) {
        self.order = order
        self.layers = layers
        self.dependencies = dependencies
        var dependents: [ResourceID: [ResourceID]] = [:]
        for (node, targets) in dependencies {
            for target in targets { dependents[target, default: []].append(node) }
        }
        self.dependents = dependents.mapValues { $0.sorted() }
    }

    public var layerCount: Int { (layers.values.max() ?? -1) + 1 }

    /// The graph of validated resources (each already knows its layer and dependencies).
    public init(resources: [DesiredResource]) {
        self.init(
            order: resources.map(\.id),
            layers: Dictionary(uniqueKeysWithValues: resources.map { ($0.id, $0.layer) }),
            dependencies: Dictionary(uniqueKeysWithValues: resources.map { ($0.id, $0.dependencies) }))
    }

    /// Every resource that depends on `id`, directly or not.
    public func transitiveDependents(of id: ResourceID) -> Set<ResourceID> {
        var seen = Set<ResourceID>()
        var pending = dependents[id] ?? []
        while let next = pending.popLast() {
            if seen.insert(next).inserted { pending.append(contentsOf: dependents[next] ?? []) }
        }
        return seen
    }
}
