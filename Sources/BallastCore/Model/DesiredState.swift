/// Everything the manifests declare, validated, placed and ordered.
public struct DesiredState: Sendable {
    public var sites: [String: Site]
    /// Every placed resource, sorted by (graph layer, id): an order in which creates can run.
    public var resources: [DesiredResource]
    /// The `PriceBook` documents, sorted by name.
    public var priceBooks: [PriceBook]
    /// The `Budget` documents, sorted by name.
    public var budgets: [Budget]
    /// Manifests placed with `spec.placement.count`, by `Kind/name`: until
    /// ``PlacementChooser`` has chosen, `resources` holds an instance on every candidate site.
    public var countPlacements: [String: CountPlacement] = [:]
    /// Why each instance of a count placement is where it is, once chosen (for the plan).
    public var placementNotes: [ResourceID: String] = [:]
    /// Instances of count placements that exist but were not chosen, and why (the reason their
    /// deletion shows): retired by a failback, or beyond a smaller `count`.
    public var retiredInstances: [ResourceID: String] = [:]
    /// What failover decided, once chosen.
    public var failover = FailoverReport()

    public init(sites: [String: Site], resources: [DesiredResource], priceBooks: [PriceBook] = [], budgets: [Budget] = []) {
        self.sites = sites
        self.resources = resources
        self.priceBooks = priceBooks
        self.budgets = budgets
    }

    /// The dependency graph, built on demand from the resources.
    public var graph: ResourceGraph { ResourceGraph(resources: resources) }

    public var layerCount: Int { (resources.map(\.layer).max() ?? -1) + 1 }

    /// The resources by id, sharing ``resources`` rather than copying it.
    public var resourcesByID: ResourcesByID { ResourcesByID(resources) }
}
