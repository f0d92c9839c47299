import BallastCore
import BallastProviders
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Pushes the ids of sim resources that changed on one site — whichever process changed them —
/// as the process's one ``SimWorldWatcher`` reports changes to the world files.
///
/// Each time the world files change, the world is re-read and compared with what was seen
/// before: records added, removed or given a new revision are reported, and when the site's
/// outage switches, every resource on it is.
struct SimChangeFeed: Sendable {
    let world: SimWorldStore
    let site: Site

    func stream() -> AsyncStream<ResourceID> {
        let (ids, output) = AsyncStream<ResourceID>.makeStream()
        // Subscribed before the baseline is taken: no change after it goes unnoticed.
        let ticks = world.watcher.changes()
        let baseline = world.latest.value
        let watcher = Task { [world, site] in
            var start = baseline
            // Only a store that has never read its world has no baseline yet.
            if start == nil { start = try? await world.snapshot() }
            var known = start.map { Self.revisions(of: $0, site: site) } ?? [:]
            var outage = start?.outages[site.name]
            for await _ in ticks {
                guard let snapshot = try? await world.snapshot() else { continue }
                let now = Self.revisions(of: snapshot, site: site)
                var changed = Set(now.filter { known[$0.key] != $0.value }.keys)
                changed.formUnion(known.keys.filter { now[$0] == nil })
                if snapshot.outages[site.name] != outage {
                    changed.formUnion(now.keys)
                    outage = snapshot.outages[site.name]
                }
                known = now
                for id in changed.sorted() { output.yield(id) }
            }
            output.finish()
        }
        output.onTermination = { _ in watcher.cancel() }
        return ids
    }

    static func revisions(of world: SimWorld, site: Site) -> [ResourceID: Int] {
        var result: [ResourceID: Int] = [:]
        for (id, record) in world.records where id.site == site.name { result[id] = record.revision }
        return result
    }
}
