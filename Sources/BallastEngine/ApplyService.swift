import BallastCore
import BallastProviders
import BallastState
import Foundation
import Logging

/// Apply and destroy: the lock, crash recovery, the staleness checks of saved plans, and
/// execution. The CLI only parses, asks for approval and prints.
public struct ApplyService: Sendable {
    public var planner: PlanService
    public var executor: Executor
    public var logger: Logger
    /// How long a grant or renewal of the state lease lasts (renewed every third of it).
    public var leaseTTL: Duration

    public init(planner: PlanService, executor: Executor, leaseTTL: Duration = LockHolder.defaultTTL, logger: Logger) {
        self.planner = planner
        self.executor = executor
        self.leaseTTL = leaseTTL
        self.logger = logger
    }

    public var store: any StateStore { planner.store }

    /// Takes the state's single-writer lease for a run, and keeps renewing it until ``unlock(_:)``;
    /// callers go through ``withLease(command:wait:onTakeover:_:)``, which never forgets to release.
    func lock(command: String, wait: Duration) async throws -> (lease: HeldLease, tookOverFrom: LockHolder?) {
        let asked = ContinuousClock.now
        switch try await store.acquireLock(LockHolder(command: command, ttl: leaseTTL), wait: wait) {
        case .acquired(let lease):
            return (HeldLease(lease, askedAt: asked, store: store, deadline: executor.leaseDeadline, logger: logger), nil)
        case .tookOver(let lease, let previous):
            return (HeldLease(lease, askedAt: asked, store: store, deadline: executor.leaseDeadline, logger: logger), previous)
        }
    }

    func unlock(_ lease: HeldLease) async {
        // A run woken past its lease learns, and says, whether another run took it.
        if !executor.leaseDeadline.allowsCall() { _ = await lease.confirmLost(store: store, logger: logger) }
        lease.stopRenewing()
        executor.leaseDeadline.released()
        do { try await store.releaseLock(lease.holder) } catch { logger.error("could not release the state lock", metadata: ["error": "\(error)"]) }
    }

    /// Runs `body` holding the state's lease, renewed all along, and releases it whether `body`
    /// returns or throws: every writing operation (apply, destroy, forget, watch) runs inside one.
    /// `onTakeover` hears of a lease taken over from a run that died or let it expire, before
    /// `body` starts. A lock that stays busy for `wait` throws ``StoreError/locked(_:holder:)``.
    public func withLease<Result>(
        command: String, wait: Duration, onTakeover: (LockHolder) -> Void = { _ in },
        _ body: (HeldLease) async throws -> Result
    ) async throws -> Result {
        let (lease, previous) = try await lock(command: command, wait: wait)
        if let previous { onTakeover(previous) }
        do {
            let result = try await body(lease)
            await unlock(lease)
            return result
        } catch {
            await unlock(lease)
            throw error
        }
    }

    /// Closes what an interrupted run left open when no other run holds the lock; a read-only
    /// command calls it so that its plan does not show a crash's leftovers. Nil when the lock was
    /// busy or recovery could not finish (the next writing run recovers).
    public func recoverIfUnlocked(sites: [String: Site], command: String) async -> Recovery.Report? {
        try? await withLease(command: command, wait: .zero) { _ in try await recover(sites: sites) }
    }

    /// Closes the journal entries an interrupted run left open.
    public func recover(sites: [String: Site]) async throws -> Recovery.Report {
        try await Recovery(registry: planner.registry, store: store, announcer: executor.announcer, logger: logger).recover(sites: sites)
    }

    /// The start every writing operation shares — apply, apply of a saved plan, destroy, watch's
    /// start-up: load the manifests, close what an interrupted run left open, and plan. Call it
    /// holding the lease. `recovery` is nil when the manifests did not load.
    /// `prunes` is false for `destroy` (``Planner/Input/prunes``).
    public func prepare(_ paths: [String], revision: String? = nil, prunes: Bool = true, readStandardInput: @escaping () -> [UInt8] = { [] }) async throws -> (outcome: PlanService.Outcome, recovery: Recovery.Report?) {
        let loaded = planner.load(paths, readStandardInput: readStandardInput)
        var recovery: Recovery.Report?
        if let desired = loaded.desired { recovery = try await recover(sites: desired.sites) }
        var outcome = try await planner.plan(loaded, inputs: paths, fromGit: revision != nil, prunes: prunes)
        outcome.revision = revision
        return (outcome, recovery)
    }

