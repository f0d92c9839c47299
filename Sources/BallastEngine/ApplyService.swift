import BallastCore
import BallastProviders
import BallastStore
import Foundation
import Logging

/// Apply and destroy: the lock, crash recovery, the staleness checks of saved plans, and
/// execution. The CLI only parses, asks for approval and prints.
public struct ApplyService: Sendable {
    public var planner: PlanService
    public var executor: Executor
    public var logger: Logger

    public init(planner: PlanService, executor: Executor, logger: Logger) {
        self.planner = planner
        self.executor = executor
        self.logger = logger
    }

    public var store: any StateStore { planner.store }

    /// Takes the state's single-writer lock for a run.
    public func lock(command: String, wait: Duration) async throws -> (holder: LockHolder, tookOverFrom: LockHolder?) {
        let holder = LockHolder(command: command)
        switch try await store.acquireLock(holder, wait: wait) {
        case .acquired: return (holder, nil)
        case .tookOver(let previous): return (holder, previous)
        }
    }

    public func unlock(_ holder: LockHolder) async {
        do { try await store.releaseLock(holder) } catch { logger.error("could not release the state lock", metadata: ["error": "\(error)"]) }
    }

    /// Closes the journal entries an interrupted run left open.
    public func recover(sites: [String: Site]) async throws -> Recovery.Report {
        try await Recovery(registry: planner.registry, store: store, logger: logger).recover(sites: sites)
    }

    /// Executes a plan made by `planner` (or a saved plan checked by ``staleness(of:against:)``).
    public func execute(_ plan: Plan, outcome: PlanService.Outcome, progress: any ApplyProgress) async throws -> ApplyReport {
        guard let desired = outcome.loaded.desired else { return ApplyReport() }
        let report = await executor.execute(.init(
            plan: plan, desired: desired, observation: outcome.observation ?? Observation(), inventory: outcome.inventory,
            secrets: outcome.secrets, runID: UUID().uuidString), progress: progress)
        try await refreshPolicies(desired, plan: plan)
        return report
    }

    /// Keeps the policy and dependencies the inventory remembers in step with the manifests for
    /// resources that needed no action (a changed `preventDestroy` must protect them too).
    private func refreshPolicies(_ desired: DesiredState, plan: Plan) async throws {
        let inventory = try await store.inventory()
        let untouched = Set(plan.actions.filter { $0.action == .noop }.map(\.id))
        for resource in desired.resources where untouched.contains(resource.id) {
            guard var entry = inventory[resource.id] else { continue }
            let fresh = (resource.policy.preventDestroy, resource.policy.deletion, resource.dependencies)
            if (entry.preventDestroy, entry.deletion, entry.dependencies) != fresh {
                (entry.preventDestroy, entry.deletion, entry.dependencies) = fresh
                try await store.upsert(entry)
            }
        }
    }

    /// What moved since a saved plan was made; empty when it can be applied as it is.
    public func staleness(of saved: Plan, against current: PlanService.Outcome) -> [String] {
        var problems: [String] = []
        if saved.inputDigest != current.loaded.inputDigest {
            problems.append("the manifests changed since the plan was made (\(saved.inputs.joined(separator: ", ")))")
        }
        if let plan = current.plan, plan.secretsDigest != saved.secretsDigest {
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
        return problems
    }

    /// A plan that deletes everything the manifests declare and Ballast manages, dependents
    /// first. `preventDestroy` makes it fail; `deletion: orphan` only forgets.
    public func destroyPlan(_ outcome: PlanService.Outcome) -> (plan: Plan?, diagnostics: Diagnostics) {
        var diagnostics = outcome.diagnostics
        guard let desired = outcome.loaded.desired, let observation = outcome.observation else { return (nil, diagnostics) }
        var actions: [PlannedAction] = []
        for resource in desired.resources.reversed() {
            guard let entry = outcome.inventory[resource.id] else { continue }
            if observation.unavailableSites[resource.id.site] != nil { continue }
            let observed = observation.resources[resource.id]
            let reason: ActionReason = resource.policy.deletion == .orphan ? .orphaned : observed == nil ? .vanished : .destroyRequested
            if reason == .destroyRequested && (resource.policy.preventDestroy || entry.preventDestroy) {
                diagnostics.error("\(resource.id) has policy.preventDestroy: destroy refuses to delete it; lift the policy and apply first", at: resource.location)
            }
            actions.append(PlannedAction(id: resource.id, action: .delete, reason: reason, layer: desired.layerCount - 1 - resource.layer, observedRevision: observed?.revision))
        }
        actions.sort { ($0.layer, $0.id) < ($1.layer, $1.id) }
        let plan = Plan(inputs: outcome.plan?.inputs ?? [], inputDigest: outcome.loaded.inputDigest, secretsDigest: outcome.plan?.secretsDigest ?? "", actions: actions, warnings: outcome.plan?.warnings ?? [])
        return (diagnostics.hasErrors ? nil : plan, diagnostics)
    }

    /// The resources whose world differs from what Ballast last applied, with no manifest change.
    public func drift(_ outcome: PlanService.Outcome) -> [PlannedAction] {
        guard let plan = outcome.plan, let desired = outcome.loaded.desired else { return [] }
        let byID = desired.resourcesByID
        return plan.actions.filter { action in
            guard action.action.changesSomething, action.action != .delete, let entry = outcome.inventory[action.id], let resource = byID[action.id] else { return false }
            return entry.specDigest == SpecDigest.digest(resource.spec) && action.reason != .dependencyChanged
        }
    }
}
