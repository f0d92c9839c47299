import BallastCore
import BallastState
import Foundation

/// The controller as one of several watch replicas on a shared PostgreSQL state: it acts only
/// on the sites whose leases it holds, takes them as the ``ReplicaMembership`` decides, and
/// carries out the prunes the leader admitted.
extension WatchController {
    /// Whether this process acts on `site` now: always for the one daemon of a state; for a
    /// replica, while its lease on the site allows calls (``LeaseDeadline``).
    func owns(_ site: String) -> Bool {
        guard replicas != nil else { return true }
        return applier.executor.leaseDeadline.allowsCall(site: site)
    }

    /// Whether this process weighs removals against the deletion budget: the one daemon, or the
    /// replicas' leader.
    var decidesPrunes: Bool { owns(ReplicaView.leaderKey) }

    /// A replica's start: load and plan (read-only, for the start-up report), and nothing else.
    /// It acts once it holds sites: recovery and the first reconcile of each site come when
    /// its lease is granted.
    func startAsReplica() async throws -> StartupReport {
        let beforeLoading = try await source.initial()
        let outcome = try await planner.plan(source.paths(for: beforeLoading), fromGit: beforeLoading.revision != nil)
        let loaded = outcome.loaded
        guard let state = loaded.desired, let plan = outcome.plan else {
            return StartupReport(loaded: loaded, diagnostics: outcome.diagnostics)
        }
        var desired = Reconciler.Desired(state, secrets: outcome.secrets, revision: beforeLoading.revision, loadedFrom: source.paths(for: beforeLoading))
        desired.holdOverBudget(inForce: { outcome.inventory.mapValues(\.spec) }, previous: nil, catalog: planner.registry.catalog)
        managed.reset(to: outcome.inventory.keys)
        desired.managedDependents = Self.dependents(outcome.inventory)
        adopt(desired, loaded: loaded)
        await publishToAgents(inventory: outcome.inventory)
        source.adopted(beforeLoading)
        if source.fingerprint(extraFiles: []) != beforeLoading { fingerprint = nil }
        await seedDeletionWindow()
        let prunes = plan.actions.filter { $0.action == .delete && $0.reason == .notDeclared }.count
        if prunes > 0 {
            gate.manifestsChanged(at: clock.now)
            schedulePruneCheck(after: configuration.pruneDelay)
        }
        // The first round now: the daemon reports ready holding its share.
        await replicaRound()
        started = true
        releaseMemoryLater()
        return StartupReport(loaded: loaded, diagnostics: outcome.diagnostics, plan: plan, deferredPrunes: prunes, revision: beforeLoading.revision)
    }

    /// Runs a lease round every interval.
    nonisolated func followReplicas(_ replicas: ReplicaMembership) async {
        while !Task.isCancelled {
            try? await clock.sleep(for: replicas.interval)
            if Task.isCancelled { return }
            await replicaRound()
        }
    }

    /// Acts on what other replicas signal (best effort; the rounds catch up on what is lost).
    nonisolated func followReplicaHints() async {
        guard let replicas else { return }
        for await hint in replicas.store.wakeUps() {
            if Task.isCancelled { return }
            switch hint {
            case .leasesChanged: await replicaRound()
            case .pruneAdmitted: await adoptPruneAdmission()
            case .reconcile(let site): _ = try? await enqueueLocally(site.map { .site($0) } ?? .all)
            case .sourceChanged: source.refresh()
            case .sitePublished(let site): await agents.wake(site)
            case .suspensionChanged: await refreshSuspension()
            }
        }
    }

    /// One lease round at a time: a round asked for while one runs follows it.
    func replicaRound() async {
        guard !roundRunning else {
            roundAgain = true
            return
        }
        roundRunning = true
        defer { roundRunning = false }
        repeat {
            roundAgain = false
            await oneRound()
        } while roundAgain && !stopping
    }

    private func oneRound() async {
        guard let replicas, !stopping else { return }
        // Suspension holds for every replica: a lost hint is made up for here, off the round's
        // path (a database that does not answer must not hold the heartbeat up).
        refreshSuspensionInBackground()
        let health = availability.report(owned: Set(await replicas.ownedSites()), reasons: siteReasons(), now: clock.now)
        let changes = await replicas.tick(sites: Set(desired?.state.sites.keys ?? [:].keys), manifestDigest: manifestReport?.inputDigest ?? "", siteHealth: health)
        if let view = await replicas.lastView { adoptReplicaSiteHealth(view, me: replicas.id) }
        if !changes.releasing.isEmpty { releaseWhenIdle(changes.releasing, replicas: replicas) }
        if !changes.gained.isEmpty { await gained(changes.gained) }
        if changes.becameLeader, !undeclaredManaged().isEmpty {
            gate.manifestsChanged(at: clock.now)
            schedulePruneCheck(after: configuration.pruneDelay)
        }
        if undeclaredManaged().contains(where: { owns($0.site) }) { await adoptPruneAdmission() }
    }

    /// Gives `sites` up once no reconcile is in flight on them (none starts meanwhile: their
    /// leases no longer allow calls). A call that never ends does not keep a site forever: after
    /// ``releaseWait`` it is given up anyway, and its next owner's recovery decides.
    private func releaseWhenIdle(_ sites: [String], replicas: ReplicaMembership) {
        Task {
            let deadline = ContinuousClock.now + Self.releaseWait
            while self.busy(sites), ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            await replicas.released(sites)
        }
    }

    static let releaseWait: Duration = .seconds(120)

    private func busy(_ sites: [String]) -> Bool {
        sites.contains { (inFlight[$0] ?? 0) > 0 }
    }

