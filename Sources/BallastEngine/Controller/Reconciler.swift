import BallastCore
import BallastProviders
import BallastState
import Foundation
import Logging

/// Reconciles one resource id — observe it, diff it, act on it — without rescanning the
/// estate: the unit of work of watch mode's level-triggered controller.
///
/// Drift is reverted and vanished resources recreated unless `policy.selfHeal` is false or the
/// resource is observe-only (then it is reported). A managed resource no longer declared is
/// pruned as its deletion policy allows. Every action goes through the ``Executor``, so it is
/// journaled, retried and recorded like any apply.
public struct Reconciler: Sendable {
    public var registry: ProviderRegistry
    public var store: any StateStore
    public var executor: Executor
    /// The schemas of the built-in providers and of the plugins described so far (a site using
    /// one has been loaded before anything is reconciled on it).
    public var catalog: SchemaCatalog { registry.catalog }
    public var logger: Logger
    /// The state's plan key, for the digests the inventory records (``AppliedInput``).
    public var secretsKey: [UInt8] = []

    public init(registry: ProviderRegistry, store: any StateStore, executor: Executor, secretsKey: [UInt8] = [], logger: Logger) {
        self.secretsKey = secretsKey
        self.registry = registry
        self.store = store
        self.executor = executor
        self.logger = logger
    }

    /// The desired state, indexed once per manifest load.
    public struct Desired: Sendable {
        public let state: DesiredState
        public let byID: ResourcesByID
        public let secrets: [ReferenceExpression: String]
        /// Who depends on each resource directly (reconciled again after it changes).
        public let dependents: [ResourceID: [ResourceID]]
        /// Who depends on each managed resource, as the inventory said when these manifests
        /// were loaded (pruning takes dependents first); nil reads the inventory each time.
        public var managedDependents: [ResourceID: [ResourceID]]?
        /// Undeclared resources that may be pruned: the manifests have settled since they were
        /// removed and the deletion budget (or an approval) allows it. Others are held.
        public var admittedPrunes: Set<ResourceID> = []
        /// Resources whose change a blocking budget holds back (``BudgetHolds``).
        public var overBudget: [ResourceID: HeldOverBudget] = [:]

        /// What is in force for each declared resource: its declaration, or for one held over
        /// budget, the declaration kept for it (absent when it has none).
        public var inForceSpecs: [ResourceID: Fields] {
            var specs = byID.mapValues(\.spec)
            for (id, held) in overBudget { specs[id] = held.inForce?.spec }
            return specs
        }

        /// Holds back what would take a blocking budget over its limit, weighed against what
        /// is in force (`inForce`: the previous manifests' declarations, or at start-up what
        /// was last applied). `previous` supplies the declarations kept for held resources.
        /// `inForce` is called only when a blocking budget is declared: most estates pay nothing.
        public mutating func holdOverBudget(inForce: () -> [ResourceID: Fields], inForceLabels: (ResourceID) -> StringMap? = { _ in nil }, previous: Desired?, catalog: SchemaCatalog) {
            guard state.budgets.contains(where: { $0.enforce == .block }), !state.priceBooks.isEmpty else {
                overBudget = [:]
                return
            }
            let holds = BudgetHolds.compute(declared: state, inForce: inForce(), inForceLabels: { previous?.byID[$0]?.labels ?? inForceLabels($0) }, catalog: catalog)
            overBudget = holds.mapValues { hold in
                HeldOverBudget(hold: hold, inForce: previous.flatMap { previous in
                    // Held before: what was in force then (nothing, for a new resource), never
                    // the held declaration itself; else the previous manifests' declaration.
                    if let held = previous.overBudget[hold.id] { return held.inForce }
                    return previous.byID[hold.id]
                })
            }
        }
        /// The source revision these manifests were read at (git), recorded in the journal.
        public let revision: SourceRevision?
        /// The files and directories the manifests were loaded from: each revision of a git
        /// source has its own, and a document's place is compared relative to them.
        public let loadedFrom: [String]
        /// The files secrets and `source` fields read (``DesiredChanges/watchedFiles(of:secrets:)``),
        /// found once per load: the manifest watch asks for them on every wake.
        public let watchedFiles: [String]
        /// What a prune checks a resource's recorded manifest against: nil for a git source.
        public let scope: ManifestScope?
        /// What hidden files under the directories loaded declare, read on the first question.
        public let hidden: HiddenDeclarations