    /// Why a plan was not executed.
    public enum Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// The plan prunes more than the deletion budget allows, and no approval was given.
        case overBudget(MassDeletion)
        /// The plan takes blocking `Budget`s over their limits, and `--allow-over-budget` was
        /// not given.
        case budgetExceeded([BudgetUse])

        public var description: String {
            switch self {
            case .overBudget(let mass): "\(mass.message); nothing was applied. Pass --allow-mass-delete to apply these deletions (digest \(mass.digest))"
            case .budgetExceeded(let uses):
                "this plan goes over \(uses.count == 1 ? "a blocking budget" : "\(uses.count) blocking budgets"): \(uses.map(\.overrunMessage).joined(separator: "; ")); nothing was applied. Pass --allow-over-budget to apply it anyway (recorded in the journal)"
            }
        }
    }

    /// Executes a plan made by `planner` (or a saved plan checked by ``staleness(of:against:)``),
    /// then records the policies of resources that needed no action.
    ///
    /// A plan over the deletion budget is refused unless `approvedDeletions` names its digest.
    /// A plan that takes a blocking `Budget` over its limit is refused unless
    /// `allowOverBudget`; the budgets are those of the plan made now (`outcome.plan`), never
    /// figures read from a saved plan, and an override is journaled with every intent.
    public func execute(_ plan: Plan, outcome: PlanService.Outcome, approvedDeletions: String? = nil, allowOverBudget: Bool = false, progress: any ApplyProgress) async throws -> ApplyReport {
        guard let desired = outcome.loaded.desired else { return ApplyReport() }
        if let mass = plan.massDeletion, approvedDeletions != mass.digest { throw Refusal.overBudget(mass) }
        let approval = try Self.budgetApproval(outcome.plan ?? plan, allowOverBudget: allowOverBudget)
        let report = await executor.execute(.init(
            plan: plan, desired: desired, observation: outcome.observation ?? Observation(), inventory: outcome.inventory,
            secrets: outcome.secrets, runID: UUID().uuidString, revision: outcome.revision, secretsKey: planner.planKey, approval: approval), progress: progress)
        try await recordUntouched(plan, outcome: outcome)
        return report
    }

    /// The one budget gate: nil when `plan` breaks no blocking budget; the approval to journal
    /// when it does and `allowOverBudget`; else the refusal. Commands call it before asking for
    /// a confirmation, and ``execute`` calls it again.
    public static func budgetApproval(_ plan: Plan, allowOverBudget: Bool) throws(Refusal) -> String? {
        let overLimit = plan.blockingBudgets
        guard !overLimit.isEmpty else { return nil }
        guard allowOverBudget else { throw Refusal.budgetExceeded(overLimit) }
        return "--allow-over-budget: " + overLimit.map(\.overrunMessage).joined(separator: "; ")
    }

    /// Keeps the policy, dependencies and manifest file the inventory remembers in step with the
    /// manifests for resources that needed no action (a changed `preventDestroy` must protect
    /// them too, a lifted one must let `destroy` go ahead, and a document moved to another file,
    /// or an entry from before manifests were recorded, must name its file for ``ManifestScope``).
    /// Called after executing, and by a run that found nothing to change. The entries are those
    /// the plan was made with: no action wrote them, and the caller holds the lease.
    public func recordUntouched(_ plan: Plan, outcome: PlanService.Outcome) async throws {
        guard let desired = outcome.loaded.desired else { return }
        let fromGit = outcome.revision != nil
        let untouched = Set(plan.actions.filter { $0.action == .noop }.map(\.id))
        var changed: [InventoryEntry] = []
        for resource in desired.resources where untouched.contains(resource.id) {
            if let entry = outcome.inventory[resource.id]?.recordingDeclaration(of: resource, fromGit: fromGit) { changed.append(entry) }
        }
        if !changed.isEmpty { try await store.upsert(contentsOf: changed) }
    }

    /// What keeps a saved plan from being applied as it is; empty when it can be.
    ///
    /// Besides what moved since it was made (manifests, secrets, observed revisions), every
    /// action is checked against what planning now chooses, under the policies in force: a
    /// plan file cannot delete or change what a fresh plan would not.
    public func staleness(of saved: Plan, against current: PlanService.Outcome) -> [String] {
        var problems: [String] = []
        if saved.inputDigest != current.loaded.inputDigest {
            problems.append("the manifests changed since the plan was made (\(saved.inputs.joined(separator: ", ")))")
        }
        guard let plan = current.plan else {
            problems.append("the manifests do not plan without errors now (see above)")
            return problems
        }
        if plan.secretsDigest != saved.secretsDigest {
            problems.append("a secret (${env:…} or ${file:…}) changed since the plan was made")
        }
        let observation = current.observation ?? Observation()
        for action in saved.actions where action.action.changesSomething {
            if let reason = observation.unavailableSites[action.id.site] {
                problems.append("\(action.id): its site cannot be observed (\(reason))")
                continue
            }
            let now = observation.resources[action.id]?.revision
            if now != action.observedRevision {
                switch (action.observedRevision, now) {
                case (nil, _?): problems.append("\(action.id) now exists, but did not when the plan was made")
                case (_?, nil): problems.append("\(action.id) no longer exists")
                case let (before?, after?): problems.append("\(action.id) changed since the plan was made (revision \(before) → \(after))")
                case (nil, nil): break
                }
            }
        }
        problems.append(contentsOf: Self.disagreements(saved: saved, current: plan))
        return problems
    }

    /// Where a saved plan's actions differ from a plan made now.
    static func disagreements(saved: Plan, current: Plan) -> [String] {
        var problems: [String] = []
        let fresh = Dictionary(current.actions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var seen = Set<ResourceID>()
        for action in saved.actions {
            guard seen.insert(action.id).inserted else {
                problems.append("\(action.id) appears twice in the plan")
                continue
            }
            let now = fresh[action.id]
            let nowAction = now?.action ?? .noop
            if action.action != nowAction || (action.action == .delete && action.reason != now?.reason) {
                let described = now.map { "\($0.action.rawValue) (\($0.reason.text))" } ?? "nothing"
                problems.append("\(action.id): the plan says \(action.action.rawValue) (\(action.reason.text)), but planning now gives \(described)")
            }
        }
        for action in current.actions where action.action.changesSomething && !seen.contains(action.id) {
            problems.append("\(action.id): planning now gives \(action.action.rawValue), which the plan does not have")
        }
        if Set(saved.policyChanges) != Set(current.policyChanges) {
            problems.append("the policy changes to record differ from planning now")
        }
        if saved.massDeletion?.digest != current.massDeletion?.digest {
            problems.append("the deletions over the deletion budget differ from planning now")
        }
        return problems
    }

    /// A plan that deletes everything the manifests declare and Ballast manages, dependents
    /// first, as the ``DeletionRule`` allows: `preventDestroy` makes it fail; `deletion: orphan`
    /// only forgets. A managed resource outside the manifests that depends on one of them makes
    /// it fail too, naming it, unless `includeDependents` adds it (and what depends on it).
    public func destroyPlan(_ outcome: PlanService.Outcome, includeDependents: Bool = false) -> (plan: Plan?, diagnostics: Diagnostics) {
        var diagnostics = outcome.diagnostics
        guard let desired = outcome.loaded.desired, let observation = outcome.observation else { return (nil, diagnostics) }
        let declared = desired.resourcesByID
        var targets = Set(desired.resources.map(\.id).filter { outcome.inventory[$0] != nil })
        let dependents = Self.managedDependents(of: targets, inventory: outcome.inventory)
        if !dependents.isEmpty {
            if includeDependents {
                targets.formUnion(dependents.map(\.dependent))
            } else {
                for (dependent, dependency) in dependents {
                    diagnostics.error("\(dependency) cannot be destroyed alone: the managed \(dependent) depends on it; destroy it too (add its manifest, or pass --include-dependents), or change it first", at: declared[dependency]?.location)
                }
            }
        }
        // Shown in reverse dependency layers; dependents from outside the manifests first. (The
        // executor orders the deletes themselves by the dependencies the inventory records.)
        let shift = includeDependents && !dependents.isEmpty ? 1 : 0
        func layer(_ id: ResourceID) -> Int { declared[id].map { desired.layerCount - 1 - $0.layer + shift } ?? 0 }
        var actions: [PlannedAction] = []
        for id in targets.sorted() {
            guard let entry = outcome.inventory[id] else { continue }
            let resource = declared[id]
            let verdict = DeletionRule.decide(.init(
                id: id, request: .destroy, recorded: entry.recordedPolicy, declared: resource.map { RecordedPolicy($0.policy) },
                sites: desired.sites, siteUnavailable: observation.unavailableSites[id.site],
                exists: observation.resources[id] != nil))
            switch verdict {
            case .delete(let reason), .forget(let reason):
                actions.append(PlannedAction(id: id, action: .delete, reason: reason, layer: layer(id), observedRevision: observation.resources[id]?.revision))
            case .keep(let hold):
                switch hold {
                case .preventDestroy: diagnostics.error(hold.message(for: id, request: .destroy), at: resource.flatMap { $0.fieldLocations["policy.preventDestroy"] ?? $0.location })
                case .siteUndeclared: diagnostics.error(hold.message(for: id, request: .destroy), at: nil)
                case .managedByAgent: diagnostics.warning(hold.message(for: id, request: .destroy), at: nil)
                case .siteUnavailable, .declared, .pruneDisabled, .sourceUnsettled, .manifestNotGiven: break
                }
            }
        }
        actions.sort { ($0.layer, $0.id) < ($1.layer, $1.id) }
        let unknown = targets.sorted().compactMap { id in observation.unavailableSites[id.site].map { UnknownResource(id: id, reason: $0) } }
        let plan = Plan(inputs: outcome.plan?.inputs ?? [], inputDigest: outcome.loaded.inputDigest, secretsDigest: outcome.plan?.secretsDigest ?? "", actions: actions, unknown: unknown, warnings: outcome.plan?.warnings ?? [])
        return (diagnostics.hasErrors ? nil : plan, diagnostics)
    }

    /// Managed resources outside `targets` that depend, directly or not, on one inside, each
    /// with the target it reaches first. Sorted.
    static func managedDependents(of targets: Set<ResourceID>, inventory: Inventory) -> [(dependent: ResourceID, dependency: ResourceID)] {
        var dependentsOf: [ResourceID: [ResourceID]] = [:]
        for entry in inventory.values { for dependency in entry.dependencies { dependentsOf[dependency, default: []].append(entry.id) } }
        var found: [ResourceID: ResourceID] = [:]
        var pending = targets.sorted().map { ($0, $0) }
        while let (id, origin) = pending.popLast() {
            for dependent in (dependentsOf[id] ?? []).sorted() where !targets.contains(dependent) && found[dependent] == nil {
                found[dependent] = origin
                pending.append((dependent, origin))
            }
        }
        return found.sorted { $0.key < $1.key }.map { (dependent: $0.key, dependency: $0.value) }
    }

    /// The resources whose world differs from what Ballast last applied, with no manifest change.
    public func drift(_ outcome: PlanService.Outcome) -> [PlannedAction] {
        guard let plan = outcome.plan, let desired = outcome.loaded.desired else { return [] }
        let byID = desired.resourcesByID
        return plan.actions.filter { action in
            guard action.action.changesSomething, action.action != .delete, let entry = outcome.inventory[action.id], let resource = byID[action.id] else { return false }
            switch action.reason {
            // A rotated secret (secret-changed) is a change of input, not drift.
            case .drifted: return true
            case .vanished: return AppliedInput.specPart(entry.specDigest) == Substring(SpecDigest.digest(resource.spec))
            default: return false
            }
        }
    }
}
