import BallastCore
import BallastEngine
import BallastProviders
import BallastSim
import BallastState
import BallastTesting
import Foundation
import MetricsTestKit
import Synchronization
import Testing

private let root = Repository.root(from: #filePath)

/// A watch controller over a private copy of the hybrid example and a fresh sim world.
private struct Watched {
    let harness = SimHarness()
    let metrics = TestMetrics()
    let controller: WatchController
    var manifests: String { harness.directory.file("manifests") }

    init(clock: any ControllerClock = SystemControllerClock(), configure: (inout WatchConfiguration) -> Void = { _ in }) throws {
        try FileManager.default.copyItem(atPath: root + "/manifests/examples/hybrid", toPath: harness.directory.file("manifests"))
        let planner = PlanService(registry: harness.registry, store: harness.store, logger: quietLogger)
        let executor = Executor(registry: harness.registry, store: harness.store, logger: quietLogger, sleep: { _ in })
        var configuration = WatchConfiguration()
        configuration.manifestPollInterval = .milliseconds(50)
        configure(&configuration)
        controller = WatchController(
            paths: [harness.directory.file("manifests")], applier: ApplyService(planner: planner, executor: executor, logger: quietLogger),
            configuration: configuration, metrics: WatchMetrics(factory: metrics), clock: clock, logger: quietLogger)
    }

    var control: SimControl { SimControl(world: harness.world) }

    func site(_ name: String) async -> SiteStatus? {
        await controller.siteStatuses().first { $0.name == name }
    }
}

/// Polls until `condition` holds, for up to 60 s: a liveness check, not a time bound (the full
/// suite runs every test in one process on two cooperative threads).
private func eventually(_ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return false
}

@Suite("Watch controller")
struct WatchControllerTests {
    @Test func memoryIsGivenBackAfterStartUpAndEachReload() async throws {
        let releases = Mutex(0)
        let watched = try Watched { configuration in
            configuration.manifestSettle = .milliseconds(10)
            configuration.resync = .seconds(3600)
            configuration.releaseMemory = { releases.withLock { $0 += 1 } }
        }
        defer { watched.harness.directory.remove() }
        _ = try await watched.controller.start()
        #expect(await eventually { releases.withLock { $0 } == 1 }, "after start-up")
        let running = Task { await watched.controller.run() }
        try FileManager.default.removeItem(atPath: watched.manifests + "/us-east.yaml")
        #expect(await eventually { await watched.controller.manifests()?.resources == 20 })
        #expect(await eventually { releases.withLock { $0 } == 2 }, "after the reload")
        await watched.controller.stop()
        running.cancel()
    }

    @Test func aRemovalWaitsForThePruneDelayOnTheControllersClock() async throws {
        let clock = ManualClock()
        let watched = try Watched(clock: clock) { configuration in
            configuration.manifestSettle = .milliseconds(10)
            configuration.pruneDelay = .seconds(10)
            configuration.resync = .seconds(3600)
        }
        defer { watched.harness.directory.remove() }
        _ = try await watched.controller.start()
        let running = Task { await watched.controller.run() }
        let analytics = ResourceID(parsing: "Database/analytics@us-east")!
        try FileManager.default.removeItem(atPath: watched.manifests + "/us-east.yaml")
        // The reload is seen within a few poll intervals of clock time...
        let reloaded = await clock.advance(by: .milliseconds(50), upTo: .seconds(1)) { await watched.controller.manifests()?.resources == 20 }
        #expect(reloaded)
        // ...but nothing is pruned for 10 s of clock time, however long real time takes.
        _ = try await clock.advance(by: .milliseconds(500), upTo: .seconds(9))
        #expect(try await watched.harness.world.snapshot().records[analytics] != nil, "pruned before the prune delay")
        #expect(await watched.controller.resource(analytics)?[.synced].reason == .deletionHeld)
        let pruned = try await clock.advance(by: .milliseconds(500), upTo: .seconds(5)) {
            try await watched.harness.world.snapshot().records[analytics] == nil
        }
        #expect(pruned)
        await watched.controller.stop()
        await running.value
    }

    @Test func startUpAppliesAndSetsConditions() async throws {
        let watched = try Watched()
        defer { watched.harness.directory.remove() }
        let startup = try await watched.controller.start()
        #expect(startup.report?.succeeded == true)
        let statuses = await watched.controller.resources()
        #expect(statuses.count == 22)
        let legacy = try #require(await watched.controller.resource(ResourceID(parsing: "Database/legacy-erp@dc-frankfurt")!))
        #expect(legacy[.drifted].status == true && legacy[.drifted].reason == .observeOnly)
        // Observe-only and absent from a fresh world: reported missing, never created.
        #expect(legacy[.ready].status == false && legacy[.ready].reason == .missing)
        #expect(await watched.controller.resources(condition: .ready).count == 21)
        #expect(await watched.controller.resources(condition: .failed).isEmpty)
        #expect(await watched.controller.resources(site: "us-east", kind: "Bucket").map(\.id.description) == ["Bucket/assets@us-east"])
        #expect(try watched.metrics.expectGauge("ballast_resources", [("condition", "Drifted")]).lastValue == 1)
    }

    @Test func scopesMustNameSomethingKnown() async throws {
        let watched = try Watched()
        defer { watched.harness.directory.remove() }
        _ = try await watched.controller.start()
        #expect(try await watched.controller.enqueue(.site("us-east")) == 2)
        #expect(try await watched.controller.enqueue(.all) == 22)
        await #expect(throws: WatchController.ScopeError.unknownSite("mars")) { try await watched.controller.enqueue(.site("mars")) }
        let stranger = ResourceID(kind: "Bucket", name: "nope", site: "us-east")
        await #expect(throws: WatchController.ScopeError.unknownResource(stranger)) { try await watched.controller.enqueue(.resource(stranger)) }
    }

    @Test func anOutageOpensOnlyThatSitesCircuitAndRecoveryResyncs() async throws {
        // One failure opens the circuit: the fewer rounds of backoff the test waits for, the less
        // it depends on how busy the machine is (the whole suite shares two cooperative threads).
        let watched = try Watched {
            $0.breakerCooldown = .milliseconds(200)
            $0.breakerThreshold = 1
        }
        defer { watched.harness.directory.remove() }
        _ = try await watched.controller.start()
        let running = Task { await watched.controller.run() }
        try await watched.control.setOutage(site: "us-east", on: true)
        #expect(await eventually { await watched.site("us-east")?.up == false })
        #expect(await watched.site("eu-central")?.up == true)
        #expect(try watched.metrics.expectGauge("ballast_site_up", [("site", "us-east")]).lastValue == 0)
        let analytics = ResourceID(parsing: "Database/analytics@us-east")!
        _ = try await watched.control.drift(analytics, assignments: ["sizeGb=1"])
        try await watched.control.setOutage(site: "us-east", on: false)
        #expect(await eventually { await watched.site("us-east")?.up == true })
        #expect(await eventually { (try? await watched.harness.world.snapshot().records[analytics]?.spec["sizeGb"]) == .int(200) })
        #expect(try watched.metrics.expectGauge("ballast_site_up", [("site", "us-east")]).lastValue == 1)
        await watched.controller.stop()
        await running.value
    }

    @Test func anApprovalIsRefusedOnceTheFilesArePutBack() async throws {
        let clock = ManualClock()
        let watched = try Watched(clock: clock) { configuration in
            configuration.manifestSettle = .milliseconds(10)
            configuration.pruneDelay = .seconds(1)
            configuration.resync = .seconds(3600)
            configuration.deletionBudget = DeletionBudget(minimum: 1, fraction: 0, window: .seconds(600))
        }
        defer { watched.harness.directory.remove() }
        _ = try await watched.controller.start()
        let running = Task { await watched.controller.run() }
        let file = watched.manifests + "/us-east.yaml", away = watched.harness.directory.file("us-east.yaml")
        try FileManager.default.moveItem(atPath: file, toPath: away)
        let held = await clock.advance(by: .milliseconds(50), upTo: .seconds(5)) { await watched.controller.heldDeletions() != nil }
        #expect(held, "two removals are over a budget of one")
        let digest = try #require(await watched.controller.heldDeletions()?.digest)
        // Put back before the daemon has reloaded (its clock stands still): the approval of what
        // was held then must not delete what the files declare again.
        try FileManager.default.moveItem(atPath: away, toPath: file)
        await #expect(throws: PruneGate.ApprovalError.manifestsChanged) { _ = try await watched.controller.approveDeletions(digest) }
        #expect(await watched.controller.heldDeletions() == nil)
        let reloaded = await clock.advance(by: .milliseconds(50), upTo: .seconds(5)) { await watched.controller.manifests()?.resources == 22 }
        #expect(reloaded)
        _ = try await clock.advance(by: .milliseconds(200), upTo: .seconds(3))
        let world = try await watched.harness.world.snapshot().records
        #expect(world[ResourceID(parsing: "Bucket/assets@us-east")!] != nil && world[ResourceID(parsing: "Database/analytics@us-east")!] != nil, "nothing was deleted")
        await watched.controller.stop()
        await running.value
    }

    @Test func prunesInFlightStopWhenTheFilesComeBack() async throws {
        let clock = ManualClock()
        let watched = try Watched(clock: clock) { configuration in
            // A slow poll (no inotify): the files come back long before the daemon reloads them.
            configuration.manifestNotify = false
            configuration.manifestPollInterval = .seconds(5)
            configuration.manifestSettle = .milliseconds(10)
            configuration.pruneDelay = .seconds(1)
            configuration.resync = .seconds(3600)
            // One reconcile a second: the second prune waits for the clock.
            configuration.rateLimit = 1
            configuration.rateBurst = 1
            configuration.workers = 1
        }
        defer { watched.harness.directory.remove() }
        _ = try await watched.controller.start()
        let running = Task { await watched.controller.run() }
        let assets = ResourceID(parsing: "Bucket/assets@us-east")!, analytics = ResourceID(parsing: "Database/analytics@us-east")!
        let file = watched.manifests + "/us-east.yaml", away = watched.harness.directory.file("us-east.yaml")
        try FileManager.default.moveItem(atPath: file, toPath: away)
        func inWorld() async throws -> Set<ResourceID> {
            Set(try await watched.harness.world.snapshot().records.keys).intersection([assets, analytics])
        }
        let first = try await clock.advance(by: .milliseconds(50), upTo: .seconds(20)) { try await inWorld().count < 2 }
        #expect(first, "one of the two is pruned")
        try FileManager.default.moveItem(atPath: away, toPath: file)
        // The other prune's turn comes before the next poll: it finds the files moved and stops.
        _ = try await clock.advance(by: .milliseconds(100), upTo: .seconds(2))
        #expect(try await inWorld().count == 1, "the prune in flight went ahead although the file was back")
        // The reload then declares both again: the one pruned is created again.
        let restored = try await clock.advance(by: .milliseconds(100), upTo: .seconds(10)) { try await inWorld().count == 2 }
        #expect(restored)
        // A worker may be waiting for the rate limit on the manual clock: keep it moving.
        await watched.controller.stop()
        _ = try await clock.advance(by: .seconds(1), upTo: .seconds(30))
        await running.value
    }

    @Test func anInvalidEditKeepsTheLastGoodManifests() async throws {
        let watched = try Watched()
        defer { watched.harness.directory.remove() }
        _ = try await watched.controller.start()
        let running = Task { await watched.controller.run() }
        try Data("kind: [\n".utf8).write(to: URL(fileURLWithPath: watched.manifests + "/us-east.yaml"))
        #expect(await eventually { await watched.controller.manifests()?.valid == false })
        #expect(await watched.controller.resources().count == 22)
        #expect(try watched.metrics.expectCounter("ballast_manifest_reloads_total", [("result", "invalid")]).totalValue == 1)
        await watched.controller.stop()
        await running.value
    }
}

@Suite("Watch status and changes")
struct WatchStatusTests {
    let id = ResourceID(kind: "Bucket", name: "a", site: "s")
    let now = Date(timeIntervalSince1970: 1_000)

    @Test func conditionsCountAndTransitionTimesMoveOnlyOnChange() {
        var table = StatusTable()
        table.update(id, at: now) { $0.set(.ready, true, reason: .created, at: now) }
        #expect(table.counts[.ready] == 1)
        let later = now.addingTimeInterval(60)
        table.update(id, at: later) { $0.set(.ready, true, reason: .upToDate, at: later) }
        #expect(table[id]?[.ready].lastTransitionTime == now)
        #expect(table[id]?[.ready].reason == .upToDate)
        table.update(id, at: later) { $0.confirm(.ready, true, reason: ConditionReason(rawValue: "Ignored"), at: later) }
        #expect(table[id]?[.ready].reason == .upToDate)
        table.update(id, at: later) { $0.set(.ready, false, reason: .missing, at: later) }
        #expect(table.counts[.ready] == 0)
        #expect(table[id]?[.ready].lastTransitionTime == later)
        table.remove(id)
        #expect(table.count == 0 && table.counts.values.allSatisfy { $0 == 0 })
    }

    @Test func onlyChangedDeclarationsAreAffected() {
        let site = Site(name: "s", siteClass: .edge, provider: "sim")
        let b = ResourceID(kind: "Bucket", name: "b", site: "s")
        func desired(_ resources: [DesiredResource], site: Site = site) -> Reconciler.Desired {
            Reconciler.Desired(DesiredState(sites: ["s": site], resources: resources), secrets: [:])
        }
        let a1 = DesiredResource(id: id, spec: Fields(["size": .int(1)]), location: SourceLocation(file: 0, line: 1, column: 1))
        let b1 = DesiredResource(id: b, spec: Fields(["size": .int(1)]))
        var moved = a1
        moved.location = SourceLocation(file: 3, line: 40, column: 1)
        #expect(DesiredChanges.affected(from: desired([a1, b1]), to: desired([moved, b1])).isEmpty)
        // Moved to another file: its file is recorded, so it is reconciled (to an up-to-date).
        var (inA, inB) = (a1, a1)
        (inA.manifest, inB.manifest) = ("/estate/a.yaml", "/estate/b.yaml")
        #expect(DesiredChanges.affected(from: desired([inA, b1]), to: desired([inB, b1])) == [id])
        var edited = b1
        edited.spec = Fields(["size": .int(2)])
        #expect(DesiredChanges.affected(from: desired([a1, b1]), to: desired([a1, edited])) == [b])
        #expect(DesiredChanges.affected(from: desired([a1, b1]), to: desired([a1])) == [b])
        var reconfigured = site
        reconfigured.config = Fields(["latencyMs": .int(5)])
        #expect(DesiredChanges.affected(from: desired([a1, b1]), to: desired([a1, b1], site: reconfigured)) == [id, b])
        // A new commit of a git source is read from a directory of its own: a document it left
        // alone is the same declaration; one moved to another directory is not.
        func commit(_ tree: String, _ resources: [(DesiredResource, String)]) -> Reconciler.Desired {
            let placed = resources.map { resource, directory in
                var resource = resource
                resource.sourceDirectory = tree + directory
                return resource
            }
            return Reconciler.Desired(DesiredState(sites: ["s": site], resources: placed), secrets: [:], loadedFrom: [tree + "/prod", tree + "/shared"])
        }
        #expect(DesiredChanges.affected(from: commit("/trees/1111", [(a1, "/prod"), (b1, "/shared/x")]), to: commit("/trees/2222", [(a1, "/prod"), (b1, "/shared/x")])).isEmpty)
        #expect(DesiredChanges.affected(from: commit("/trees/1111", [(a1, "/prod"), (b1, "/shared/x")]), to: commit("/trees/2222", [(a1, "/prod"), (b1, "/shared")])) == [b])
    }
}