        public init(_ state: DesiredState, secrets: [ReferenceExpression: String], revision: SourceRevision? = nil, loadedFrom: [String] = []) {
            self.revision = revision
            self.loadedFrom = loadedFrom
            scope = ManifestScope.forRun(paths: loadedFrom, fromGit: revision != nil)
            hidden = HiddenDeclarations(directories: loadedFrom)
            self.state = state
            self.byID = state.resourcesByID
            self.secrets = secrets
            self.dependents = state.graph.dependents
            self.watchedFiles = DesiredChanges.watchedFiles(of: state, secrets: secrets)
        }

        /// Why `entry`, which these manifests do not declare, may still be declared in a file
        /// they were not read from (``DeletionRule/Hold/manifestNotGiven(_:)``); nil: a removal.
        public func leftOut(_ entry: InventoryEntry) -> ManifestScope.LeftOut? {
            if let leftOut = scope?.notGiven(entry.manifest) { return leftOut }
            return hidden.leftOut(entry.id) { scope?.named($0) ?? $0 }
        }
    }

    public enum Outcome: Sendable, Hashable {
        case upToDate
        case applied(Action, reason: ActionReason)
        /// The action failed; `retryable` says whether backing off and trying again can help.
        case failed(Action, message: String, retryable: Bool)
        /// Drift found and reported, not acted on (observe-only, or selfHeal: false).
        case reported([FieldChange], missing: Bool)
        case siteUnavailable(String)
        /// Not declared and not managed: nothing to do.
        case unknown
        /// A plan error (preventDestroy, a missing secret): reported, not retried.
        case refused(String)
        /// A deletion held back: the manifests have not settled, or the deletion budget waits
        /// for an approval. Not retried; the controller admits it when it may go ahead.
        case held(String)
        /// Must wait for another resource: a dependency not created yet, or (when pruning) a
        /// dependent not deleted yet.
        case waiting(for: ResourceID)
        /// Must wait for outputs that a pull site's agent has not reported (``AwaitedOutputs``):
        /// not retried; the report queues it again.
        case awaitingOutputs(String)
        /// Its change would take a blocking budget over its limit (``BudgetHolds``): not
        /// applied, and not retried until the manifests change. The declaration in force was
        /// reconciled instead (drift healed), when there is one.
        case overBudget(String)
    }

    /// A resource a blocking budget holds back, with the declaration kept in force for it.
    public struct HeldOverBudget: Sendable {
        public var hold: BudgetHolds.Hold
        /// What the manifests in force declared before (nil: it is new, and not created).
        public var inForce: DesiredResource?

        public init(hold: BudgetHolds.Hold, inForce: DesiredResource?) {
            self.hold = hold
            self.inForce = inForce
        }
    }

    /// Reconciles `id`. `reportedOutputs` holds what pull sites' agents last reported of their
    /// resources (``Observation/reportedOutputs``), for references to them.
    public func reconcile(_ id: ResourceID, desired: Desired, reportedOutputs: [ResourceID: Fields] = [:]) async throws -> Outcome {
        let entry = try await store.entry(id)
        if let held = desired.overBudget[id] {
            // The change waits; what is in force is kept converged (a heal is never blocked).
            guard let inForce = held.inForce else { return .overBudget(held.hold.message) }
            let outcome = try await reconcile(inForce, entry: entry, desired: desired, reportedOutputs: reportedOutputs)
            switch outcome {
            case .upToDate, .applied: return .overBudget(held.hold.message)
            default: return outcome
            }
        }
        guard let resource = desired.byID[id] else {
            guard let entry else { return .unknown }
            return try await prune(entry, desired: desired)
        }
        return try await reconcile(resource, entry: entry, desired: desired, reportedOutputs: reportedOutputs)
    }

