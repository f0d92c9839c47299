import BallastCore
import BallastEngine
import BallastProviders
import BallastSim
import BallastState
import BallastTesting
import Foundation
import MetricsTestKit
import Testing

/// A heal in watch mode touches the drifted resource, its dependencies and its dependents, and
/// nothing that grows with the estate: counted through the state store's protocol (never timed),
/// one drift costs the same store calls at 1,000 resources as at 10,000.
@Suite("The cost of a heal does not grow with the estate", .serialized)
struct HealCostTests {
    /// The store calls one drift and its heal made, with the daemon on an estate of `resources`.
    private func storeCallsOfOneHeal(resources: Int) async throws -> [String: Int] {
        let directory = TemporaryDirectory(prefix: "ballast-heal-cost")
        defer { directory.remove() }
        let text = ManifestCorpus.generate(resources: resources)
        directory.write("manifests/estate.yaml", text)
        // Where the generator put res-1, a bucket.
        let placed = try #require(text.range(of: "name: res-1\n  site: ")).upperBound
        let site = String(text[placed...].prefix { $0 != "\n" })
        let world = SimWorldStore(directory: directory.file("sim"))
        let provider = SimProvider(world: world)
        let registry = ProviderRegistry([provider])
        let store = CountingStateStore(InMemoryStateStore())
        let planner = PlanService(registry: registry, store: store, logger: quietLogger)
        let executor = Executor(registry: registry, store: store, logger: quietLogger, sleep: { _ in })
        var configuration = WatchConfiguration()
        configuration.resync = .seconds(3600)
        let controller = WatchController(
            paths: [directory.file("manifests")], applier: ApplyService(planner: planner, executor: executor, logger: quietLogger),
            configuration: configuration, metrics: WatchMetrics(factory: TestMetrics()), logger: quietLogger)
        _ = try await controller.start()
        // Start-up applied everything in one plan, dependents after what they depend on: nothing
        // is left to reconcile (each dependent was queued again once, 4,700 at 100k).
        #expect(await controller.queueDepth() == 0)
        let running = Task { await controller.run() }
        defer { running.cancel() }
        // Start-up's own echoes (the creates coming back through the change feed) settle first.
        var quiet = 0
        while quiet < 10 {
            try await Task.sleep(for: .milliseconds(50))
            quiet = await controller.queueDepth() == 0 ? quiet + 1 : 0
        }
        try await Task.sleep(for: .milliseconds(500))
        store.reset()
        // A bucket's lifecycle changed out of band: the daemon puts it back.
        let bucket = ResourceID(kind: "Bucket", name: "res-1", site: site)
        let before = try #require(try await world.records([bucket]).records[bucket]).spec["lifecycleDays"]
        _ = try await SimControl(world: world).drift(bucket, assignments: ["lifecycleDays=9999"])
        let healed = await eventually { (try? await world.records([bucket]).records[bucket]?.spec["lifecycleDays"]) == before }
        #expect(healed, "the drift on \(bucket) was healed")
        try await Task.sleep(for: .milliseconds(300))
        let calls = store.calls
        await controller.stop()
        await running.value
        return calls
    }

    private func eventually(_ condition: () async -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test func oneDriftCostsTheSameStoreCallsAtOneThousandAndTenThousandResources() async throws {
        let small = try await storeCallsOfOneHeal(resources: 1_000)
        let large = try await storeCallsOfOneHeal(resources: 10_000)
        #expect(!small.isEmpty && small["recordOutcome"] == 1, "one action journaled: \(small)")
        #expect(large == small)
        // Nothing that reads the whole state.
        #expect(large["inventory"] == nil && large["snapshot"] == nil && large["events"] == nil, "\(large)")
    }
}
