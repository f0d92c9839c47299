/// Everything the manifests declare, validated, placed and ordered.
public struct DesiredState: Sendable {
    public var sites: [String: Site]
    /// Every placed resource, sorted by (graph layer, id).
    public var resources: [DesiredResource]
    public var graph: ResourceGraph

    public init(sites: [String: Site], resources: [DesiredResource], graph: ResourceGraph) {
        self.sites = sites
        self.resources = resources
        self.graph = graph
    }

    public func resource(_ id: ResourceID) -> DesiredResource? {
        index[id].map { resources[$0] }
    }

    private var index: [ResourceID: Int] {
        Dictionary(uniqueKeysWithValues: resources.enumerated().map { ($1.id, $0) })
    }

    /// The resources grouped by site, each group in (layer, id) order.
    public var resourcesBySite: [String: [DesiredResource]] {
        Dictionary(grouping: resources, by: \.id.site)
    }
}