    /// Observes, plans and acts on one declared resource.
    private func reconcile(_ resource: DesiredResource, entry: InventoryEntry?, desired: Desired, reportedOutputs: [ResourceID: Fields]) async throws -> Outcome {
        let id = resource.id
        // Observe the resource and its dependencies (their outputs fill references).
        var members = [resource]
        for dependency in resource.dependencies { if let other = desired.byID[dependency] { members.append(other) } }
        var observation = await Observer(registry: registry, logger: logger).observe(members.map(\.id), sites: desired.state.sites)
        if let reason = observation.unavailableSites[id.site] { return .siteUnavailable(reason) }
        if !observation.agentSites.isEmpty {
            for dependency in resource.dependencies where observation.agentSites[dependency.site] != nil {
                observation.reportedOutputs[dependency] = reportedOutputs[dependency]
            }
            if let awaited = AwaitedOutputs.awaited(by: resource, observation: observation) {
                return .awaitingOutputs(AwaitedOutputs.reason(awaited, observation: observation))
            }
        }
        if let absent = resource.dependencies.first(where: {
            desired.byID[$0] != nil && observation.resources[$0] == nil && observation.unavailableSites[$0.site] == nil && observation.agentSites[$0.site] == nil
        }) {
            return .waiting(for: absent)
        }
        // Only the target is planned; its dependencies are observed just for their outputs
        // (planning them too would judge them without their own dependencies).
        let slice = DesiredState(sites: desired.state.sites, resources: [resource])
        let (plan, problems) = Planner(catalog: catalog).plan(.init(
            desired: slice, observation: observation, inventory: entry.map { [id: $0] } ?? [:], secrets: desired.secrets, inputs: [], inputDigest: "", secretsKey: secretsKey))
        let fromGit = desired.revision != nil
        if let drift = plan.drift.first(where: { $0.id == id }) {
            try await record(entry, status: .drifted, declaring: resource, fromGit: fromGit)
            return .reported(drift.changes, missing: drift.missing)
        }
        guard let action = plan.actions.first(where: { $0.id == id }) else { return try await upToDate(entry, declaring: resource, fromGit: fromGit) }
        if let problem = problems.first { return .refused(problem.message) }
        guard action.action.changesSomething else { return try await upToDate(entry, declaring: resource, fromGit: fromGit) }
        if !resource.policy.selfHeal, action.reason.undoesDrift {
            try await record(entry, status: .drifted, declaring: resource, fromGit: fromGit)
            return .reported(action.changes, missing: action.reason == .vanished)
        }
        return await execute(action, plan: plan, slice: slice, observation: observation, entry: entry, secrets: desired.secrets, revision: desired.revision?.commit)
    }

