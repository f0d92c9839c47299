import BallastCore
import BallastProviders
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Pushes the ids of sim resources that changed on one site — whichever process changed them —
/// as the process's one ``SimWorldWatcher`` reports changes to the world files.
///
/// Each time the world files change, the store's change log says which ids on the site were put
/// or removed since the serial last seen: the cost of a change does not grow with the world.
/// When the log does not reach back that far (another process folded the journal into a new
/// snapshot), the site's records are compared with the ids known and the serial last seen; and
/// when the site's outage switches, every resource on it is reported.
struct SimChangeFeed: Sendable {
    let world: SimWorldStore
    let site: Site

    func stream() -> AsyncStream<ResourceID> {
        let (ids, output) = AsyncStream<ResourceID>.makeStream()
        // Subscribed before the baseline is taken: no change after it goes unnoticed.
        let ticks = world.watcher.changes()
        let baseline = world.latest.value.map { world in (serial: world.serial, known: Self.ids(of: world, site: site), outage: world.outages[site.name]) }
        let watcher = Task { [world, site] in
            // Only a store that has never read its world has no baseline yet. Only the ids are
            // kept from it, for as long as the feed runs.
            let start = if let baseline { baseline } else { await Self.start(from: world, site: site) }
            var seen = start?.serial ?? 0
            var known = start?.known ?? []
            var outage = start?.outage
            for await _ in ticks {
                guard let delta = try? await world.changes(on: site.name, after: seen) else { continue }
                var changed: Set<ResourceID>
                if let ids = delta.ids {
                    changed = Set(ids)
                    known.formUnion(ids)
                    known.subtract(delta.removed)
                } else {
                    let current = delta.current ?? [:]
                    changed = Set(current.filter { $0.value > seen }.keys)
                    changed.formUnion(known.subtracting(current.keys))
                    known = Set(current.keys)
                }
                if delta.outage != outage {
                    // An outage concerns every resource on the site.
                    outage = delta.outage
                    if let all = try? await world.baseline(of: site.name) {
                        changed.formUnion(all.revisions.keys)
                        known = Set(all.revisions.keys)
                    }
                }
                seen = delta.serial
                for id in changed.sorted() { output.yield(id) }
            }
            output.finish()
        }
        output.onTermination = { _ in watcher.cancel() }
        return ids
    }

    private static func start(from world: SimWorldStore, site: Site) async -> (serial: Int, known: Set<ResourceID>, outage: Bool?)? {
        guard let baseline = try? await world.baseline(of: site.name) else { return nil }
        return (baseline.serial, Set(baseline.revisions.keys), baseline.outage)
    }

    static func ids(of world: SimWorld, site: Site) -> Set<ResourceID> {
        Set(world.records.keys.lazy.filter { $0.site == site.name })
    }
}
