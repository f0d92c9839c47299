import BallastCore
import Foundation

/// The status of every resource under watch, with a running count of the resources each
/// condition holds for (the `resources by condition` gauge), kept without rescanning.
public struct StatusTable: Sendable {
    /// Every status by id, densely (``ResourceTable``): a status is about 200 bytes, and a
    /// dictionary keeps about two and a half buckets per entry (80 MiB at 100k resources). The
    /// id is the key only; ``ResourceStatus`` values are made from it and the record on reads.
    private var statuses = ResourceTable<ResourceStatus.Record>()
    /// The ids sorted, kept until an id comes or goes (a status change keeps the order).
    private var sortedIDs: [ResourceID]?
    /// Counts every change: equal revisions mean an unchanged table (for live views).
    public private(set) var revision: UInt64 = 0
    public private(set) var counts: [ResourceCondition.Kind: Int] = Dictionary(uniqueKeysWithValues: ResourceCondition.Kind.allCases.map { ($0, 0) })
    /// Per site: how many resources it has here, and how many each condition holds for.
    public private(set) var sites: [String: (resources: Int, counts: [ResourceCondition.Kind: Int])] = [:]

    public init() {}

    public var count: Int { statuses.count }
    public subscript(id: ResourceID) -> ResourceStatus? { statuses[id].map { ResourceStatus(id: id, record: $0) } }

    /// Room for `count` statuses, so a table filled at start-up is not grown by doubling.
    public mutating func reserveCapacity(_ count: Int) { statuses.reserveCapacity(count) }

    /// Every status, sorted by id.
    public var all: [ResourceStatus] {
        guard let sortedIDs else { return statuses.map { ResourceStatus(id: $0.key, record: $0.value) }.sorted { $0.id < $1.id } }
        return sortedIDs.map { ResourceStatus(id: $0, record: statuses[$0]!) }
    }

    /// Every id, sorted; sorted again only after an id came or went.
    public mutating func ids() -> [ResourceID] {
        if let sortedIDs { return sortedIDs }
        let sorted = statuses.keys.sorted()
        sortedIDs = sorted
        return sorted
    }

    /// Changes the status of `id` (created pending when absent), keeping the counts right.
    public mutating func update(_ id: ResourceID, declared: Bool? = nil, at now: Date, _ change: (inout ResourceStatus) -> Void) {
        revision &+= 1
        guard let record = statuses[id] else {
            var status = ResourceStatus(id: id, declared: declared ?? true, at: now)
            change(&status)
            statuses[id] = status.record
            sortedIDs = nil
            count(status, by: 1)
            return
        }
        var status = ResourceStatus(id: id, record: record)
        count(status, by: -1)
        if let declared { status.declared = declared }
        change(&status)
        count(status, by: 1)
        statuses[id] = status.record
    }

    public mutating func remove(_ id: ResourceID) {
        guard let record = statuses.removeValue(forKey: id) else { return }
        count(ResourceStatus(id: id, record: record), by: -1)
        sortedIDs = nil
        revision &+= 1
    }

    /// Ids tracked here that are neither declared nor managed: they stop being reported.
    public mutating func retain(declared: (ResourceID) -> Bool, managed: (ResourceID) -> Bool) {
        let gone = statuses.keys.filter { !declared($0) && !managed($0) }
        for id in gone { remove(id) }
        statuses.updateEach { id, record in record.declared = declared(id) }
        revision &+= 1
    }

    private mutating func count(_ status: ResourceStatus, by delta: Int) {
        var site = sites[status.id.site] ?? (0, [:])
        site.resources += delta
        for kind in ResourceCondition.Kind.allCases where status.holds(kind) {
            counts[kind, default: 0] += delta
            site.counts[kind, default: 0] += delta
        }
        sites[status.id.site] = site.resources == 0 ? nil : site
    }
}
