import BallastCore
import BallastEngine
import BallastProviders
@testable import BallastSim
import BallastState
import BallastTesting
import Foundation
import Testing

/// `plan` has the sim let go of its parsed world once the sites are observed
/// (``Provider/releaseCaches()``): nothing may be lost by it, and only a caller that asks for it
/// gets it.
@Suite("Providers let go of their caches")
struct SimReleaseCachesTests {
    private let first = ResourceID(kind: "Bucket", name: "first", site: "eu")
    private let second = ResourceID(kind: "Bucket", name: "second", site: "eu")

    private func record(_ id: ResourceID) -> SimWorld.Record {
        SimWorld.Record(id: id, spec: Fields(["versioning": .bool(true)]), outputs: Fields(["url": .string("https://\(id.name)")]), revision: 0)
    }

    @Test func aWorldLetGoOfIsReadAgainWithEveryChange() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-sim-forget")
        defer { directory.remove() }
        let store = SimWorldStore(directory: directory.file("sim"))
        try await store.mutate { _ throws(ProviderError) in ([.put(record(first))], ()) }
        let (serial, _, _) = try await store.baseline(of: "eu")
        #expect(await store.holdsWorld)
        await store.forget()
        #expect(await !store.holdsWorld)
        #expect(store.latest.value == nil, "the world published to change feeds is let go of too")

        // Another process changes the world meanwhile.
        try await SimWorldStore(directory: directory.file("sim")).mutate { _ throws(ProviderError) in ([.put(record(second))], ()) }
        let found = try await store.records([first, second]).records
        #expect(found[first]?.spec == record(first).spec)
        #expect(found[second]?.outputs == record(second).outputs)
        #expect(await store.holdsWorld)

        // A change feed asking after its last serial still hears of the change made while the
        // world was let go of: one by one, or as the whole site.
        let changes = try await store.changes(on: "eu", after: serial)
        let heard = changes.ids.map(Set.init) ?? Set(changes.current?.keys ?? [:].keys)
        #expect(heard.contains(second))
        #expect(changes.serial == serial + 1)

        // And writes after it go on from the files' serial, not from zero.
        await store.forget()
        try await store.mutate { _ throws(ProviderError) in ([.remove(first)], ()) }
        let after = try await SimWorldStore(directory: directory.file("sim")).snapshot()
        #expect(after.records[first] == nil && after.records[second] != nil)
        #expect(after.serial == serial + 2)
    }

    @Test func planLetsGoOfTheSimWorldOnlyWhenAsked() async throws {
        let directory = TemporaryDirectory(prefix: "ballast-plan-release")
        defer { directory.remove() }
        directory.write("manifests/estate.yaml", ManifestCorpus.generate(resources: 40))
        let world = SimWorldStore(directory: directory.file("sim"))
        let registry = ProviderRegistry([SimProvider(world: world)])
        let store = InMemoryStateStore()
        let paths = [directory.file("manifests")]
        let planner = PlanService(registry: registry, store: store, logger: quietLogger)
        let executor = Executor(registry: registry, store: store, logger: quietLogger, sleep: { _ in })
        let outcome = try await planner.plan(paths)
        let report = try await ApplyService(planner: planner, executor: executor, logger: quietLogger)
            .execute(try #require(outcome.plan), outcome: outcome, progress: SilentProgress())
        #expect(report.succeeded)
        // One resource drifts, so the plan has something to say.
        let drifted = try #require(try await world.snapshot().records.keys.first { $0.kind == "Bucket" })
        _ = try await SimControl(world: world).drift(drifted, assignments: ["lifecycleDays=9999"])

        let keeping = try await planner.plan(paths)
        #expect(await world.holdsWorld, "apply and watch mode call the provider again right after planning")

        var releasing = planner
        let calls = Counter()
        releasing.onceObserved = {
            await calls.increment()
            await registry.releaseCaches()
        }
        let released = try await releasing.plan(paths)
        #expect(await !world.holdsWorld)
        #expect(await calls.value == 1)
        let plan = try #require(released.plan)
        #expect(plan.actions.filter(\.action.changesSomething).map(\.id) == [drifted])
        #expect(plan.actions == keeping.plan?.actions)
        #expect(released.observation?.resources.count == keeping.observation?.resources.count)
    }
}

private actor Counter {
    private(set) var value = 0
    func increment() { value += 1 }
}