    private func prune(_ entry: InventoryEntry, desired: Desired) async throws -> Outcome {
        let id = entry.id
        func decide(siteUnavailable: String? = nil, exists: Bool = true) -> DeletionRule.Verdict {
            DeletionRule.decide(.init(
                id: id, request: .prune, recorded: entry.recordedPolicy, sites: desired.state.sites,
                siteUnavailable: siteUnavailable, exists: exists, sourceSettled: desired.admittedPrunes.contains(id),
                manifestNotGiven: desired.leftOut(entry)))
        }
        // What the rule says before observing (policy, site, settled source) holds either way.
        if case .keep(let hold) = decide() { return Self.outcome(of: hold, id: id) }
        // Dependents go first: a managed resource that still names this one is pruned before it.
        if entry.deletion != .orphan, let dependent = try await managedDependent(of: id, desired: desired) {
            return .waiting(for: dependent)
        }
        let observation = await Observer(registry: registry, logger: logger).observe([id], sites: desired.state.sites)
        let verdict = decide(siteUnavailable: observation.unavailableSites[id.site], exists: observation.resources[id] != nil)
        guard let (action, reason) = verdict.action else {
            if case .keep(let hold) = verdict { return Self.outcome(of: hold, id: id) }
            return .upToDate
        }
        let planned = PlannedAction(id: id, action: action, reason: reason, layer: 0, observedRevision: observation.resources[id]?.revision)
        let plan = Plan(inputs: [], inputDigest: "", secretsDigest: "", actions: [planned])
        let slice = DesiredState(sites: desired.state.sites, resources: [])
        return await execute(planned, plan: plan, slice: slice, observation: observation, entry: entry, secrets: desired.secrets, revision: desired.revision?.commit)
    }

    /// How a kept resource reads in watch mode.
    static func outcome(of hold: DeletionRule.Hold, id: ResourceID) -> Outcome {
        switch hold {
        case .siteUnavailable(let reason): .siteUnavailable(reason)
        case .declared: .upToDate
        case .sourceUnsettled, .managedByAgent: .held(hold.message(for: id, request: .prune))
        case .preventDestroy, .pruneDisabled, .siteUndeclared, .manifestNotGiven: .refused(hold.message(for: id, request: .prune))
        }
    }

    /// A managed resource that still depends on `id`, if any.
    private func managedDependent(of id: ResourceID, desired: Desired) async throws -> ResourceID? {
        guard let index = desired.managedDependents else {
            return try await store.inventory().values.filter { $0.id != id && $0.dependencies.contains(id) }.map(\.id).min()
        }
        for dependent in (index[id] ?? []).sorted() where dependent != id {
            if try await store.entry(dependent) != nil { return dependent }
        }
        return nil
    }

    /// Clears a drift the inventory remembers once the world matches again, and records what
    /// changed in the declaration of a resource that needed no action.
    private func upToDate(_ entry: InventoryEntry?, declaring resource: DesiredResource, fromGit: Bool) async throws -> Outcome {
        try await record(entry, status: entry?.status == .drifted ? .ready : entry?.status, declaring: resource, fromGit: fromGit)
        return .upToDate
    }

    /// Writes `entry` when its status (`.drifted`: the world differs from what was applied, for
    /// `ballast status`) or what it keeps of the declaration changed: a policy set or lifted on
    /// a resource that needed no action must be in force once its document is removed
    /// (``InventoryEntry/recordingDeclaration(of:fromGit:)``, as `apply` records it).
    private func record(_ entry: InventoryEntry?, status: InventoryEntry.Status?, declaring resource: DesiredResource, fromGit: Bool) async throws {
        guard let entry, let status else { return }
        var updated = entry.recordingDeclaration(of: resource, fromGit: fromGit) ?? entry
        updated.status = status
        if updated != entry { try await store.upsert(updated) }
    }

    private func execute(_ action: PlannedAction, plan: Plan, slice: DesiredState, observation: Observation, entry: InventoryEntry?, secrets: [ReferenceExpression: String], revision: String?) async -> Outcome {
        let single = Plan(inputs: plan.inputs, inputDigest: plan.inputDigest, secretsDigest: plan.secretsDigest, actions: [action])
        let report = await executor.execute(.init(
            plan: single, desired: slice, observation: observation, inventory: entry.map { [action.id: $0] } ?? [:],
            secrets: secrets, runID: "watch-\(UUID().uuidString.prefix(8))", revision: revision, secretsKey: secretsKey))
        guard let result = report.results.first else { return .upToDate }
        switch result.status {
        case .applied: return .applied(action.action, reason: action.reason)
        case .failed, .skipped:
            return .failed(action.action, message: result.error ?? "failed", retryable: result.retryable)
        }
    }
}
