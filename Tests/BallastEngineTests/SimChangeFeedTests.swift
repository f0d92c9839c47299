import BallastCore
import Foundation
import BallastProviders
import BallastSim
import BallastTesting
import Testing

/// The next `count` ids from a stream, or what arrived before the deadline.
private func collect(_ stream: AsyncStream<ResourceID>, count: Int, within limit: Duration) async -> [ResourceID] {
    await withTaskGroup(of: [ResourceID]?.self) { group in
        group.addTask {
            var ids: [ResourceID] = []
            for await id in stream {
                ids.append(id)
                if ids.count == count { break }
            }
            return ids
        }
        group.addTask {
            try? await Task.sleep(for: limit)
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first ?? []
    }
}

@Suite("Sim change feed")
struct SimChangeFeedTests {
    @Test func changesFromAnotherProcessArePushed() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let provider = SimProvider(world: SimWorldStore(directory: directory.file("sim")))
        let site = Site(name: "edge-1", siteClass: .edge, provider: "sim")
        let other = Site(name: "edge-2", siteClass: .edge, provider: "sim")
        let a = ResourceID(kind: "Bucket", name: "a", site: "edge-1")
        let b = ResourceID(kind: "Bucket", name: "b", site: "edge-1")
        let elsewhere = ResourceID(kind: "Bucket", name: "c", site: "edge-2")
        _ = try await provider.create(ResolvedResource(id: a, spec: Fields()), site: site)
        _ = try await provider.create(ResolvedResource(id: b, spec: Fields()), site: site)
        _ = try await provider.create(ResolvedResource(id: elsewhere, spec: Fields()), site: other)

        let stream = try #require(provider.changes(site: site))
        try await Task.sleep(for: .milliseconds(50))
        // Another store on the same directory stands for another process (`ballast sim …`).
        let outside = SimControl(world: SimWorldStore(directory: directory.file("sim")))
        _ = try await outside.drift(elsewhere, assignments: ["versioning=true"])
        _ = try await outside.drift(a, assignments: ["versioning=true"])
        #expect(await collect(stream, count: 1, within: .seconds(5)) == [a], "only this site's change")

        let next = try #require(provider.changes(site: site))
        try await Task.sleep(for: .milliseconds(50))
        try await outside.delete(b)
        #expect(await collect(next, count: 1, within: .seconds(5)) == [b])

        let outages = try #require(provider.changes(site: site))
        try await Task.sleep(for: .milliseconds(50))
        try await outside.setOutage(site: "edge-1", on: true)
        #expect(await collect(outages, count: 1, within: .seconds(5)) == [a], "an outage concerns every resource on the site")
    }

    @Test func changesAroundAJournalFoldedByAnotherProcessAreAllReported() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let provider = SimProvider(world: SimWorldStore(directory: directory.file("sim")))
        let site = Site(name: "edge-1", siteClass: .edge, provider: "sim")
        let other = Site(name: "edge-2", siteClass: .edge, provider: "sim")
        let ids = (0..<3).map { ResourceID(kind: "Bucket", name: "b\($0)", site: "edge-1") }
        for id in ids { _ = try await provider.create(ResolvedResource(id: id, spec: Fields()), site: site) }
        let stream = try #require(provider.changes(site: site))
        try await Task.sleep(for: .milliseconds(50))
        // Another process changes two buckets here, then writes more than a megabyte of journal
        // on another site, so that it folds the journal into a new snapshot: this process must
        // read the world afresh, and its change log starts again.
        let outsideWorld = SimWorldStore(directory: directory.file("sim"))
        let outside = SimControl(world: outsideWorld)
        _ = try await outside.drift(ids[0], assignments: ["versioning=true"])
        try await outside.delete(ids[1])
        let bulky = SimProvider(world: outsideWorld)
        let padding = String(repeating: "x", count: 120_000)
        for index in 0..<12 {
            _ = try await bulky.create(ResolvedResource(id: ResourceID(kind: "Bucket", name: "big-\(index)", site: "edge-2"), spec: Fields(["tags": .map(Fields(["pad": .string(padding)]))])), site: other)
        }
        #expect(FileManager.default.fileExists(atPath: directory.file("sim/world.snapshot")), "the journal was folded")
        let first = await collect(stream, count: 2, within: .seconds(5))
        #expect(Set(first) == [ids[0], ids[1]], "only this site's two changes: \(first)")
        // After the fold, changes arrive one by one again.
        _ = try await outside.drift(ids[2], assignments: ["versioning=true"])
        let next = await collect(stream, count: 1, within: .seconds(5))
        #expect(next == [ids[2]], "\(next)")
    }
}
