import BallastCore
import Foundation

/// What the status console shows at one moment: one page of resources (as filtered), the sites
/// with their resource counts by condition, and the manifests in force. Taken in one step on
/// the controller, so its parts agree.
public struct ConsoleSnapshot: Sendable {
    /// One resource of the page, with the labels its manifest gives it.
    public struct Row: Sendable, Hashable {
        public var status: ResourceStatus
        public var labels: StringMap

        public init(status: ResourceStatus, labels: StringMap) {
            self.status = status
            self.labels = labels
        }
    }

    /// One site, with how many of its resources each condition holds for.
    public struct SiteRow: Sendable, Hashable {
        public var status: SiteStatus
        public var resources: Int
        public var counts: [ResourceCondition.Kind: Int]
        /// What its declared resources cost a month, one row per currency, by the price books
        /// (`group` is the site); empty when no price book covers them.
        public var cost: [CostReport.Row]

        public init(status: SiteStatus, resources: Int, counts: [ResourceCondition.Kind: Int], cost: [CostReport.Row] = []) {
            self.status = status
            self.resources = resources
            self.counts = counts
            self.cost = cost
        }
    }

    /// How many resources match the filter in all.
    public var total: Int
    /// The page: `limit` resources from `offset`, sorted by id.
    public var rows: [Row]
    public var offset: Int
    public var sites: [SiteRow]
    public var manifests: ManifestReport?
    public var suspended: Bool
    /// Kinds and label keys in force, sorted: what the filters offer.
    public var kinds: [String]
    public var labelKeys: [String]

    public init(total: Int, rows: [Row], offset: Int, sites: [SiteRow], manifests: ManifestReport?, suspended: Bool, kinds: [String], labelKeys: [String]) {
        self.total = total
        self.rows = rows
        self.offset = offset
        self.sites = sites
        self.manifests = manifests
        self.suspended = suspended
        self.kinds = kinds
        self.labelKeys = labelKeys
    }
}

extension WatchController {
    /// A page of resources matching `filter`, and everything around it; only of `sites` when
    /// given (a replica's share: what it answers for).
    public func consoleSnapshot(_ filter: ResourceFilter, offset: Int, limit: Int, sites only: Set<String>? = nil) -> ConsoleSnapshot {
        let byID = desired?.byID ?? ResourcesByID([])
        let ids = statusIDs()
        var total = 0
        var rows: [ConsoleSnapshot.Row] = []
        if filter.isEmpty && only == nil {
            // No filter: the page is a slice of the sorted ids, whatever the estate's size.
            total = ids.count
            for id in ids.dropFirst(max(0, offset)).prefix(max(0, limit)) {
                if let status = statusOf(id) { rows.append(.init(status: status, labels: byID[id]?.labels ?? [:])) }
            }
        } else {
            let matcher = filter.matcher()
            for id in ids {
                if let only, !only.contains(id.site) { continue }
                guard let status = statusOf(id) else { continue }
                let labels = byID[id]?.labels
                guard matcher(status, labels) else { continue }
                if total >= offset && rows.count < limit { rows.append(.init(status: status, labels: labels ?? [:])) }
                total += 1
            }
        }
        let perSite = siteCounts
        let sites = siteStatuses().filter { only?.contains($0.name) ?? true }.map { site in
            ConsoleSnapshot.SiteRow(status: site, resources: perSite[site.name]?.resources ?? 0, counts: perSite[site.name]?.counts ?? [:], cost: siteCosts[site.name] ?? [])
        }
        return ConsoleSnapshot(
            total: total, rows: rows, offset: offset, sites: sites, manifests: manifests(), suspended: isSuspended,
            kinds: desiredKinds, labelKeys: desiredLabelKeys)
    }

    /// Changes whenever anything the console shows may have changed: statuses, sites, the
    /// manifests in force, suspension.
    public func consoleRevision() -> Int {
        var hasher = Hasher()
        hasher.combine(statusRevision)
        hasher.combine(siteStatuses())
        hasher.combine(manifests()?.at)
        hasher.combine(isSuspended)
        return hasher.finalize()
    }
}

extension WatchController {
    /// Knows every secret value resolved: text shown to people passes through it.
    public nonisolated var redactor: SecretRedactor { planner.redactor }
    /// The kinds' schemas, for hiding sensitive fields.
    public nonisolated var schemaCatalog: SchemaCatalog { planner.registry.catalog }
    /// Set once the daemon shuts down: long-lived responses (live streams) end.
    public var isStopping: Bool { stopping }
}