    /// Sites just granted: close what an earlier owner left open on them, then reconcile all
    /// their resources.
    private func gained(_ names: [String]) async {
        guard let state = desired?.state else { return }
        let sites = state.sites.filter { names.contains($0.key) }
        do {
            let report = try await applier.recover(sites: sites)
            if !report.adopted.isEmpty || !report.abandoned.isEmpty || !report.forgotten.isEmpty {
                logger.warning("closed actions an earlier owner of these sites left open", metadata: [
                    "sites": "\(names.joined(separator: ","))", "adopted": "\(report.adopted.count)",
                    "abandoned": "\(report.abandoned.count)", "forgotten": "\(report.forgotten.count)",
                ])
            }
        } catch {
            logger.warning("could not recover the sites' open actions; the next owner tries again", metadata: ["error": "\(error)"])
        }
        await refreshManaged()
        // A pull site's new owner publishes its desired state (nothing new when unchanged).
        if names.contains(where: { state.sites[$0]?.isPull == true }) { await publishToAgents(inventory: nil) }
        for name in names.sorted() { _ = try? await enqueueLocally(.site(name)) }
    }

    /// What is managed is what the inventory says: other replicas create and delete too.
    func refreshManaged() async {
        if let inventory = try? await applier.store.inventory() { managed.reset(to: inventory.keys) }
    }

    /// The leader publishes what it admitted, bound to the digest of its manifests; false
    /// when it could not (it is no longer the leader, or the state did not answer).
    func publishPruneAdmission(_ ids: [ResourceID]) async -> Bool {
        guard let replicas, let digest = manifestReport?.inputDigest else { return false }
        do {
            try await replicas.store.publishPruneAdmission(ids, manifestDigest: digest, leader: replicas.id)
            logger.info("admitted prunes published to the site owners", metadata: ["count": "\(ids.count)"])
            return true
        } catch {
            logger.warning("could not publish the admitted prunes; weighing them again later", metadata: ["error": "\(error)"])
            schedulePruneCheck(after: configuration.pruneDelay)
            return false
        }
    }

    /// An owner carries out the prunes the leader admitted on its sites, only when the leader
    /// weighed them on the very manifests this replica has in force, and only for what these
    /// manifests do not declare.
    func adoptPruneAdmission() async {
        guard let replicas, let desired, let report = manifestReport, report.valid else { return }
        guard let admission = try? await replicas.store.pruneAdmission(), admission.manifestDigest == report.inputDigest else { return }
        let fresh = admission.ids.filter { owns($0.site) && desired.byID[$0] == nil && !desired.admittedPrunes.contains($0) }
        guard !fresh.isEmpty else { return }
        admitLocally(Array(fresh))
        for id in fresh.sorted() { await enqueue(id) }
    }

    /// How many prunes the leader admitted that the owners have not made yet (those being
    /// weighed again, in `excluding`, count once, as what they are now).
    func admittedNotYetDeleted(_ inventory: Inventory, excluding: Set<ResourceID>) async -> Int {
        guard let admission = try? await replicas?.store.pruneAdmission() else { return 0 }
        return admission.ids.count { inventory[$0] != nil && !excluding.contains($0) }
    }

    /// Tells the other replicas of a reconcile request (they queue what is on their sites).
    /// The manifest source changed (a push webhook): fetch now, and have every other replica
    /// fetch too (a hint: a replica that misses it fetches at its next interval).
    public func sourceChanged() async {
        source.refresh()
        await replicas?.store.broadcast(.sourceChanged)
    }

    func broadcastReconcile(_ scope: Scope) async {
        guard let replicas else { return }
        switch scope {
        case .all: await replicas.store.broadcast(.reconcile(site: nil))
        case .site(let name): await replicas.store.broadcast(.reconcile(site: name))
        case .resource(let id): await replicas.store.broadcast(.reconcile(site: id.site))
        }
    }

    /// Where the leader's API listens, as its heartbeat says.
    func leaderAddress() async -> String? {
        guard let view = await replicas?.lastView, let leader = view.leader else { return nil }
        return view.replicas.first { $0.beat.id == leader.owner }?.beat.listen
    }
}

extension WatchController {
    /// What a replica knows of the control plane, for `GET /v1/replicas`: served from memory,
    /// as of its last round, so it answers while the database does not.
    public struct ReplicaStatus: Sendable {
        public var me: String
        public var view: ReplicaView
        public var sites: [String]
        public var manifestDigest: String
        /// Why the last heartbeat failed, if it did.
        public var heartbeatError: String?
    }

    /// Nil for the one daemon of a SQLite state.
    public func replicaStatus() async -> ReplicaStatus? {
        guard let replicas else { return nil }
        return ReplicaStatus(
            me: replicas.id, view: await replicas.lastView ?? ReplicaView(replicas: [], leases: []),
            sites: desired.map { $0.state.sites.keys.sorted() } ?? [], manifestDigest: manifestReport?.inputDigest ?? "",
            heartbeatError: await replicas.lastError)
    }
}

extension WatchController {
    /// Which sites this process answers for in the API: every site for the one daemon of a
    /// state (nil); for a replica, the sites it owns and (unless `strictly`) the declared sites
    /// no live replica owns, so that a merged answer lists each site once.
    public func sitesAnswered(strictly: Bool) async -> Set<String>? {
        guard let replicas else { return nil }
        let declared = Set(desired?.state.sites.keys.map { $0 } ?? [])
        var answered = declared.filter { owns($0) }
        if !strictly, let view = await replicas.lastView {
            answered.formUnion(declared.filter { site in view.holder(of: site) == nil })
        }
        return answered
    }
}
