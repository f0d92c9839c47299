import BallastCore
import BallastProviders
import BallastState
import Foundation
import Logging

/// Executes exactly the actions of a plan, in dependency order, with bounded parallelism.
///
/// Creates, updates and replaces start once the actions of their dependencies succeeded;
/// deletes start once the deletes of what depended on them finished. Each action writes its
/// intent to the journal before the provider is called and its outcome (with the inventory
/// change) after. Retryable provider errors are retried per ``RetryPolicy``; when an action
/// fails, everything that depends on it is skipped and independent branches go on.
public struct Executor: Sendable {
    public var registry: ProviderRegistry
    public var store: any StateStore
    public var parallelism: Int
    public var retry: RetryPolicy
    public var failpoints: Failpoints
    public var logger: Logger
    /// Uniform numbers in 0..<1 for backoff jitter.
    public var random: @Sendable () -> Double
    public var sleep: @Sendable (Duration) async throws -> Void
    public var now: @Sendable () -> Date
    /// Secret values are taken out of every provider message before it is journaled, recorded,
    /// logged or reported.
    public var redactor: SecretRedactor
    /// The lease this run holds, checked before every provider call.
    public var leaseDeadline: LeaseDeadline
    /// Makes the events that report each outcome, written with it; nil when no event sink is
    /// configured (nothing is written to the outbox).
    public var announcer: EventAnnouncer?

    public init(
        registry: ProviderRegistry, store: any StateStore, parallelism: Int = 10, retry: RetryPolicy = .providerCalls,
        failpoints: Failpoints = Failpoints(), redactor: SecretRedactor = SecretRedactor(), leaseDeadline: LeaseDeadline = LeaseDeadline(), announcer: EventAnnouncer? = nil, logger: Logger,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.registry = registry
        self.store = store
        self.parallelism = max(1, parallelism)
        self.retry = retry
        self.failpoints = failpoints
        self.redactor = redactor
        self.leaseDeadline = leaseDeadline
        self.announcer = announcer
        self.logger = logger
        self.random = random
        self.sleep = sleep
        self.now = now
    }

    public struct Input: Sendable {
        public var plan: Plan
        public var desired: DesiredState
        /// What exists now: the current state for updates, and outputs for references.
        public var observation: Observation
        public var inventory: Inventory
        public var secrets: [ReferenceExpression: String]
        public var runID: String
        /// The source revision (a git commit) the manifests were read at, recorded with each
        /// journal intent; nil for a directory.
        public var revision: String?
        /// The state's plan key: keys the secret part of the digest the inventory records
        /// (``AppliedInput``).
        public var secretsKey: [UInt8]
        /// An approval the run was made under (``JournalIntent/approval``), journaled with
        /// each of its intents.
        public var approval: String?

        public init(plan: Plan, desired: DesiredState, observation: Observation, inventory: Inventory, secrets: [ReferenceExpression: String], runID: String, revision: String? = nil, secretsKey: [UInt8] = [], approval: String? = nil) {
            self.approval = approval
            self.secretsKey = secretsKey
            self.revision = revision
            self.plan = plan
            self.desired = desired
            self.observation = observation
            self.inventory = inventory
            self.secrets = secrets
            self.runID = runID
        }
    }

