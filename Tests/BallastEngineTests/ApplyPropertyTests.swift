import BallastCore
import BallastEngine
import BallastProviders
import BallastSim
import BallastTesting
import Foundation
import Testing

/// Properties of whole runs on generated estates and random world edits. Each case is one
/// seed, printed in every failure; `BALLAST_PROPERTY_SEEDS=N` runs N more seeds than CI does.
@Suite("Apply properties")
struct ApplyPropertyTests {
    static let seeds: [UInt64] = {
        let extra = ProcessInfo.processInfo.environment["BALLAST_PROPERTY_SEEDS"].flatMap { Int($0) } ?? 0
        return Array(1...(8 + UInt64(max(0, extra))))
    }()

    /// An applier on the harness's sim world and in-memory store.
    private static func applier(_ harness: SimHarness, budget: DeletionBudget? = .standard) -> ApplyService {
        var planner = harness.service
        planner.budget = budget
        let executor = Executor(registry: harness.registry, store: harness.store, logger: quietLogger, sleep: { _ in })
        return ApplyService(planner: planner, executor: executor, logger: quietLogger)
    }

    private static func plan(_ service: ApplyService, _ yaml: String) async throws -> PlanService.Outcome {
        try await service.planner.plan(service.planner.loader.load([ManifestInput(path: "generated.yaml", bytes: Array(yaml.utf8))]), inputs: ["generated.yaml"])
    }

    @discardableResult
    private static func apply(_ service: ApplyService, _ yaml: String, seed: UInt64) async throws -> Plan {
        let outcome = try await plan(service, yaml)
        let plan = try Self.plan(of: outcome, seed: seed)
        let report = try await service.execute(plan, outcome: outcome, approvedDeletions: plan.massDeletion?.digest, progress: SilentProgress())
        #expect(report.succeeded, "seed \(seed): \(report.results.filter { $0.status == .failed }.map { "\($0.id): \($0.error ?? "")" })")
        return plan
    }

    /// A `field=value` that changes one top-level scalar field of `spec`, if it has one.
    private static func edit(of spec: Fields, random: inout SeededGenerator) -> String? {
        let scalars = spec.keys.sorted().filter { key in
            switch spec[key] { case .int, .bool, .string: true; default: false }
        }
        guard let key = scalars.randomElement(using: &random) else { return nil }
        switch spec[key] {
        case .int(let number): return "\(key)=\(number + 1)"
        case .bool(let flag): return "\(key)=\(!flag)"
        default: return "\(key)=\"edited out of band\""
        }
    }

    /// The outcome's plan; its diagnostics, not the whole outcome, when there is none.
    private static func plan(of outcome: PlanService.Outcome, seed: UInt64) throws -> Plan {
        guard let plan = outcome.plan else {
            Issue.record("seed \(seed): no plan: \(outcome.diagnostics.items.map(\.message))")
            throw CancellationError()
        }
        return plan
    }

    private static func pending(_ plan: Plan) -> [String] {
        plan.actions.filter { $0.action != .noop }.map { "\($0.id) \($0.action) \($0.changes.map(\.path))" }
    }

    @Test(arguments: seeds)
    func applyingThenPlanningAgainIsEmptyEvenAfterTheWorldWasEdited(seed: UInt64) async throws {
        var generator = ManifestGenerator(random: SeededGenerator(seed: seed))
        let yaml = generator.manifests(resources: Int.random(in: 1...40, using: &generator.random))
        let harness = SimHarness()
        defer { harness.directory.remove() }
        let service = Self.applier(harness)
        try await Self.apply(service, yaml, seed: seed)
        let first = try Self.plan(of: try await Self.plan(service, yaml), seed: seed)
        #expect(!first.hasChanges, "seed \(seed): \(Self.pending(first))")

        // Out of band: delete some resources, and change a field of others (not of those with
        // preventDestroy, where a field that forces replacement makes the plan refuse, rightly).
        let control = SimControl(world: harness.world)
        // Nor of what they depend on: a re-created dependency has new outputs, which may force
        // the protected resource's replacement.
        let inventory = await harness.store.inventory()
        var protected = Set(inventory.values.filter(\.preventDestroy).map(\.id))
        var frontier = Array(protected)
        while let id = frontier.popLast() {
            for dependency in inventory[id]?.dependencies ?? [] where protected.insert(dependency).inserted { frontier.append(dependency) }
        }
        for observed in try await control.list() where !protected.contains(observed.id) {
            switch Int.random(in: 0..<4, using: &generator.random) {
            case 0: try await control.delete(observed.id)
            case 1:
                if let assignment = Self.edit(of: observed.spec, random: &generator.random) {
                    _ = try await control.drift(observed.id, assignments: [assignment])
                }
            default: break
            }
        }
        try await Self.apply(service, yaml, seed: seed)
        let second = try Self.plan(of: try await Self.plan(service, yaml), seed: seed)
        #expect(!second.hasChanges, "seed \(seed): \(Self.pending(second))")
    }

