import BallastCore
import BallastProviders
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Pushes the ids of sim resources that changed on one site — whichever process changed them —
/// by watching the world directory with inotify: no polling, no CPU while nothing changes.
///
/// Each time the world files change, the world is re-read and compared with what was seen
/// before: records added, removed or given a new revision are reported, and when the site's
/// outage switches, every resource on it is.
struct SimChangeFeed: Sendable {
    let world: SimWorldStore
    let site: Site

    func stream() -> AsyncStream<ResourceID> {
        let (ticks, tick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let (ids, output) = AsyncStream<ResourceID>.makeStream()
        try? FileManager.default.createDirectory(atPath: world.directory, withIntermediateDirectories: true)
        let descriptor = inotify_init1(Int32(IN_CLOEXEC))
        guard descriptor >= 0, inotify_add_watch(descriptor, world.directory, UInt32(IN_MODIFY | IN_MOVED_TO | IN_CREATE)) >= 0 else {
            if descriptor >= 0 { close(descriptor) }
            output.finish()
            return ids
        }
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            close(descriptor)
            output.finish()
            return ids
        }
        let (stopRead, stopWrite) = (pipeEnds[0], pipeEnds[1])
        _ = fcntl(stopRead, F_SETFD, FD_CLOEXEC)
        _ = fcntl(stopWrite, F_SETFD, FD_CLOEXEC)
        // A reader thread blocks in poll() on inotify and on a stop pipe (no CPU while idle);
        // each batch of events becomes one tick. Writing to the pipe ends it.
        let reader = Thread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            var watched = [pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0)]
            while true {
                watched[0].revents = 0
                watched[1].revents = 0
                let ready = poll(&watched, 2, -1)
                if ready < 0 && errno == EINTR { continue }
                guard ready > 0, watched[1].revents == 0 else { break }
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                // Readers open and lock world.lock too; only changes to the world files count,
                // or every reader (this feed included) would wake every feed, forever.
                if Self.touchesWorld(buffer, count: count) { tick.yield(()) }
            }
            tick.finish()
            close(descriptor)
            close(stopRead)
        }
        reader.start()
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
        output.onTermination = { _ in
            watcher.cancel()
            var byte: UInt8 = 1
            _ = write(stopWrite, &byte, 1)
            close(stopWrite)
        }
        return ids
    }

    /// Whether a batch of inotify events names a file other than the lock file.
    static func touchesWorld(_ buffer: [UInt8], count: Int) -> Bool {
        let header = MemoryLayout<inotify_event>.size
        var offset = 0
        while offset + header <= count {
            let length = buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)) }
            let nameBytes = buffer[(offset + header)..<min(count, offset + header + length)].prefix { $0 != 0 }
            if String(decoding: nameBytes, as: UTF8.self) != "world.lock" { return true }
            offset += header + length
        }
        return false
    }

    static func revisions(of world: SimWorld, site: Site) -> [ResourceID: Int] {
        var result: [ResourceID: Int] = [:]
        for (id, record) in world.records where id.site == site.name { result[id] = record.revision }
        return result
    }
}
