import BallastCore
import BallastProviders
import BallastState
import Foundation
import Logging

/// Watch mode's level-triggered controller: keeps the estate converged after start-up.
///
/// A work queue holds resource ids (deduplicated, one worker per id, per-id backoff, a global
/// rate limit). Workers reconcile one id at a time through the ``Reconciler``. Ids are enqueued
/// by manifest edits (only the resources that changed), provider change streams, a periodic
/// resync, and requests from outside (``enqueue(_:)``). Each site has a circuit breaker: a site
/// in outage gets only half-open probes, the others carry on, and its resources are resynced
/// when it comes back. An edit that does not validate is reported and the last good manifests
/// stay in force.
public actor WatchController {
    /// What a reconcile request names.
    public enum Scope: Sendable, Hashable {
        case all
        case site(String)
        case resource(ResourceID)
    }

    public enum ScopeError: Error, Sendable, Hashable, CustomStringConvertible {
        case unknownSite(String)
        case unknownResource(ResourceID)

        public var description: String {
            switch self {
            case .unknownSite(let name): "no site named '\(name)' is declared"
            case .unknownResource(let id): "\(id) is neither declared nor managed"
            }
        }
    }

    /// Where the manifests come from and how changes are noticed.
    public nonisolated let source: any ManifestSource
    let planner: PlanService
    let applier: ApplyService
    private let reconciler: Reconciler
    let configuration: WatchConfiguration
    let metrics: WatchMetrics
    let logger: Logger
    private let queue: WorkQueue<ResourceID>
    let clock: any ControllerClock
    /// This process's membership among watch replicas sharing a PostgreSQL state; nil for the
    /// one daemon of a state, which acts on every site.
    public nonisolated let replicas: ReplicaMembership?
    /// Pull sites' agents: their desired states, long-polls and reports.
    public nonisolated let agents: AgentHub
    /// What each pull site's agent last said, as ``agents`` knows it (for the sync status).
    var agentStates: [String: AgentHub.AgentState] = [:]
    /// Outputs pull sites' agents reported, for references from other sites.
    var agentOutputs: [ResourceID: Fields] = [:]
    /// Pull sites whose agents are stale now.
    var staleSites = Set<String>()
    /// The declared resources of each pull site, sorted.
    var pullSiteIDs: [String: [ResourceID]] = [:]
    /// What the agent metrics last said, per pull site.
    var exportedAgents: [String: AgentExport] = [:]
    /// When this controller started: a pull site with no report since is stale after a while.
    let startedAt = Date()

    var desired: Reconciler.Desired?
    /// Per resource, the drifts found since start-up, newest last (at most ``DriftRecord/limit``).
    /// The kinds and label keys the manifests in force use, sorted (for the console's filters).
    var desiredKinds: [String] = []
    var desiredLabelKeys: [String] = []
    /// What each blocking budget held back, as last announced (`dev.ballast.budget.held`).
    var announcedBudgetHolds: [String: Set<ResourceID>] = [:]
    /// The monthly cost of each site's declared resources, per currency (empty without price books).
    var siteCosts: [String: [CostReport.Row]] = [:]
    /// The manifests as last loaded; nil forces the next poll to load them again.
    var fingerprint: ManifestFingerprint?
    /// Given when the manifests in force must be validated again without changing (a pull
    /// site's agent reported the schema of a plugin the hub does not have).
    let revalidation = WakeSignal()
    var table = StatusTable()
    private var sites: SiteBreakers
    var managed = ManagedResources()
    var manifestReport: ManifestReport?
    private var triggeredAt: [ResourceID: ContinuousClock.Instant] = [:]
    private var bucket: TokenBucket
    private var feeds: [String: (site: Site, task: Task<Void, Never>)] = [:]
    private var probes: [String: Task<Void, Never>] = [:]
    var started = false
    var stopping = false
    var gate: PruneGate
    /// A replica's lease round is running, and another was asked for meanwhile.
    var roundRunning = false
    var roundAgain = false
    /// Reconciles under way, per site: a replica gives a site up only once it has none.
    var inFlight: [String: Int] = [:]
    private var pruneCheck: Task<Void, Never>?
    /// When the files were last found unchanged since they were loaded, for the prunes in flight.
    var sourceCheckedAt: ContinuousClock.Instant?
    /// Syncing is suspended (`POST /v1/suspend`): manifest changes wait, healing goes on. The
    /// state's record, as this process last read or wrote it.
    var suspension: SyncSuspension?
    var suspended: Bool { suspension != nil }
    var suspensionReadInFlight = false
    var resumeWaiters: [CheckedContinuation<Void, Never>] = []
    /// When sites went down or came back, for failover.
    var availability = SiteAvailabilityClock()
    /// Asks the chooser again when an outage or a recovery will have lasted long enough.
    var failoverRecheck: Task<Void, Never>?
    /// Instances on a failed site that could not move, and why (condition `FailoverImpossible`).
    var failoverImpossible: [ResourceID: String] = [:]
    /// The manifests in force before placement chose among their candidates: chosen again when
    /// sites go down or come back, without reading the files (so also while suspended).
    var placementBase: PlacementBase?
    /// Given when placements must be chosen again (a site's health changed, a timer ran out).
    let placementSignal = WakeSignal()
    /// Counts the manifests put in force from files: a re-choice of placements begun on older
    /// ones is dropped.
    var placementGeneration = 0

    /// `clock` drives every timer of the controller and its queue: the resync, the manifest poll,
    /// breakers and probes, the prune delay, backoff and the rate limit.
    public init(
        paths: [String], applier: ApplyService, configuration: WatchConfiguration, metrics: WatchMetrics, clock: any ControllerClock = SystemControllerClock(),
        source: (any ManifestSource)? = nil, replicas: ReplicaMembership? = nil, logger: Logger
    ) {
        // Watch mode times outages itself: a site found down while starting has been down for
        // no time yet, and fails over only once it stays down for `failoverAfter`.
        var applier = applier
        applier.planner.plannedOutageAge = .zero
        self.clock = clock
        self.replicas = replicas
        self.source = source ?? DirectoryManifestSource(
            paths: paths, interval: configuration.manifestPollInterval, settle: configuration.manifestSettle, verifyInterval: configuration.manifestVerifyInterval,
            notify: configuration.manifestNotify, clock: clock, logger: logger)
        self.planner = applier.planner
        self.applier = applier
        self.reconciler = Reconciler(registry: applier.planner.registry, store: applier.store, executor: applier.executor, secretsKey: applier.planner.planKey, logger: logger)
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        self.queue = WorkQueue(backoff: configuration.backoff, clock: clock)
        self.bucket = TokenBucket(rate: configuration.rateLimit, burst: configuration.rateBurst, now: clock.now)
        self.sites = SiteBreakers(threshold: configuration.breakerThreshold, cooldown: configuration.breakerCooldown)
        self.gate = PruneGate(budget: configuration.deletionBudget, pruneDelay: configuration.pruneDelay, preApproved: configuration.approvedDeletions)
        self.agents = AgentHub(store: applier.store, key: applier.planner.planKey, configuration: configuration.agents, logger: logger)
    }

    // MARK: Start-up

    /// What start-up did, for the daemon to print.
    public struct StartupReport: Sendable {
        public var loaded: LoadedManifests
        public var diagnostics: Diagnostics
        /// What start-up did: the plan without its prunes, which wait for the prune delay and
        /// the deletion budget like any later removal.
        public var plan: Plan?
        public var report: ApplyReport?
        public var recovery: Recovery.Report?
        /// The prunes the plan had, left to the prune gate.
        public var deferredPrunes: Int = 0
        /// The source revision started from (git).
        public var revision: SourceRevision?
    }

    /// Loads, plans and applies, as `apply --auto-approve` does. Returns nil plan when the
    /// manifests or the plan have errors: the daemon must not start then.
    public func start() async throws -> StartupReport {
        // Suspended before a restart: still suspended (a git source starts from the commit in
        // force; a newer one waits for the resume).
        adoptSuspension(try await applier.store.syncSuspension())
        if replicas != nil { return try await startAsReplica() }
        // Taken before reading: a file changed while start-up plans and applies must be seen
        // as a change afterwards, not taken as what was loaded.
        let beforeLoading = try await source.initial()
        let (outcome, recovery) = try await applier.prepare(source.paths(for: beforeLoading), revision: beforeLoading.revision?.commit)
        let loaded = outcome.loaded
        guard let state = loaded.desired else {
            return StartupReport(loaded: loaded, diagnostics: outcome.diagnostics)
        }
        guard let plan = outcome.plan else {
            return StartupReport(loaded: loaded, diagnostics: outcome.diagnostics, recovery: recovery)
        }
        // Pruning goes through the gate like any later removal: it waits for the prune delay
        // and the deletion budget, so a daemon started on a half-checked-out tree deletes nothing.
        var immediate = plan
        immediate.actions.removeAll { $0.action == .delete && $0.reason == .notDeclared }
        immediate.massDeletion = nil
        var desired = Reconciler.Desired(state, secrets: outcome.secrets, revision: beforeLoading.revision, loadedFrom: source.paths(for: beforeLoading))
        // What would take a blocking budget over its limit waits, weighed against what was
        // last applied; the rest is applied now, and the holds stand in for the plan's gate.
        desired.holdOverBudget(inForce: { outcome.inventory.mapValues(\.spec) }, inForceLabels: { outcome.inventory[$0]?.labels }, previous: nil, catalog: planner.registry.catalog)
        immediate.actions.removeAll { desired.overBudget[$0.id] != nil }
        immediate.budgets = []
        var startup = outcome
        startup.plan = immediate
        var report = ApplyReport()
        if immediate.hasChanges {
            report = try await applier.execute(immediate, outcome: startup, progress: SilentProgress())
        } else {
            do {
                try await applier.recordUntouched(immediate, outcome: startup)
            } catch {
                logger.warning("could not record the policies and manifest files of the resources; the next apply records them", metadata: ["error": "\(error)"])
            }
        }
        // Read again only when start-up changed it: planning read it a moment ago.
        let inventory = immediate.hasChanges ? try await applier.store.inventory() : outcome.inventory
        managed.reset(to: inventory.keys)
        desired.managedDependents = Self.dependents(inventory)
        adopt(desired, loaded: loaded)
        for site in (outcome.observation?.unavailableSites.keys).map(Array.init) ?? [] { availability.wentDown(site, at: clock.now) }
        await failoverDecided(state.failover)
        // What the agents reported before this start (stored): references to their outputs
        // resolve at once, not after their next heartbeat.
        agentOutputs = outcome.observation?.reportedOutputs ?? [:]
        await publishToAgents(inventory: inventory)
        source.adopted(beforeLoading)
        await announce { $0.source(revision: beforeLoading.revision, held: false, resources: desired.byID.count, at: Date()) }
        if source.fingerprint(extraFiles: []) != beforeLoading { fingerprint = nil }
        await seedDeletionWindow()
        await recordStartup(plan: immediate, report: report)
        releaseMemoryLater()
        for id in desired.overBudget.keys.sorted() { await enqueue(id) }
        if !undeclaredManaged().isEmpty {
            gate.manifestsChanged(at: clock.now)
            schedulePruneCheck(after: configuration.pruneDelay)
        }
        started = true
        return StartupReport(
            loaded: loaded, diagnostics: outcome.diagnostics, plan: immediate, report: report, recovery: recovery,
            deferredPrunes: plan.actions.count - immediate.actions.count, revision: beforeLoading.revision)
    }

    /// Conditions from the start-up plan and apply; what did not converge is queued.
    private func recordStartup(plan: Plan, report: ApplyReport) async {
        let results = Dictionary(report.results.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        let now = Date()
        for action in plan.actions {
            let outcome: Reconciler.Outcome
            if !action.action.changesSomething {
                outcome = .upToDate
            } else if let result = results[action.id] {
                switch result.status {
                case .applied: outcome = .applied(action.action, reason: action.reason)
                case .failed: outcome = .failed(action.action, message: result.error ?? "failed", retryable: result.retryable)
                case .skipped: outcome = .failed(action.action, message: "skipped: \(result.skipReason ?? "")", retryable: true)
                }
            } else {
                outcome = .failed(action.action, message: "not attempted", retryable: true)
            }
            await settle(action.id, outcome, at: now, startup: true)
        }
        for drift in plan.drift { await settle(drift.id, .reported(drift.changes, missing: drift.missing), at: now, startup: true) }
        for unknown in plan.unknown { await settle(unknown.id, .siteUnavailable(unknown.reason), at: now, startup: true) }
    }

    // MARK: Running

    /// Runs the workers, the manifest poller, the resync timer and the provider change streams
    /// until ``stop()``. In-flight reconciles finish before this returns.
    public func run() async {
        precondition(started, "start() first")
        // Placements chosen at start-up are chosen again from what the files declare, which
        // keeps them to choose again when sites go down or come back.
        if failsOver && placementBase == nil { revalidation.signal() }
        let background = Task { await self.runBackground() }
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<max(1, configuration.workers) {
                group.addTask { await self.work() }
            }
        }
        background.cancel()
        await background.value
        // In-flight reconciles have finished: give the sites to the other replicas at once.
        await replicas?.leave()
        for (_, feed) in feeds { feed.task.cancel() }
        feeds.removeAll()
        for (_, probe) in probes { probe.cancel() }
        probes.removeAll()
        pruneCheck?.cancel()
        pruneCheck = nil
        failoverRecheck?.cancel()
        failoverRecheck = nil
    }

    /// Stops taking work: workers finish what they hold, then ``run()`` returns.
    public func stop() async {
        stopping = true
        releaseResumeWaiters()
        await agents.close()
        await queue.shutDown()
    }

    private nonisolated func runBackground() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.followManifests() }
            group.addTask { await self.followPlacement() }
            group.addTask { await self.resyncPeriodically() }
            group.addTask { await self.watchAgentStaleness() }
            if let replicas = self.replicas {
                group.addTask { await self.followReplicas(replicas) }
                group.addTask { await self.followReplicaHints() }
            }
        }
    }

    private nonisolated func work() async {
        while let id = await queue.next() {
            await reconcile(id)
            await queue.done(id)
        }
    }

    private func reconcile(_ id: ResourceID) async {
        guard desired != nil, actsOn(id.site) else { return }
        inFlight[id.site, default: 0] += 1
        defer { inFlight[id.site] = inFlight[id.site].map { $0 - 1 }.flatMap { $0 > 0 ? $0 : nil } }
        guard sites.admit(id, at: clock.now) else { return }
        let wait = bucket.reserve(at: clock.now)
        if wait > .zero { try? await clock.sleep(for: wait) }
        // Read after the wait: a reload meanwhile may declare the resource again, and the site
        // may have gone to another replica.
        guard let desired, actsOn(id.site) else { return }
        let start = clock.now
        let outcome: Reconciler.Outcome
        do {
            if desired.byID[id] == nil, desired.admittedPrunes.contains(id), !sourceUnchangedForPruning() {
                outcome = Reconciler.outcome(of: .sourceUnsettled, id: id)
            } else {
                outcome = try await reconciler.reconcile(id, desired: desired, reportedOutputs: agentOutputs)
            }
        } catch {
            outcome = .failed(.noop, message: "\(error)", retryable: (error as? StoreError)?.isRetryable ?? true)
        }
        metrics.reconciled(result: Self.result(outcome), duration: clock.now - start)
        await settle(id, outcome, at: Date())
        logger.debug("reconciled", metadata: ["id": "\(id)", "outcome": "\(outcome)", "elapsed": "\(clock.now - start)"])
    }

    /// Records an outcome: conditions (``ResourceStatus/record(_:observeOnly:at:)``), metrics,
    /// the site's breaker, and what to queue next.
    private func settle(_ id: ResourceID, _ outcome: Reconciler.Outcome, at now: Date, startup: Bool = false) async {
        let declared = desired?.byID[id] != nil
        let previouslyDrifted = table[id]?.holds(.drifted) ?? false
        let observeOnly = desired?.byID[id]?.policy.management == .observe
        var siteReason: String?
        switch outcome {
        case .applied(.delete, _), .unknown:
            table.remove(id)
            if case .applied(.delete, _) = outcome { try? await applier.store.forgetDrifts(of: id) }
        default:
            let revision = desired?.revision?.commit
            let cannotMove = failoverImpossible[id]
            table.update(id, declared: declared, at: now) { status in
                status.record(outcome, observeOnly: observeOnly, at: now)
                status.revision = revision
                if let cannotMove { status.set(.ready, false, reason: .failoverImpossible, message: cannotMove, at: now) }
            }
        }
        switch outcome {
        case .upToDate, .refused, .held, .unknown, .awaitingOutputs, .overBudget:
            if case .refused(let message) = outcome { logger.warning("reconcile refused", metadata: ["id": "\(id)", "error": "\(message)"]) }
            await succeeded(id)
        case .applied(let action, let reason):
            if action == .delete {
                if reason == .notDeclared { gate.recordDeletion(at: clock.now) }
                managed.remove(id)
                logger.info("pruned", metadata: ["id": "\(id)", "reason": "\(reason.rawValue)"])
            } else {
                managed.insert(id)
                if ResourceStatus.heals(reason) && !startup {
                    if !previouslyDrifted { metrics.driftDetected() }
                    // Healed when the action is: keeping it in the history is not part of it.
                    metrics.healed(after: triggeredAt[id].map { clock.now - $0 })
                    logger.info("healed", metadata: ["id": "\(id)", "action": "\(action.rawValue)", "reason": "\(reason.rawValue)"])
                    await recordDrift(id, DriftRecord(at: now, fields: [], missing: reason == .vanished, outcome: .healed(action)))
                }
                // At start-up the apply took dependents after what they depend on, in the same
                // plan: queuing them again would reconcile thousands of resources for nothing.
                if !startup { for dependent in desired?.dependents[id] ?? [] { await enqueue(dependent) } }
            }
            await succeeded(id)
        case .failed(_, let message, let retryable):
            logger.warning("reconcile failed", metadata: ["id": "\(id)", "error": "\(message)", "retryable": "\(retryable)"])
            await retryLater(id)
        case .reported(let changes, let missing):
            if !previouslyDrifted && !startup {
                await recordDrift(id, DriftRecord(at: now, fields: changes.map(\.path).sorted(), missing: missing, outcome: .reported))
                metrics.driftDetected()
                logger.warning("drift reported, not reverted", metadata: ["id": "\(id)", "drift": "\(ResourceStatus.driftMessage(changes, missing: missing))"])
                await announce { $0.drifted(id, changes: changes, missing: missing, at: now) }
            }
            await succeeded(id)
        case .siteUnavailable(let reason):
            siteReason = reason
            await siteFailed(id, reason: reason, at: now)
        case .waiting:
            await retryLater(id)
        }
        if siteReason == nil, let parked = sites.recordSuccess(site: id.site, date: now) {
            await siteRecovered(id.site, parked: parked)
        }
        metrics.resources(table.counts)
    }

    /// Keeps the drift in `id`'s history, in the state. A write that fails loses that record
    /// only (logged): the heal it reports has happened either way.
    private func recordDrift(_ id: ResourceID, _ record: DriftRecord) async {
        do {
            try await applier.store.recordDrift(record, of: id, keep: DriftRecord.limit)
        } catch {
            logger.warning("could not keep a drift in the resource's history", metadata: ["id": "\(id)", "error": "\(error)"])
        }
    }

    /// The drifts found on `id` (its last ``DriftRecord/limit``), oldest first, as the state
    /// keeps them; empty when the state cannot be read.
    public func driftHistory(of id: ResourceID) async -> [DriftRecord] {
        (try? await applier.store.drifts(of: id)) ?? []
    }

    private func succeeded(_ id: ResourceID) async {
        triggeredAt[id] = nil
        await queue.forget(id)
    }

    private func retryLater(_ id: ResourceID) async {
        await queue.addFailed(id)
    }

    private func siteFailed(_ id: ResourceID, reason: String, at now: Date) async {
        guard let failure = sites.recordFailure(id, reason: reason, at: clock.now, date: now) else { return }
        if failure.wentDown {
            siteAvailabilityChanged(id.site, up: false)
            metrics.site(id.site, up: false)
            logger.warning("site down: circuit open", metadata: ["site": "\(id.site)", "reason": "\(reason)"])
            await announce { $0.site(id.site, up: false, reason: planner.redactor.redact(reason), at: now) }
        }
        if failure.retryAfterBackoff {
            await retryLater(id)
        } else if let probeAt = failure.probeAt {
            scheduleProbe(id.site, at: probeAt)
        }
    }

    /// After a success on a site whose circuit just closed: everything on it is resynced.
    private func siteRecovered(_ name: String, parked: [ResourceID]) async {
        siteAvailabilityChanged(name, up: true)
        metrics.site(name, up: true)
        logger.info("site up: circuit closed; resyncing its resources", metadata: ["site": "\(name)"])
        await announce { $0.site(name, up: true, reason: nil, at: Date()) }
        probes[name]?.cancel()
        probes[name] = nil
        for id in parked { await enqueue(id) }
        _ = try? await enqueueLocally(.site(name))
    }

    /// Sends one parked id through when the open circuit lets a probe by.
    private func scheduleProbe(_ name: String, at until: ContinuousClock.Instant) {
        probes[name]?.cancel()
        probes[name] = Task { [clock] in
            try? await clock.sleep(until: until)
            guard !Task.isCancelled else { return }
            await self.probe(name)
        }
    }

    private func probe(_ name: String) async {
        probes[name] = nil
        guard !stopping else { return }
        let fallback = desired?.state.resources.first(where: { $0.id.site == name })?.id
        guard let id = sites.probeCandidate(site: name, fallback: fallback) else { return }
        await queue.add(id)
    }

    // MARK: Pruning

    /// Managed resources the manifests in force no longer declare.
    func undeclaredManaged() -> [ResourceID] {
        guard let desired else { return [] }
        return managed.undeclared.filter { !desired.byID.contains($0) }.sorted()
    }

    func schedulePruneCheck(after delay: Duration) {
        pruneCheck?.cancel()
        pruneCheck = Task { [clock] in
            try? await clock.sleep(for: delay)
            guard !Task.isCancelled else { return }
            await self.considerPruning()
        }
    }

    /// Admits the removals once the manifests have settled and the budget allows them; holds
    /// them for an approval when it does not.
    private func considerPruning() async {
        pruneCheck = nil
        // With replicas, the leader alone weighs removals against the one budget; the owners of
        // the sites carry out what it admits.
        guard !stopping, desired != nil, decidesPrunes else { return }
        // Suspended: removals wait with every other change, and are weighed again on resume.
        guard !suspended else { return }
        // The files moved since they were loaded (a reload is on its way, however slow): what
        // looks removed may be half written. The delay starts again.
        if fingerprintNow() != fingerprint {
            gate.manifestsChanged(at: clock.now)
            schedulePruneCheck(after: configuration.pruneDelay)
            return
        }
        if replicas != nil { await refreshManaged() }
        let candidates = undeclaredManaged()
        guard !candidates.isEmpty else { return }
        let inventory: Inventory
        do {
            inventory = try await applier.store.inventory()
        } catch {
            logger.warning("could not read the inventory to prune; trying again", metadata: ["error": "\(error)"])
            schedulePruneCheck(after: configuration.pruneDelay)
            return
        }
        // What would really be deleted (not merely forgotten) counts against the budget.
        let deleting = candidates.filter { id in
            guard let entry = inventory[id] else { return false }
            return DeletionRule.decide(.init(
                id: id, request: .prune, recorded: entry.recordedPolicy, sites: desired?.state.sites ?? [:], exists: true,
                manifestNotGiven: desired?.leftOut(entry))).deletesInTheWorld
        }
        // Re-read after the inventory read: a reload may have come in meanwhile.
        guard fingerprintNow() == fingerprint, candidates == undeclaredManaged() else {
            schedulePruneCheck(after: .zero)
            return
        }
        // With replicas, the owners carry out the prunes: the journal is what counts, plus what
        // was admitted and is not deleted yet.
        if replicas != nil { await seedDeletionWindow(pending: await admittedNotYetDeleted(inventory, excluding: Set(deleting))) }
        let previouslyHeld = gate.held?.digest
        switch gate.admit(deleting, managed: inventory.count, at: clock.now) {
        case .wait(let remaining):
            schedulePruneCheck(after: remaining)
        case .admit:
            metrics.deletionsHeld(0)
            await admitPrunes(candidates)
        case .hold(let mass):
            metrics.deletionsHeld(mass.ids.count)
            let heldIDs = Set(mass.ids)
            logger.warning("deletions held: over the deletion budget; approve with POST /v1/reconcile {\"approveDeletions\": \"\(mass.digest)\"}", metadata: ["count": "\(mass.ids.count)", "limit": "\(mass.limit)", "digest": "\(mass.digest)"])
            let now = Date()
            if mass.digest != previouslyHeld { await announce { $0.deletionsHeld(mass.ids, limit: mass.limit, digest: mass.digest, at: now) } }
            for id in mass.ids {
                table.update(id, declared: false, at: now) { status in
                    status.set(.synced, false, reason: .deletionHeld, message: "\(mass.message); waiting for approval of \(mass.digest)", at: now)
                }
            }
            // Forgetting what is gone or orphaned deletes nothing: it goes ahead.
            await admitPrunes(candidates.filter { !heldIDs.contains($0) })
        }
    }

    private func admitPrunes(_ ids: [ResourceID]) async {
        guard !ids.isEmpty else { return }
        if replicas != nil {
            guard await publishPruneAdmission(ids) else { return }
        }
        admitLocally(ids)
        for id in ids { await enqueue(id) }
    }

    /// Lets the prunes of `ids` go ahead here, on the manifests in force.
    func admitLocally(_ ids: [ResourceID]) {
        desired?.admittedPrunes.formUnion(ids)
        sourceCheckedAt = clock.now
    }

    /// Whether the files are still those the admitted prunes were weighed on. Checked before
    /// each prune, at most every ``sourceRecheckInterval``: a file put back while prunes are in
    /// flight stops the rest within that time (well before the next reload), and the prune delay
    /// starts again.
    private func sourceUnchangedForPruning() -> Bool {
        if let checked = sourceCheckedAt, clock.now - checked < Self.sourceRecheckInterval { return true }
        guard fingerprintNow() == fingerprint else {
            sourceCheckedAt = nil
            desired?.admittedPrunes.removeAll()
            gate.manifestsChanged(at: clock.now)
            metrics.deletionsHeld(0)
            schedulePruneCheck(after: configuration.pruneDelay)
            return false
        }
        sourceCheckedAt = clock.now
        return true
    }

    static let sourceRecheckInterval: Duration = .milliseconds(200)

    /// Approves the deletions held over the budget, named by their digest, and prunes them.
    /// Refused when the files moved since they were held: the approval names what was undeclared
    /// then, which a file put back may have changed.
    public func approveDeletions(_ digest: String) async throws(PruneGate.ApprovalError) -> Int {
        guard decidesPrunes else { throw .notLeader(leader: await leaderAddress()) }
        if gate.held != nil, fingerprintNow() != fingerprint {
            gate.manifestsChanged(at: clock.now)
            metrics.deletionsHeld(0)
            schedulePruneCheck(after: configuration.pruneDelay)
            throw .manifestsChanged
        }
        let ids = try gate.approve(digest)
        metrics.deletionsHeld(0)
        logger.info("held deletions approved", metadata: ["count": "\(ids.count)", "digest": "\(digest)"])
        await admitPrunes(ids)
        return ids.count
    }

    /// The deletions held for an approval, if any.
    public func heldDeletions() -> MassDeletion? { gate.held }

    /// Prune deletions recorded in the journal within the budget's window count after a restart
    /// (and, with replicas, at every weighing: the owners make them), as do `pending` prunes
    /// admitted and not made yet.
    func seedDeletionWindow(pending: Int = 0) async {
        let window = configuration.deletionBudget.window
        let since = Date().addingTimeInterval(-Double(window.components.seconds))
        // Only deletions: after a large apply the window holds every create too.
        guard let events = try? await applier.store.events(JournalQuery(since: since, action: .delete)) else { return }
        let now = Date()
        let ages = events.compactMap { event -> Duration? in
            guard event.action == .delete, event.outcome?.status == .succeeded, event.runID.hasPrefix("watch-") else { return nil }
            return .seconds(max(0, now.timeIntervalSince(event.startedAt)))
        }
        gate.seed(deletionsAgo: ages + Array(repeating: .zero, count: pending), at: clock.now)
    }

    // MARK: Triggers

    /// Queues ids by scope; throws when the scope names nothing known. Returns how many.
    @discardableResult
    public func enqueue(_ scope: Scope) async throws -> Int {
        let count = try await enqueueLocally(scope)
        // With replicas, the owners of the sites concerned hear of it too.
        await broadcastReconcile(scope)
        return count
    }

    /// Queues the ids in `scope` that this process acts on.
    @discardableResult
    func enqueueLocally(_ scope: Scope) async throws -> Int {
        let ids: [ResourceID]
        switch scope {
        case .all:
            ids = (desired.map { Array($0.byID.keys) } ?? []) + managed.undeclared.filter { desired?.byID.contains($0) != true }
        case .site(let name):
            guard desired?.state.sites[name] != nil else { throw ScopeError.unknownSite(name) }
            ids = (desired?.byID.keys.filter { $0.site == name } ?? []) + managed.undeclared.filter { $0.site == name && desired?.byID.contains($0) != true }
        case .resource(let id):
            guard desired?.byID[id] != nil || managed.contains(id) else { throw ScopeError.unknownResource(id) }
            ids = [id]
        }
        for id in ids.sorted() { await enqueue(id) }
        return ids.count
    }

    func enqueue(_ id: ResourceID) async {
        // A replica queues only what is on its own sites; the owners of the others do the rest.
        // A pull site's agent reconciles its resources.
        guard actsOn(id.site) else { return }
        if triggeredAt[id] == nil { triggeredAt[id] = clock.now }
        await queue.add(id)
    }

    /// A provider pushed a change: queue the id, and let its site probe now if it is down.
    private func changed(_ id: ResourceID) async {
        guard desired?.byID[id] != nil || managed.contains(id) else { return }
        sites.expedite(id, at: clock.now)
        await enqueue(id)
    }

    /// Loads the manifests each time the source reports a settled change, unless suspended.
    private nonisolated func followManifests() async {
        while !Task.isCancelled {
            await untilResumed()
            if await stopping { return }
            let loadedFingerprint = await fingerprint
            let current: ManifestFingerprint
            switch await nextManifests(after: loadedFingerprint) {
            case .stopped: return
            case .changed(let changed): current = changed
            case .revalidate:
                guard let loadedFingerprint else { continue }
                current = loadedFingerprint
            }
            // Suspended meanwhile: the change waits for the resume (and is looked for again then).
            guard await !suspended else { continue }
            await loadAndReload(current)
        }
    }

    private enum ManifestWake: Sendable {
        case changed(ManifestFingerprint)
        case revalidate
        case stopped
    }

    /// The source's next change, or a request to validate the manifests in force again, which
    /// comes through here so that loads never overlap (one older than another never wins).
    private nonisolated func nextManifests(after loaded: ManifestFingerprint?) async -> ManifestWake {
        await withTaskGroup(of: ManifestWake?.self) { group in
            group.addTask {
                guard let changed = await self.source.nextChange(from: loaded, extraFiles: { await self.watchedFiles() }) else { return .stopped }
                return .changed(changed)
            }
            group.addTask { await self.revalidation.wait() ? .revalidate : nil }
            var first: ManifestWake?
            while first == nil, let next = await group.next() {
                first = next
                if next == nil, Task.isCancelled { break }
            }
            group.cancelAll()
            return first ?? .stopped
        }
    }

    /// Loads the manifests of `current`, resolves their secrets, and puts them in force when
    /// they are valid (``reload(_:diagnostics:secrets:fingerprint:)``).
    private nonisolated func loadAndReload(_ current: ManifestFingerprint) async {
        var loaded = planner.load(source.paths(for: current), readStandardInput: { [] })
        var diagnostics = loaded.diagnostics
        var unplaced: LoadedManifests?
        if let state = loaded.desired, !state.countPlacements.isEmpty {
            unplaced = loaded
            // `count` placements keep their instances where they exist now.
            guard let (chosen, problems) = await place(state) else {
                await retryLoadingLater()
                return
            }
            loaded.desired = chosen
            diagnostics.append(contentsOf: problems)
        }
        var secrets: [ReferenceExpression: String] = [:]
        if let state = loaded.desired {
            let resolved = SecretResolver(source: planner.secrets, policy: planner.readPolicy).resolve(state)
            planner.redactor.learn(resolved.secrets)
            secrets = resolved.secrets
            diagnostics.append(contentsOf: resolved.diagnostics)
        }
        await reload(loaded, diagnostics: diagnostics, secrets: secrets, fingerprint: current, unplaced: unplaced)
    }

    /// The files secrets and `source` fields of the manifests in force read: watched too.
    private func watchedFiles() -> [String] {
        desired?.watchedFiles ?? []
    }

    func fingerprintNow() -> ManifestFingerprint {
        source.fingerprint(extraFiles: watchedFiles())
    }

    /// Puts manifests in force. `unplaced`: the same before placement chose (kept to choose
    /// again); `replacing`: only the placement changed, the manifests are those in force.
    func reload(_ loaded: LoadedManifests, diagnostics: Diagnostics, secrets: [ReferenceExpression: String], fingerprint current: ManifestFingerprint, unplaced: LoadedManifests?, replacing: Bool = false) async {
        fingerprint = current
        guard let state = loaded.desired, !diagnostics.hasErrors else {
            let rendered = DiagnosticRenderer(files: loaded.files).render(diagnostics)
            manifestReport = ManifestReport(
                valid: false, at: Date(), inputDigest: manifestReport?.inputDigest ?? "",
                diagnostics: rendered.split(separator: "\n").map(String.init), resources: desired?.byID.count ?? 0,
                revision: desired?.revision, heldRevision: current.revision)
            metrics.manifestReload(valid: false)
            let report = manifestReport
            await announce { $0.source(revision: current.revision, held: true, resources: report?.resources ?? 0, diagnostics: (report?.diagnostics ?? []).map(planner.redactor.redact), at: report?.at ?? Date()) }
            if let held = current.revision {
                logger.error(
                    "the manifests of commit \(held.short) do not validate; it is held and \(desired?.revision.map { "commit \($0.short)" } ?? "the last good revision") stays in force\n\(rendered)",
                    metadata: ["revision": "\(held.commit)"])
            } else {
                logger.error("the manifests changed but do not validate; the last good ones stay in force\n\(rendered)")
            }
            return
        }
        if !replacing {
            placementGeneration += 1
            placementBase = unplaced.map { PlacementBase(loaded: $0, fingerprint: current) }
        }
        var new = Reconciler.Desired(state, secrets: secrets, revision: current.revision, loadedFrom: source.paths(for: current))
        // One inventory read per reload, so pruning never rescans it per resource.
        let inventory = try? await applier.store.inventory()
        new.managedDependents = inventory.map(Self.dependents)
        let previous = desired
        new.holdOverBudget(
            inForce: { previous?.inForceSpecs ?? inventory?.mapValues(\.spec) ?? [:] }, inForceLabels: { inventory?[$0]?.labels },
            previous: previous, catalog: planner.registry.catalog)
        // Other replicas create and delete too: what is managed is what the inventory says.
        if replicas != nil, let inventory { managed.reset(to: inventory.keys) }
        var affected = DesiredChanges.affected(from: desired, to: new)
        // Held or released by a budget, its declaration unchanged (a limit raised, a price changed).
        affected.formUnion(Set((desired?.overBudget ?? [:]).keys).symmetricDifference(new.overBudget.keys))
        adopt(new, loaded: loaded, warnings: diagnostics)
        await publishToAgents(inventory: inventory)
        source.adopted(current)
        // What was held is weighed again after the delay, on what is undeclared now.
        let undeclared = undeclaredManaged()
        if gate.held != nil { metrics.deletionsHeld(0) }
        gate.reloaded(undeclared: Set(undeclared), at: clock.now)
        if undeclared.isEmpty {
            pruneCheck?.cancel()
            pruneCheck = nil
        } else {
            schedulePruneCheck(after: configuration.pruneDelay)
        }
        var metadata: Logger.Metadata = ["resources": "\(new.byID.count)", "affected": "\(affected.count)"]
        if let revision = current.revision { metadata["revision"] = "\(revision.commit)" }
        if replacing {
            logger.debug("placements chosen again", metadata: metadata)
        } else {
            metrics.manifestReload(valid: true)
            await announce { $0.source(revision: current.revision, held: false, resources: new.byID.count, at: Date()) }
            logger.info("manifests reloaded", metadata: metadata)
        }
        releaseMemoryLater()
        await failoverDecided(state.failover)
        for id in affected.sorted() { await enqueue(id) }
    }

    /// After start-up or a reload (each loaded and planned the whole estate): lets the process
    /// give back what that freed, off the actor (``WatchConfiguration/releaseMemory``), a
    /// moment later: the load's and the plan's values are freed only once the caller returns
    /// (at 1M resources that takes a while), and what is still held cannot be given back.
    func releaseMemoryLater() {
        let releaseMemory = configuration.releaseMemory
        let clock = self.clock
        Task.detached(priority: .background) {
            try? await clock.sleep(for: .seconds(2))
            releaseMemory()
        }
    }

    /// Puts a validated desired state in force: sites, their breakers and change streams.
    func adopt(_ new: Reconciler.Desired, loaded: LoadedManifests, warnings: Diagnostics = Diagnostics()) {
        metrics.source(revision: new.revision?.commit, previous: desired?.revision?.commit)
        metrics.resourcesOverBudget(new.overBudget.count)
        if let first = new.overBudget.values.min(by: { $0.hold.id < $1.hold.id }) {
            logger.warning("changes held: they would take a blocking budget over its limit", metadata: ["resources": "\(new.overBudget.count)", "budget": "\(first.hold.message)"])
        }
        desired = new
        managed.declare(new.byID)
        announceBudgetHolds(new.overBudget)
        var kinds = Set<String>()
        var labelKeys = Set<String>()
        for resource in new.byID.values {
            kinds.insert(resource.id.kind)
            for (key, _) in resource.labels { labelKeys.insert(key) }
        }
        desiredKinds = kinds.sorted()
        desiredLabelKeys = labelKeys.sorted()
        siteCosts = new.state.priceBooks.isEmpty ? [:] : Dictionary(grouping: CostReport(desired: new.state, catalog: planner.registry.catalog, by: .site).rows, by: \.group)
        let now = Date()
        if fingerprint == nil { fingerprint = source.fingerprint(extraFiles: new.watchedFiles) }
        let rendered = DiagnosticRenderer(files: loaded.files).render(warnings)
        manifestReport = ManifestReport(
            valid: true, at: now, inputDigest: loaded.inputDigest,
            diagnostics: rendered.split(separator: "\n").map(String.init), resources: new.byID.count, revision: new.revision)
        var counts: [String: Int] = [:]
        var pulled: [String: [ResourceID]] = [:]
        for id in new.byID.keys {
            counts[id.site, default: 0] += 1
            if new.state.sites[id.site]?.isPull == true { pulled[id.site, default: []].append(id) }
        }
        pullSiteIDs = pulled.mapValues { $0.sorted() }
        let managed = self.managed
        let (added, dropped) = sites.adopt(new.state.sites, resources: counts, keep: { name in managed.any(on: name) }, date: now)
        for name in added { metrics.site(name, up: true) }
        for name in dropped { probes.removeValue(forKey: name)?.cancel() }
        table.retain(declared: { new.byID.contains($0) }, managed: { managed.contains($0) })
        table.reserveCapacity(new.byID.count)
        for id in new.byID.keys where table[id] == nil { table.update(id, declared: true, at: now) { _ in } }
        watchChanges(new.state.sites)
    }

    /// One change-stream task per site whose provider pushes changes; restarted when the site's
    /// declaration changes.
    private func watchChanges(_ declared: [String: Site]) {
        for (name, feed) in feeds where declared[name].map({ !DesiredChanges.sameSite(feed.site, $0) }) ?? true {
            feed.task.cancel()
            feeds[name] = nil
        }
        for (name, site) in declared where feeds[name] == nil && !site.isPull {
            guard let stream = planner.registry.provider(named: site.provider)?.changes(site: site) else { continue }
            let task = Task {
                for await id in stream {
                    if Task.isCancelled { break }
                    await self.changed(id)
                }
            }
            feeds[name] = (site, task)
        }
    }

    private nonisolated func resyncPeriodically() async {
        while !Task.isCancelled {
            try? await clock.sleep(for: configuration.resync)
            if Task.isCancelled { return }
            let count = (try? await enqueueLocally(.all)) ?? 0
            logger.info("periodic resync", metadata: ["resources": "\(count)"])
        }
    }

    // MARK: Queries

    public var isStarted: Bool { started }

    /// Resource statuses, sorted by id, filtered by site, kind and a condition that holds.
    public func resources(site: String? = nil, kind: String? = nil, condition: ResourceCondition.Kind? = nil) -> [ResourceStatus] {
        table.all.filter { status in
            (site == nil || status.id.site == site) && (kind == nil || status.id.kind == kind)
                && (condition == nil || status.holds(condition!))
        }
    }

    public func resource(_ id: ResourceID) -> ResourceStatus? { table[id] }

    /// Every id under watch, sorted (sorted again only after ids came or went).
    func statusIDs() -> [ResourceID] { table.ids() }
    func statusOf(_ id: ResourceID) -> ResourceStatus? { table[id] }
    var statusRevision: UInt64 { table.revision }
    var siteCounts: [String: (resources: Int, counts: [ResourceCondition.Kind: Int])] { table.sites }

    /// Every declared site (and any still holding managed resources), sorted by name.
    public func siteStatuses() -> [SiteStatus] {
        let now = Date()
        return sites.statuses.map { status in
            var status = status
            status.agent = agentSite(status.name, now: now)
            if let agent = status.agent {
                status.up = !agent.stale
                if agent.stale { status.reason = "its agent has not reported for \(agent.lastSeen.map { "\(Int(now.timeIntervalSince($0))) s" } ?? "as long as the hub has run")" }
            }
            return status
        }
    }

    public func manifests() -> ManifestReport? { manifestReport }

    public func queueDepth() async -> Int {
        let depth = await queue.depth
        metrics.queue(depth: depth)
        return depth
    }

    /// The store answers (for readiness).
    public func storeReachable() async -> Bool {
        if let replicas { return await replicas.isConnected }
        do {
            _ = try await applier.store.lockHolder()
            return true
        } catch {
            return false
        }
    }

    /// Who depends on each managed resource, from the inventory.
    static func dependents(_ inventory: Inventory) -> [ResourceID: [ResourceID]] {
        var dependents: [ResourceID: [ResourceID]] = [:]
        for entry in inventory.values {
            for dependency in entry.dependencies { dependents[dependency, default: []].append(entry.id) }
        }
        return dependents
    }

    static func result(_ outcome: Reconciler.Outcome) -> String {
        switch outcome {
        case .upToDate: "up_to_date"
        case .applied: "applied"
        case .failed: "failed"
        case .reported: "reported"
        case .siteUnavailable: "site_unavailable"
        case .refused: "refused"
        case .waiting, .awaitingOutputs: "waiting"
        case .held: "held"
        case .overBudget: "over_budget"
        case .unknown: "unknown"
        }
    }
}
