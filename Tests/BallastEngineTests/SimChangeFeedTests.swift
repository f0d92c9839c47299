import BallastCore
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
}