    public func execute(_ input: Input, progress: any ApplyProgress = SilentProgress()) async -> ApplyReport {
        redactor.learn(input.secrets)
        let actions = input.plan.actions.filter { $0.action.changesSomething }
        guard !actions.isEmpty else { return ApplyReport() }
        let desired = input.desired.resourcesByID
        let schedule = Schedule(actions: actions, desired: desired, inventory: input.inventory)
        var remaining = schedule.prerequisites.map(\.count)
        var ready = actions.indices.filter { remaining[$0] == 0 }
        // Outputs of the actions applied in this run (nil: applied and left none), over what
        // agents reported, over what was observed. Observed outputs are kept as text and read
        // only for the dependencies of an action, never all of them up front.
        var produced: [ResourceID: Fields?] = [:]
        func outputs(of id: ResourceID) -> Fields? {
            if let applied = produced[id] { return applied }
            return input.observation.reportedOutputs[id] ?? input.observation.resources[id]?.outputs
        }
        var report = ApplyReport()
        var finished = Set<Int>()
        var running = 0
        let total = actions.count
        // Once a write finds the lease lost, nothing more is started and nothing more is
        // written: the rest is reported skipped, and the run that took over decides it.
        var leaseLost = false

        await withTaskGroup(of: (Int, ActionResult, Fields?).self) { group in
            func launch() {
                while running < parallelism, !ready.isEmpty, !leaseLost {
                    let index = ready.removeFirst()
                    let action = actions[index]
                    // Only the outputs this action's references can use: copying the whole
                    // dictionary per task would make every later write copy it again.
                    var known: [ResourceID: Fields] = [:]
                    for dependency in desired[action.id]?.dependencies ?? [] { known[dependency] = outputs(of: dependency) }
                    running += 1
                    progress.started(action.id, action: action.action, completed: finished.count, running: running, total: total)
                    group.addTask {
                        await run(index, action, input: input, resource: desired[action.id], outputs: known)
                    }
                }
            }
            launch()
            while let (index, result, applied) = await group.next() {
                running -= 1
                finished.insert(index)
                report.results.append(result)
                progress.finished(result, completed: finished.count, running: running, total: total)
                if case .journal(.leaseLost)? = result.failure { leaseLost = true }
                if result.status == .applied {
                    produced[actions[index].id] = .some(applied)
                    for dependent in schedule.dependents[index] {
                        remaining[dependent] -= 1
                        if remaining[dependent] == 0 { ready.append(dependent) }
                    }
                } else {
                    // Skip everything downstream that has not started.
                    for skipped in schedule.downstream(of: index) where !finished.contains(skipped) {
                        finished.insert(skipped)
                        ready.removeAll { $0 == skipped }
                        let skippedResult = ActionResult(id: actions[skipped].id, action: actions[skipped].action, status: .skipped, skipCause: .dependencyFailed(actions[index].id))
                        if !leaseLost {
                            await journalSkip(actions[skipped], input: input, resource: desired[actions[skipped].id], blockedBy: actions[index].id)
                        }
                        report.results.append(skippedResult)
                        progress.finished(skippedResult, completed: finished.count, running: running, total: total)
                    }
                }
                ready.sort()
                launch()
            }
        }
        if leaseLost {
            for index in actions.indices where !finished.contains(index) {
                let skipped = ActionResult(id: actions[index].id, action: actions[index].action, status: .skipped, skipCause: .leaseLost)
                report.results.append(skipped)
                progress.finished(skipped, completed: report.results.count, running: 0, total: total)
            }
        }
        return report
    }

    // MARK: One action

