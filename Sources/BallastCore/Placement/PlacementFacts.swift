/// What the chooser of `count` placements is told about the world and the state: its input
/// beside the manifests, gathered by the caller (`plan` from its observation, watch mode from
/// its breakers and statuses) and never read by the chooser itself.
public struct PlacementFacts: Sendable {
    /// One instance the state's inventory records.
    public struct Instance: Sendable, Hashable {
        /// The site it stands in for, when failover placed it (the recorded decision).
        public var standsInFor: String?
        /// Whether it exists and is Ready now: observed so, on an available site.
        public var ready: Bool

        public init(standsInFor: String? = nil, ready: Bool = true) {
            self.standsInFor = standsInFor
            self.ready = ready
        }
    }

    /// A site that cannot be reached now: its circuit is open, or observing it failed.
    public struct Outage: Sendable, Hashable {
        /// How long it has been unavailable; nil when the caller cannot know (`plan` sees it
        /// down once), which counts as past any `failoverAfter`.
        public var lasted: Duration?
        public var reason: String

        public init(lasted: Duration?, reason: String) {
            self.lasted = lasted
            self.reason = reason
        }
    }

    public var existing: [ResourceID: Instance]
    public var outages: [String: Outage]
    /// Sites that came back, with how long they have been available since. A site in neither
    /// map has been available for as long as anyone knows.
    public var recovered: [String: Duration]

    public init(existing: [ResourceID: Instance] = [:], outages: [String: Outage] = [:], recovered: [String: Duration] = [:]) {
        self.existing = existing
        self.outages = outages
        self.recovered = recovered
    }

    /// Whether a site counts as failed for a manifest that fails over after `after`.
    func hasFailed(_ site: String, after: Duration) -> Bool {
        guard let outage = outages[site] else { return false }
        return outage.lasted.map { $0 >= after } ?? true
    }
}

extension PlacementFacts {
    /// The instances of `desired`'s count placements that `inventory` records, each Ready as
    /// `ready` says.
    public static func instances(of desired: DesiredState, inventory: Inventory, ready: (InventoryEntry) -> Bool) -> [ResourceID: Instance] {
        var result: [ResourceID: Instance] = [:]
        for resource in desired.resources where inventory.contains(resource.id) && desired.countPlacements["\(resource.id.kind)/\(resource.id.name)"] != nil {
            guard let entry = inventory[resource.id] else { continue }
            result[resource.id] = Instance(standsInFor: entry.standsInFor, ready: ready(entry))
        }
        return result
    }
}
