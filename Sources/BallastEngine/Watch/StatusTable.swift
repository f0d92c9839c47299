import BallastCore
import Foundation

/// The status of every resource under watch, with a running count of the resources each
/// condition holds for (the `resources by condition` gauge), kept without rescanning.
public struct StatusTable: Sendable {
    /// Every status, densely, in no particular order: a status is a few hundred bytes, and a
    /// dictionary keeps about two and a half buckets per entry (80 MiB at 100k resources,
    /// where this array and ``positions`` take about 35).
    private var statuses: [ResourceStatus] = []
    /// Where each id's status is in ``statuses``.
    private var positions: [ResourceID: Int32] = [:]
    /// The ids sorted, kept until an id comes or goes (a status change keeps the order).
    private var sortedIDs: [ResourceID]?
    /// Counts every change: equal revisions mean an unchanged table (for live views).
    public private(set) var revision: UInt64 = 0
    public private(set) var counts: [ResourceCondition.Kind: Int] = Dictionary(uniqueKeysWithValues: ResourceCondition.Kind.allCases.map { ($0, 0) })
    /// Per site: how many resources it has here, and how many each condition holds for.
    public private(set) var sites: [String: (resources: Int, counts: [ResourceCondition.Kind: Int])] = [:]

    public init() {}

    public var count: Int { statuses.count }
    public subscript(id: ResourceID) -> ResourceStatus? { positions[id].map { statuses[Int($0)] } }

    /// Every status, sorted by id.
    public var all: [ResourceStatus] {
        guard let sortedIDs else { return statuses.sorted { $0.id < $1.id } }
        return sortedIDs.map { statuses[Int(positions[$0]!)] }
    }

    /// Every id, sorted; sorted again only after an id came or went.
    public mutating func ids() -> [ResourceID] {
        if let sortedIDs { return sortedIDs }
        let sorted = statuses.map(\.id).sorted()
        sortedIDs = sorted
        return sorted
    }

    /// Changes the status of `id` (created pending when absent), keeping the counts right.
    public mutating func update(_ id: ResourceID, declared: Bool? = nil, at now: Date, _ change: (inout ResourceStatus) -> Void) {
        revision &+= 1
        guard let position = positions[id] else {
            var status = ResourceStatus(id: id, declared: declared ?? true, at: now)
            change(&status)
            positions[id] = Int32(statuses.count)
            statuses.append(status)
            sortedIDs = nil
            count(status, by: 1)
            return
        }
        let index = Int(position)
        count(statuses[index], by: -1)
        if let declared { statuses[index].declared = declared }
        change(&statuses[index])
        count(statuses[index], by: 1)
    }

    public mutating func remove(_ id: ResourceID) {
        guard let position = positions.removeValue(forKey: id) else { return }
        let index = Int(position)
        count(statuses[index], by: -1)
        // The last status moves into the gap, so removing is O(1).
        if index != statuses.count - 1 {
            statuses.swapAt(index, statuses.count - 1)
            positions[statuses[index].id] = position
        }
        statuses.removeLast()
        sortedIDs = nil
        revision &+= 1
    }

    /// Ids tracked here but in neither set: they stop being reported.
    public mutating func retain(declared: Set<ResourceID>, managed: Set<ResourceID>) {
        let gone = statuses.lazy.map(\.id).filter { !declared.contains($0) && !managed.contains($0) }
        for id in Array(gone) { remove(id) }
        for index in statuses.indices { statuses[index].declared = declared.contains(statuses[index].id) }
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