    private func run(_ index: Int, _ planned: PlannedAction, input: Input, resource: DesiredResource?, outputs: [ResourceID: Fields]) async -> (Int, ActionResult, Fields?) {
        let clock = ContinuousClock()
        let started = clock.now
        let id = planned.id
        func result(_ status: ActionResult.Status, attempts: Int, failure: ActionFailure? = nil) -> ActionResult {
            ActionResult(id: id, action: planned.action, status: status, attempts: attempts, duration: clock.now - started, failure: failure)
        }
        func journalFailure(_ error: any Error) -> ActionFailure {
            .journal(error as? StoreError ?? .unavailable(path: "state", reason: "\(error)"))
        }
        let existing = input.inventory[id]
        let spec = resource?.spec ?? existing?.spec ?? Fields()
        failpoints.reach("before-intent")
        let sequence: Int64
        let intent = JournalIntent(runID: input.runID, id: id, action: planned.action, spec: spec, specDigest: resource.map { AppliedInput.digest($0, secrets: input.secrets, key: input.secretsKey) } ?? SpecDigest.digest(spec), at: now(), revision: input.revision, approval: input.approval)
        do {
            sequence = try await store.recordIntent(intent)
        } catch {
            return (index, result(.failed, attempts: 0, failure: journalFailure(error)), nil)
        }
        failpoints.reach("after-intent")
        // Epochs fence the state, not the providers: a run whose lease may have lapsed (it was
        // paused, or could not renew) starts no provider call. The intent stays open; the next
        // run that holds the lease recovers it.
        guard leaseDeadline.allowsCall(site: id.site) else {
            return (index, result(.failed, attempts: 0, failure: journalFailure(StoreError.unavailable(path: "state", reason: "the lease on the state (or on site \(id.site)) is about to expire or was lost; no provider call was started"))), nil)
        }

        var outcome = await perform(planned, input: input, resource: resource, outputs: outputs)
        // Text from outside (the provider's or plugin's message) may echo a secret it was sent.
        if case .failure(var error) = outcome.result {
            error.message = redactor.redact(error.message)
            outcome.result = .failure(error)
        }
        if outcome.calledProvider {
            failpoints.reach("after-provider")
            failpoints.reach("after-provider-\(Self.verb(planned.action))")
        }
        let change: InventoryChange
        let status: JournalOutcome.Status
        switch outcome.result {
        case .success(let observed):
            status = .succeeded
            if planned.action == .delete {
                change = .remove(id)
            } else if let resource, let observed {
                change = .upsert(InventoryEntry(
                    id: id, spec: resource.spec, specDigest: AppliedInput.digest(resource, secrets: input.secrets, key: input.secretsKey), outputs: observed.outputs, status: .ready,
                    generation: (existing?.generation ?? 0) + 1, dependencies: resource.dependencies,
                    preventDestroy: resource.policy.preventDestroy, deletion: resource.policy.deletion, prune: resource.policy.prune,
                    createdAt: planned.action == .update ? (existing?.createdAt ?? now()) : now(), updatedAt: now(),
                    standsInFor: resource.standsInFor, labels: resource.labels,
                    manifest: ManifestScope.recorded(resource, fromGit: input.revision != nil, previous: existing?.manifest)))
            } else {
                change = .none
            }
        case .failure(let error):
            status = .failed
            if var entry = existing {
                entry.status = .failed
                entry.lastError = error.description
                entry.updatedAt = now()
                change = .upsert(entry)
            } else {
                change = .none
            }
        }
        let errorText: String? = if case .failure(let error) = outcome.result { error.description } else { nil }
        let observed: Observed? = if case .success(let value) = outcome.result { value } else { nil }
        do {
            try await store.recordOutcome(JournalOutcome(intentSequence: sequence, status: status, attempts: outcome.attempts, error: errorText, outputs: observed?.outputs, at: now()), of: intent, planned: planned, change: change, announcer: announcer)
        } catch {
            return (index, result(.failed, attempts: outcome.attempts, failure: journalFailure(error)), nil)
        }
        failpoints.reach("after-outcome")
        if case .failure(let error) = outcome.result {
            logger.warning("action failed", metadata: ["id": "\(id)", "action": "\(planned.action.rawValue)", "error": "\(error.description)"])
            return (index, result(.failed, attempts: outcome.attempts, failure: .provider(error)), nil)
        }
        return (index, result(.applied, attempts: outcome.attempts), observed?.outputs)
    }

    static func verb(_ action: Action) -> String {
        switch action {
        case .create, .replace: "create"
        case .update: "update"
        case .delete, .noop: "delete"
        }
    }

    private struct Performed {
        var result: Result<Observed?, ProviderError>
        var attempts: Int
        var calledProvider: Bool
    }

    /// The provider calls of one action, each retried.
    private func perform(_ planned: PlannedAction, input: Input, resource: DesiredResource?, outputs: [ResourceID: Fields]) async -> Performed {
        let id = planned.id
        guard let site = input.desired.sites[id.site] else {
            return Performed(result: .failure(ProviderError(.invalid, "site '\(id.site)' is not declared", id: id)), attempts: 0, calledProvider: false)
        }
        guard let provider = registry.provider(named: site.provider) else {
            return Performed(result: .failure(ProviderError(.unavailable, "provider '\(site.provider)' is not available", id: id)), attempts: 0, calledProvider: false)
        }
        if planned.action == .delete {
            if planned.reason == .orphaned { return Performed(result: .success(nil), attempts: 0, calledProvider: false) }
            let (result, attempts) = await withRetries { () async throws(ProviderError) in try await provider.delete(id, site: site) }
            return Performed(result: result.map { nil }, attempts: attempts, calledProvider: true)
        }
        guard let resource else {
            return Performed(result: .failure(ProviderError(.invalid, "\(id) is not declared", id: id)), attempts: 0, calledProvider: false)
        }
        // Outputs known only now are checked against their fields' types before the call.
        let schema = provider.schema().kind(id.kind)
        let (spec, unknown, problems) = SpecResolver(secrets: input.secrets).resolve(resource, schema: schema) { outputs[$0] }
        if !unknown.isEmpty {
            return Performed(result: .failure(ProviderError(.invalid, "references in \(unknown.sorted().joined(separator: ", ")) have no value (the output does not exist)", id: id)), attempts: 0, calledProvider: false)
        }
        if !problems.isEmpty {
            return Performed(result: .failure(ProviderError(.invalid, problems.map(\.message).joined(separator: "; "), id: id)), attempts: 0, calledProvider: false)
        }
        let resolved = ResolvedResource(id: id, spec: spec, labels: resource.labels)
        switch planned.action {
        case .update:
            guard let current = input.observation.resources[id] else {
                return Performed(result: .failure(ProviderError(.notFound, "\(id) vanished before it could be updated", id: id)), attempts: 0, calledProvider: false)
            }
            // Ignored fields keep what the world has: the plan did not show them changing.
            let update = ResolvedResource(id: id, spec: resource.policy.keepingIgnored(spec, observed: current.spec), labels: resource.labels)
            let (result, attempts) = await withRetries { () async throws(ProviderError) in try await provider.update(update, current: current, site: site) }
            return Performed(result: result.map { $0 }, attempts: attempts, calledProvider: true)
        case .replace:
            let (deleted, deleteAttempts) = await withRetries { () async throws(ProviderError) in try await provider.delete(id, site: site) }
            if case .failure(let error) = deleted { return Performed(result: .failure(error), attempts: deleteAttempts, calledProvider: true) }
            let (created, createAttempts) = await withRetries { () async throws(ProviderError) in try await provider.create(resolved, site: site) }
            return Performed(result: created.map { $0 }, attempts: deleteAttempts + createAttempts, calledProvider: true)
        default:
            let (created, attempts) = await withRetries { () async throws(ProviderError) in try await provider.create(resolved, site: site) }
            return Performed(result: created.map { $0 }, attempts: attempts, calledProvider: true)
        }
    }

