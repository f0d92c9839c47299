import BallastCore
import BallastEngine
import BallastProviders
import BallastSim
import BallastState
import BallastTesting
import Foundation
import Testing

private let root = Repository.root(from: #filePath)
private let hybrid = "manifests/examples/hybrid"
private let secrets = FixedSecretSource(files: ["\(hybrid)/secrets/orders-db-password": "s3cr3t"])

/// The hybrid example applied to a fresh sim world, with a reconciler over it.
private struct Converged {
    let harness = SimHarness()
    let store = InMemoryStateStore()
    var desired: Reconciler.Desired!
    var reconciler: Reconciler!

    init(edit: (String) -> String = { $0 }) async throws {
        let inputs = TestManifests.inputs(root: root, directory: hybrid).map { ManifestInput(path: $0.path, bytes: Array(edit(String(decoding: $0.bytes, as: UTF8.self)).utf8)) }
        let planner = PlanService(registry: harness.registry, store: store, secrets: secrets, logger: quietLogger)
        let outcome = try await planner.plan(planner.loader.load(inputs), inputs: [hybrid])
        let executor = Executor(registry: harness.registry, store: store, logger: quietLogger, sleep: { _ in })
        let report = try await ApplyService(planner: planner, executor: executor, logger: quietLogger).execute(try #require(outcome.plan), outcome: outcome, progress: SilentProgress())
        #expect(report.succeeded)
        desired = Reconciler.Desired(try #require(outcome.loaded.desired), secrets: outcome.secrets)
        reconciler = Reconciler(registry: harness.registry, store: store, executor: executor, logger: quietLogger)
    }

    var control: SimControl { SimControl(world: harness.world) }
}

private let orders = ResourceID(parsing: "Database/orders@eu-central")!

@Suite("Reconciler")
struct ReconcilerTests {
    @Test func driftIsRevertedAndThenUpToDate() async throws {
        let world = try await Converged()
        defer { world.harness.directory.remove() }
        let first = try await world.reconciler.reconcile(orders, desired: world.desired)
        #expect(first == .upToDate, "\(first)")
        _ = try await world.control.drift(orders, assignments: ["sizeGb=80"])
        #expect(try await world.reconciler.reconcile(orders, desired: world.desired) == .applied(.update, reason: .drifted))
        #expect(try await world.harness.world.snapshot().records[orders]?.spec["sizeGb"] == .int(50))
        #expect(try await world.reconciler.reconcile(orders, desired: world.desired) == .upToDate)
    }

    @Test func aVanishedResourceIsRecreatedAndItsDependentFollows() async throws {
        let world = try await Converged()
        defer { world.harness.directory.remove() }
        let vm = ResourceID(parsing: "VirtualMachine/app-1@dc-frankfurt")!
        let lb = ResourceID(parsing: "LoadBalancer/web@eu-central")!
        let oldIP = try await world.harness.world.snapshot().records[vm]?.outputs["ip"]
        try await world.control.delete(vm)
        #expect(try await world.reconciler.reconcile(vm, desired: world.desired) == .applied(.create, reason: .vanished))
        let newIP = try #require(try await world.harness.world.snapshot().records[vm]?.outputs["ip"])
        #expect(newIP != oldIP, "a re-created machine gets a new address")
        // The load balancer still targets the old address until it is reconciled.
        #expect(try await world.reconciler.reconcile(lb, desired: world.desired) == .applied(.update, reason: .drifted))
        guard case .list(let targets)? = try await world.harness.world.snapshot().records[lb]?.spec["targets"] else {
            Issue.record("the load balancer lost its targets")
            return
        }
        #expect(targets.first == newIP)
        #expect(try await world.reconciler.reconcile(lb, desired: world.desired) == .upToDate)
    }

    @Test func selfHealFalseOnlyReports() async throws {
        let world = try await Converged(edit: { $0.replacingOccurrences(of: "  preventDestroy: true        # a replace", with: "  selfHeal: false\n  preventDestroy: true        # a replace") })
        defer { world.harness.directory.remove() }
        _ = try await world.control.drift(orders, assignments: ["sizeGb=80"])
        guard case .reported(let changes, let missing) = try await world.reconciler.reconcile(orders, desired: world.desired) else {
            Issue.record("expected a report")
            return
        }
        #expect(changes.map(\.path) == ["sizeGb"] && !missing)
        #expect(try await world.harness.world.snapshot().records[orders]?.spec["sizeGb"] == .int(80), "not touched")
    }

    @Test func observeOnlyIsReportedAndAnOutageIsNotHammered() async throws {
        let world = try await Converged()
        defer { world.harness.directory.remove() }
        let legacy = ResourceID(parsing: "Database/legacy-erp@dc-frankfurt")!
        #expect(try await world.reconciler.reconcile(legacy, desired: world.desired) == .reported([], missing: true))
        try await world.control.setOutage(site: "eu-central", on: true)
        #expect(try await world.reconciler.reconcile(orders, desired: world.desired) == .siteUnavailable("site eu-central is in outage"))
    }

    @Test func anUndeclaredManagedResourceIsPruned() async throws {
        let world = try await Converged()
        defer { world.harness.directory.remove() }
        let assets = ResourceID(parsing: "Bucket/assets@us-east")!
        let state = world.desired.state
        var without = Reconciler.Desired(DesiredState(sites: state.sites, resources: state.resources.filter { $0.id != assets }), secrets: world.desired.secrets)
        // Not admitted by the watch controller yet (the manifests have not settled): held.
        guard case .held = try await world.reconciler.reconcile(assets, desired: without) else {
            Issue.record("a prune the controller has not admitted must be held")
            return
        }
        #expect(try await world.harness.world.snapshot().records[assets] != nil)
        without.admittedPrunes = [assets]
        #expect(try await world.reconciler.reconcile(assets, desired: without) == .applied(.delete, reason: .notDeclared))
        #expect(try await world.harness.world.snapshot().records[assets] == nil)
        #expect(await world.store.entry(assets) == nil)
        #expect(try await world.reconciler.reconcile(assets, desired: without) == .unknown)
        // A protected one is refused, not deleted.
        var without2 = Reconciler.Desired(DesiredState(sites: state.sites, resources: state.resources.filter { $0.id != orders }), secrets: world.desired.secrets)
        without2.admittedPrunes = [orders]
        guard case .refused = try await world.reconciler.reconcile(orders, desired: without2) else {
            Issue.record("preventDestroy must refuse the prune")
            return
        }
    }

    @Test func aResourceWhoseManifestWasLeftOutIsRefusedNotPruned() async throws {
        let world = try await Converged()
        defer { world.harness.directory.remove() }
        let assets = ResourceID(parsing: "Bucket/assets@us-east")!
        let manifest = try #require(await world.store.entry(assets)?.manifest, "the executor records the manifest it applied from")
        #expect(manifest.hasSuffix("/hybrid/us-east.yaml") && ManifestScope.isPresent(manifest), "\(manifest)")
        let state = world.desired.state
        let others = try FileManager.default.contentsOfDirectory(atPath: PathText.deletingLastComponent(manifest)).filter { $0.hasSuffix(".yaml") && $0 != "us-east.yaml" }
        let directory = PathText.deletingLastComponent(manifest)
        var leftOut = Reconciler.Desired(
            DesiredState(sites: state.sites, resources: state.resources.filter { $0.id != assets }), secrets: world.desired.secrets,
            loadedFrom: others.map { directory + "/" + $0 })
        leftOut.admittedPrunes = [assets]
        guard case .refused(let message) = try await world.reconciler.reconcile(assets, desired: leftOut) else {
            Issue.record("a resource whose manifest still exists but was not given must not be pruned")
            return
        }
        #expect(message.contains("us-east.yaml, which still exists and was not given"), "\(message)")
        #expect(try await world.harness.world.snapshot().records[assets] != nil)
        // Read from a git source, a commit's own checkout decides: no scope, the prune goes ahead.
        var fromGit = Reconciler.Desired(
            DesiredState(sites: state.sites, resources: state.resources.filter { $0.id != assets }), secrets: world.desired.secrets,
            revision: SourceRevision(commit: String(repeating: "a", count: 40)), loadedFrom: [directory + "/sites.yaml"])
        fromGit.admittedPrunes = [assets]
        #expect(try await world.reconciler.reconcile(assets, desired: fromGit) == .applied(.delete, reason: .notDeclared))
    }

    @Test func pruningWaitsForManagedDependents() async throws {
        let world = try await Converged()
        defer { world.harness.directory.remove() }
        let subnet = ResourceID(parsing: "Subnet/dc-apps@dc-frankfurt")!
        let state = world.desired.state
        var without = Reconciler.Desired(DesiredState(sites: state.sites, resources: state.resources.filter { $0.id.site != "dc-frankfurt" }), secrets: world.desired.secrets)
        without.admittedPrunes = Set(state.resources.map(\.id).filter { $0.site == "dc-frankfurt" })
        // Without an index the inventory is read; with one, only the listed dependents are checked.
        guard case .waiting(let first) = try await world.reconciler.reconcile(subnet, desired: without) else {
            Issue.record("the subnet must wait for the machines in it")
            return
        }
        #expect(first.kind == "VirtualMachine" && first.site == "dc-frankfurt")
        var index: [ResourceID: [ResourceID]] = [:]
        for entry in await world.store.inventory().values { for dependency in entry.dependencies { index[dependency, default: []].append(entry.id) } }
        without.managedDependents = index
        #expect(try await world.reconciler.reconcile(subnet, desired: without) == .waiting(for: first))
        // Once the dependents are gone (forgotten here), the subnet is deleted.
        for dependent in index[subnet] ?? [] { try await world.store.remove(dependent) }
        #expect(try await world.reconciler.reconcile(subnet, desired: without) == .applied(.delete, reason: .notDeclared))
    }
}