    @Test(arguments: seeds)
    func aPlanNeverDeletesWhatPolicyOrTheDeletionBudgetProtects(seed: UInt64) async throws {
        var generator = ManifestGenerator(random: SeededGenerator(seed: seed))
        generator.policies = ["{ preventDestroy: true }", "{ prune: false }", "{ deletion: orphan }", "{ preventDestroy: false }"]
        let count = Int.random(in: 5...40, using: &generator.random)
        let yaml = generator.manifests(resources: count)
        let harness = SimHarness()
        defer { harness.directory.remove() }
        let budget = DeletionBudget(minimum: Int.random(in: 1...8, using: &generator.random), fraction: 0.1, window: .seconds(600))
        let service = Self.applier(harness, budget: budget)
        try await Self.apply(service, yaml, seed: seed)
        let inventory = await harness.store.inventory()

        // Later documents only refer to earlier ones: dropping a suffix leaves a valid estate.
        var documents = yaml.components(separatedBy: "\n---\n")
        let kept = Int.random(in: 0...count, using: &generator.random)
        let sites = documents.count - count
        documents.removeLast(count - kept)
        for observed in try await SimControl(world: harness.world).list() where Bool.random(using: &generator.random) {
            try await SimControl(world: harness.world).delete(observed.id)
        }
        let outcome = try await Self.plan(service, documents.joined(separator: "\n---\n") + "\n")
        guard let plan = outcome.plan else {
            // Pruning a resource applied with preventDestroy is an error: no plan, nothing done.
            let errors = outcome.diagnostics.items.filter { $0.severity == .error }
            #expect(!errors.isEmpty && errors.allSatisfy { $0.message.contains("policy.preventDestroy") }, "seed \(seed): \(errors.map(\.message))")
            return
        }
        let declared = Set(plan.actions.compactMap { $0.action == .delete ? nil : $0.id })
        var pruned = 0
        // A delete action deletes in the world only when the resource is no longer declared;
        // one that vanished, or has deletion: orphan, is only forgotten.
        for action in plan.actions where action.action == .delete {
            let recorded = try #require(inventory[action.id]?.recordedPolicy, "seed \(seed): \(action.id) deleted but never managed")
            #expect(!declared.contains(action.id), "seed \(seed): \(action.id) is still declared")
            #expect(recorded.deletion != .orphan || action.reason == .orphaned, "seed \(seed): \(action.id) has deletion: orphan but is \(action.reason)")
            guard action.reason == .notDeclared else { continue }
            #expect(!recorded.preventDestroy, "seed \(seed): \(action.id) has preventDestroy")
            #expect(recorded.prune, "seed \(seed): \(action.id) has prune: false")
            #expect(recorded.deletion == .delete, "seed \(seed): \(action.id) is deletion: orphan")
            pruned += 1
        }
        let limit = budget.limit(managed: inventory.count)
        #expect((plan.massDeletion != nil) == (pruned > limit), "seed \(seed): \(plan.actions.filter { $0.action == .delete }.map { "\($0.id) \($0.reason)" }) \(pruned) prunes against a budget of \(limit); held: \(plan.massDeletion != nil); \(sites) sites, \(kept) of \(count) kept")
        if plan.massDeletion != nil {
            // Unapproved, nothing is done at all.
            await #expect(throws: ApplyService.Refusal.self, "seed \(seed): an over-budget plan acted") {
                _ = try await service.execute(plan, outcome: outcome, progress: SilentProgress())
            }
            #expect(await harness.store.inventory() == inventory)
        }
    }

    @Test(arguments: [UInt64(7), 8])
    func oneFileOrManyFilesOnOneCoreOrFourGiveTheSamePlan(seed: UInt64) async throws {
        let yaml = ManifestCorpus.generate(resources: 5_000, sites: 4, seed: seed)
        let documents = yaml.components(separatedBy: "\n---\n")
        // Many files, in path order; documents dealt round-robin so that each file mixes sites.
        var files = Array(repeating: [String](), count: 23)
        for (index, document) in documents.enumerated() { files[index % files.count].append(document) }
        let many = files.enumerated().map { index, docs in
            ManifestInput(path: String(format: "team-%02d/estate.yaml", index), bytes: Array((docs.joined(separator: "\n---\n") + "\n").utf8))
        }
        let harness = SimHarness()
        defer { harness.directory.remove() }
        func plan(_ inputs: [ManifestInput], cores: Int) async throws -> Plan {
            let loader = ManifestLoader(catalog: harness.registry.catalog, yaml: YAMLLoader(parallelism: cores, parallelThreshold: cores == 1 ? .max : 0))
            let loaded = loader.load(inputs)
            let outcome = try await harness.service.plan(loaded, inputs: ["estate"])
            return try #require(outcome.plan, "seed \(seed): \(outcome.diagnostics.items.prefix(3).map(\.message))")
        }
        let single = try await plan([ManifestInput(path: "estate.yaml", bytes: Array(yaml.utf8))], cores: 1)
        let spread = try await plan(many, cores: 4)
        #expect(single.actions.count == 5_000)
        #expect(single.actions == spread.actions, "seed \(seed): the plans differ")
        #expect(single.warnings == spread.warnings && single.unknown == spread.unknown, "seed \(seed)")
    }
}