    /// Runs `body` per the executor's ``RetryPolicy``.
    func withRetries<T: Sendable>(_ body: () async throws(ProviderError) -> T) async -> (Result<T, ProviderError>, Int) {
        let (result, attempts) = await retry.run(sleep: sleep, random: random, body)
        return (result, attempts)
    }

    private func journalSkip(_ planned: PlannedAction, input: Input, resource: DesiredResource?, blockedBy: ResourceID) async {
        let spec = resource?.spec ?? input.inventory[planned.id]?.spec ?? Fields()
        do {
            let intent = JournalIntent(runID: input.runID, id: planned.id, action: planned.action, spec: spec, specDigest: SpecDigest.digest(spec), at: now(), revision: input.revision, approval: input.approval)
            let sequence = try await store.recordIntent(intent)
            try await store.recordOutcome(JournalOutcome(intentSequence: sequence, status: .skipped, attempts: 0, error: "skipped: \(blockedBy) failed", at: now()), of: intent, planned: planned, change: .none, announcer: announcer)
        } catch {
            logger.error("could not journal a skipped action", metadata: ["id": "\(planned.id)", "error": "\(error)"])
        }
    }
}

/// The order constraints between the actions of one plan.
struct Schedule {
    /// prerequisites[i]: the actions that must succeed before action i starts.
    var prerequisites: [[Int]]
    /// dependents[i]: the actions waiting for action i.
    var dependents: [[Int]]

    init(actions: [PlannedAction], desired: ResourcesByID, inventory: Inventory) {
        var index: [ResourceID: Int] = [:]
        for (offset, action) in actions.enumerated() { index[action.id] = offset }
        prerequisites = Array(repeating: [], count: actions.count)
        dependents = Array(repeating: [], count: actions.count)
        for (offset, action) in actions.enumerated() {
            if action.action == .delete {
                // Delete what depends on this resource first (dependencies as last applied).
                for (other, otherAction) in actions.enumerated() where otherAction.action == .delete && other != offset {
                    if inventory[otherAction.id]?.dependencies.contains(action.id) == true { add(other, before: offset) }
                }
            } else {
                for dependency in desired[action.id]?.dependencies ?? [] {
                    if let other = index[dependency], actions[other].action != .delete { add(other, before: offset) }
                }
            }
        }
    }

    private mutating func add(_ first: Int, before second: Int) {
        prerequisites[second].append(first)
        dependents[first].append(second)
    }

    /// Every action that waits, directly or not, on action `index`.
    func downstream(of index: Int) -> [Int] {
        var seen = Set<Int>()
        var pending = dependents[index]
        while let next = pending.popLast() {
            if seen.insert(next).inserted { pending.append(contentsOf: dependents[next]) }
        }
        return seen.sorted()
    }
}
