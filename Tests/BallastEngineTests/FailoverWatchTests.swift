import BallastCore
import BallastEngine
import BallastProviders
import BallastSim
import BallastState
import BallastTesting
import Foundation
import MetricsTestKit
import Testing

private let root = Repository.root(from: #filePath)

/// Watch mode over the hybrid example plus ``TestManifests/failoverWorkload(after:)``, on a
/// manual clock: failover is decided on the controller's clock, never on real time.
@Suite("Failover in watch mode")
struct FailoverWatchTests {
    static let home = ResourceID(parsing: "Workload/failover-api@edge-paris")!
    static let replacement = ResourceID(parsing: "Workload/failover-api@edge-berlin")!

    struct Watched {
        let harness: SimHarness
        let metrics = TestMetrics()
        let controller: WatchController
        var control: SimControl { SimControl(world: harness.world) }

        init(harness: SimHarness, clock: ManualClock) throws {
            self.harness = harness
            let manifests = harness.directory.file("manifests")
            if !FileManager.default.fileExists(atPath: manifests) {
                try FileManager.default.copyItem(atPath: root + "/manifests/examples/hybrid", toPath: manifests)
                let edge = manifests + "/edge.yaml"
                try Data((try String(contentsOfFile: edge, encoding: .utf8) + TestManifests.failoverWorkload(after: "60s")).utf8).write(to: URL(fileURLWithPath: edge))
            }
            let planner = PlanService(registry: harness.registry, store: harness.store, logger: quietLogger)
            let executor = Executor(registry: harness.registry, store: harness.store, logger: quietLogger, sleep: { _ in })
            var configuration = WatchConfiguration()
            configuration.manifestPollInterval = .milliseconds(50)
            configuration.manifestSettle = .milliseconds(10)
            configuration.pruneDelay = .seconds(1)
            configuration.resync = .seconds(3600)
            configuration.breakerThreshold = 1
            configuration.breakerCooldown = .seconds(1)
            controller = WatchController(
                paths: [manifests], applier: ApplyService(planner: planner, executor: executor, logger: quietLogger),
                configuration: configuration, metrics: WatchMetrics(factory: metrics), clock: clock, logger: quietLogger)
        }

        func site(_ name: String) async -> Bool? { await controller.siteStatuses().first { $0.name == name }?.up }

        func exists(_ id: ResourceID) async throws -> Bool { try await harness.world.snapshot().records[id] != nil }

        func failovers(_ direction: String) -> Int64 {
            (try? metrics.expectCounter("ballast_failovers_total", [("direction", direction)]).totalValue) ?? 0
        }
    }

    @Test func aLongOutageMovesTheWorkloadARestartKeepsItAndTheReturnMovesItBack() async throws {
        let clock = ManualClock()
        let harness = SimHarness()
        defer { harness.directory.remove() }
        var watched = try Watched(harness: harness, clock: clock)
        _ = try await watched.controller.start()
        var running = Task { [watched] in await watched.controller.run() }
        #expect(try await watched.exists(Self.home))

        try await watched.control.setOutage(site: "edge-paris", on: true)
        let down = await clock.advance(by: .milliseconds(100), upTo: .seconds(10)) { await watched.site("edge-paris") == false }
        #expect(down, "the outage is noticed")
        // Shorter than failoverAfter: nothing moves.
        _ = try await clock.advance(by: .seconds(1), upTo: .seconds(30))
        #expect(try await !watched.exists(Self.replacement), "moved before failoverAfter")
        #expect(watched.failovers("failover") == 0)
        // Past it: the replacement is created on Berlin (Madrid has no carbon data), and the
        // instance on Paris is kept (it cannot be deleted while Paris is down, nor should be).
        let moved = try await clock.advance(by: .seconds(1), upTo: .seconds(60)) { try await watched.exists(Self.replacement) }
        #expect(moved)
        #expect(watched.failovers("failover") == 1)
        let recorded = await harness.store.entry(Self.replacement)
        #expect(recorded?.standsInFor == "edge-paris")
        #expect(try await watched.exists(Self.home))

        // A restart in the middle of the outage keeps the decision.
        await watched.controller.stop()
        await running.value
        watched = try Watched(harness: harness, clock: clock)
        _ = try await watched.controller.start()
        running = Task { [watched] in await watched.controller.run() }
        _ = try await clock.advance(by: .seconds(1), upTo: .seconds(5))
        #expect(try await watched.exists(Self.replacement), "the replacement survives a restart")
        #expect(try await watched.exists(Self.home))

        // Paris returns: the replacement stays until Paris has been healthy for failoverAfter.
        try await watched.control.setOutage(site: "edge-paris", on: false)
        let up = await clock.advance(by: .milliseconds(200), upTo: .seconds(10)) { await watched.site("edge-paris") == true }
        #expect(up)
        _ = try await clock.advance(by: .seconds(1), upTo: .seconds(20))
        #expect(try await watched.exists(Self.replacement), "moved back before Paris was healthy for failoverAfter")
        let back = try await clock.advance(by: .seconds(1), upTo: .seconds(90)) { try await !watched.exists(Self.replacement) }
        #expect(back, "the replacement is retired once Paris has been healthy for 60 s")
        #expect(try await watched.exists(Self.home), "the instance on Paris was never deleted")
        #expect(watched.failovers("failback") == 1)
        await watched.controller.stop()
        await running.value
    }

    @Test func aSuspendedDaemonStillFailsOver() async throws {
        // Suspending stops syncing the manifests; failover is a heal, and goes on.
        let clock = ManualClock()
        let harness = SimHarness()
        defer { harness.directory.remove() }
        let watched = try Watched(harness: harness, clock: clock)
        _ = try await watched.controller.start()
        let running = Task { await watched.controller.run() }
        // Let the daemon read its manifests once more before suspending (as it does at start).
        _ = try await clock.advance(by: .milliseconds(100), upTo: .seconds(2))
        #expect(try await watched.controller.suspend())
        try await watched.control.setOutage(site: "edge-paris", on: true)
        let down = await clock.advance(by: .milliseconds(100), upTo: .seconds(10)) { await watched.site("edge-paris") == false }
        #expect(down)
        let moved = try await clock.advance(by: .seconds(1), upTo: .seconds(90)) { try await watched.exists(Self.replacement) }
        #expect(moved, "a suspended daemon did not fail over")
        #expect(watched.failovers("failover") == 1)
        await watched.controller.stop()
        await running.value
    }

    @Test func withNowhereToGoNothingIsDeletedAndTheConditionSaysWhy() async throws {
        let clock = ManualClock()
        let harness = SimHarness()
        defer { harness.directory.remove() }
        let watched = try Watched(harness: harness, clock: clock)
        _ = try await watched.controller.start()
        let running = Task { await watched.controller.run() }
        for site in ["edge-paris", "edge-berlin", "edge-madrid"] { try await watched.control.setOutage(site: site, on: true) }
        let down = await clock.advance(by: .milliseconds(100), upTo: .seconds(10)) { await watched.site("edge-paris") == false }
        #expect(down)
        let impossible = await clock.advance(by: .seconds(1), upTo: .seconds(90)) {
            await watched.controller.resource(Self.home)?[.ready].reason == .failoverImpossible
        }
        #expect(impossible)
        let message = await watched.controller.resource(Self.home)?[.ready].message ?? ""
        #expect(message.contains("no other matching site can take Workload/failover-api") && message.hasSuffix("nothing is deleted"), "\(message)")
        #expect(try await watched.exists(Self.home))
        #expect(watched.failovers("failover") == 0)
        await watched.controller.stop()
        await running.value
    }
}
