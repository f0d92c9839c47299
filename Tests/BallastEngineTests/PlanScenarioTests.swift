import BallastCore
import BallastEngine
import BallastProviders
import BallastSim
import BallastState
import BallastTesting
import Foundation
import Logging
import Testing

private let root = Repository.root(from: #filePath)
private let golden = root + "/Tests/BallastEngineTests/Golden/"
private let hybrid = "manifests/examples/hybrid"
private let secrets = FixedSecretSource(files: ["\(hybrid)/secrets/orders-db-password": "s3cr3t-orders-password"])
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

/// One sim world in a temporary directory, with the services that plan against it.
struct SimHarness {
    let directory = TemporaryDirectory()
    let world: SimWorldStore
    let provider: SimProvider
    let registry: ProviderRegistry
    let store = InMemoryStateStore()

    init() {
        world = SimWorldStore(directory: directory.file("sim"))
        provider = SimProvider(world: world)
        registry = ProviderRegistry([provider])
    }

    var service: PlanService {
        PlanService(registry: registry, store: store, secrets: secrets, logger: quietLogger)
    }

    func plan(_ inputs: [ManifestInput], named: [String]) async throws -> PlanService.Outcome {
        let loaded = service.loader.load(inputs)
        return try await service.plan(loaded, inputs: named)
    }

    /// Makes the world match the manifests and records them as applied.
    func converge(_ desired: DesiredState) async throws {
        let (values, problems) = SecretResolver(source: secrets).resolve(desired)
        #expect(problems.isEmpty)
        try await WorldSeeder.seed(desired, provider: provider, secrets: values)
        for resource in desired.resources {
            var entry = InventoryEntry(id: resource.id, spec: resource.spec, specDigest: AppliedInput.digest(resource, secrets: values, key: service.planKey), createdAt: Date(), updatedAt: Date())
            entry.recordedPolicy = RecordedPolicy(resource.policy)
            try await store.upsert(entry)
        }
    }
}

private func expectGolden(_ text: String, _ name: String) {
    let mismatch = Golden.mismatch(text, file: golden + name)
    #expect(mismatch == nil, "\(mismatch ?? "")")
}

@Suite("Plan scenarios on the hybrid example")
struct PlanScenarioTests {
    let inputs = TestManifests.inputs(root: root, directory: hybrid)

    @Test func againstAnEmptyWorld() async throws {
        let harness = SimHarness()
        defer { harness.directory.remove() }
        let outcome = try await harness.plan(inputs, named: [hybrid])
        let plan = try #require(outcome.plan, "\(outcome.diagnostics.items.map(\.message))")
        let desired = try #require(outcome.loaded.desired)
        expectGolden(PlanTextRenderer(sites: desired.sites).render(plan), "hybrid-empty.txt")
        expectGolden(JSONText.pretty(PlanJSON.encode(plan)), "hybrid-empty.json")
        #expect(!JSONText.pretty(PlanJSON.encode(plan)).contains("s3cr3t"))
    }

    @Test func afterOutOfBandDriftAndDelete() async throws {
        let harness = SimHarness()
        defer { harness.directory.remove() }
        let first = try await harness.plan(inputs, named: [hybrid])
        try await harness.converge(try #require(first.loaded.desired))

        let converged = try await harness.plan(inputs, named: [hybrid])
        #expect(converged.plan?.hasChanges == false)

        let control = SimControl(world: harness.world)
        _ = try await control.drift(ResourceID(parsing: "Database/orders@eu-central")!, assignments: ["sizeGb=80", "backups.retentionDays=3"])
        _ = try await control.drift(ResourceID(parsing: "VirtualMachine/app-1@dc-frankfurt")!, assignments: ["image=debian-11"])
        try await control.delete(ResourceID(parsing: "Workload/edge-cache@edge-paris")!)
        let outcome = try await harness.plan(inputs, named: [hybrid])
        let plan = try #require(outcome.plan)
        let desired = try #require(outcome.loaded.desired)
        expectGolden(PlanTextRenderer(sites: desired.sites).render(plan), "hybrid-drifted.txt")
        expectGolden(JSONText.pretty(PlanJSON.encode(plan)), "hybrid-drifted.json")
        #expect(plan.summaryLine == "Plan: 1 to add, 3 to change, 1 to replace, 0 to destroy.")
    }

    @Test func aSiteInOutageIsAWarningAndTheOthersArePlanned() async throws {
        let harness = SimHarness()
        defer { harness.directory.remove() }
        try await SimControl(world: harness.world).setOutage(site: "edge-paris", on: true)
        let outcome = try await harness.plan(inputs, named: [hybrid])
        let plan = try #require(outcome.plan)
        #expect(plan.unknown.allSatisfy { $0.id.site == "edge-paris" } && plan.unknown.count == 3)
        #expect(plan.actions.allSatisfy { $0.id.site != "edge-paris" })
        #expect(outcome.diagnostics.items.contains { $0.severity == .warning && $0.message.contains("edge-paris") })
    }

    @Test func aMissingSecretFailsThePlan() async throws {
        let harness = SimHarness()
        defer { harness.directory.remove() }
        let service = PlanService(registry: harness.registry, store: harness.store, secrets: FixedSecretSource(), logger: quietLogger)
        let outcome = try await service.plan(service.loader.load(inputs), inputs: [hybrid])
        #expect(outcome.plan == nil)
        #expect(outcome.diagnostics.items.map(\.message) == ["${file:secrets/orders-db-password} in Database/orders spec.password: file 'manifests/examples/hybrid/secrets/orders-db-password' cannot be read"])
    }

    @Test func aSlowSiteTimesOutWithoutBlockingTheOthers() async throws {
        let harness = SimHarness()
        defer { harness.directory.remove() }
        let yaml = """
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: slow }
        spec: { class: edge, provider: sim, config: { latencyMs: 5000 } }
        ---
        apiVersion: ballast.dev/v1
        kind: Site
        metadata: { name: fast }
        spec: { class: cloud, provider: sim }
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: a, site: slow }
        ---
        apiVersion: ballast.dev/v1
        kind: Bucket
        metadata: { name: b, site: fast }
        """
        var service = harness.service
        service.observer.timeout = .milliseconds(200)
        let outcome = try await service.plan(service.loader.load([ManifestInput(path: "t.yaml", bytes: Array(yaml.utf8))]), inputs: ["t.yaml"])
        let plan = try #require(outcome.plan)
        #expect(plan.unknown.map(\.id.description) == ["Bucket/a@slow"])
        #expect(plan.actions.map(\.id.description) == ["Bucket/b@fast"])
    }
}
