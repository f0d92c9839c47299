import BallastCore
import BallastState
import Foundation

/// Failover in watch mode: the chooser is asked again when a site goes down or comes back and
/// when an outage reaches its `failoverAfter`; the moves it decides are carried out as any
/// manifest change is (creates queued, retired instances pruned through the deletion gate).
extension WatchController {
    /// Whether any manifest in force fails over.
    var failsOver: Bool {
        desired?.state.countPlacements.values.contains { $0.failover != nil } ?? false
    }

    /// What the chooser is told now: the instances the inventory records, Ready as their
    /// conditions say, and the sites' outages on the controller's clock.
    func placementFacts(for state: DesiredState, inventory: Inventory) async -> PlacementFacts {
        let reasons = siteReasons()
        guard let replicas else {
            let existing = PlacementFacts.instances(of: state, inventory: inventory) { [availability, table] entry in
                entry.status != .failed && !availability.isDown(entry.id.site) && table[entry.id]?.holds(.ready) == true
            }
            return availability.facts(existing: existing, reasons: reasons, now: clock.now)
        }
        // Replicas decide alike from what they share: the inventory's statuses (each owner
        // writes its sites'), and every site's health as its owner reports it.
        let existing = PlacementFacts.instances(of: state, inventory: inventory) { [availability] entry in
            entry.status == .ready && !availability.isDown(entry.id.site)
        }
        return availability.facts(existing: existing, reasons: reasons, owned: Set(await replicas.ownedSites()), now: clock.now)
    }

    /// `state` with its `count` placements chosen from what is known now; nil when the state
    /// cannot be read. Never placed afresh: without the inventory every instance would look
    /// new, and the ones in place would be retired.
    func place(_ state: DesiredState) async -> (desired: DesiredState, diagnostics: [Diagnostic])? {
        let inventory: Inventory
        do {
            inventory = try await applier.store.inventory()
        } catch {
            logger.warning("the state could not be read to place the manifests; the placements in force stay, and are chosen again shortly", metadata: ["error": "\(error)"])
            return nil
        }
        let facts = await placementFacts(for: state, inventory: inventory)
        return PlacementChooser.choose(state, facts: facts, catalog: planner.registry.catalog)
    }

    /// The breakers' last errors, by site.
    func siteReasons() -> [String: String] {
        Dictionary(uniqueKeysWithValues: siteStatuses().compactMap { status in status.reason.map { (status.name, $0) } })
    }

    /// After a replica's heartbeat: takes the health other replicas reported of their sites, and
    /// chooses the placements again when which sites are down or back changed.
    func adoptReplicaSiteHealth(_ view: ReplicaView, me: String) {
        guard let mine = view.replicas.first(where: { $0.beat.id == me }) else { return }
        var reports: [String: (health: ReplicaSiteHealth, age: Duration)] = [:]
        let alive = Set(view.alive.map(\.beat.id))
        for record in view.alive where record.beat.id != me {
            let age = Duration.milliseconds(Int64(max(0, mine.lastSeen.timeIntervalSince(record.lastSeen)) * 1000))
            for (site, health) in record.beat.siteHealth where view.holder(of: site)?.owner == record.beat.id {
                reports[site] = (health, age)
            }
        }
        // A site whose owner died says nothing of itself, which must not read as healthy: until
        // a live owner vouches for it, it stays down; the replica that takes it over carries the
        // outage into its own clock, for its breakers to end.
        var silent = Set<String>()
        var takenOver = Set<String>()
        for site in availability.remotelyDownSites where reports[site] == nil {
            guard let owner = view.holder(of: site)?.owner, alive.contains(owner) else {
                silent.insert(site)
                continue
            }
            if owner == me { takenOver.insert(site) }
        }
        if availability.adoptRemote(reports, keeping: silent, takingOver: takenOver, now: clock.now), failsOver { placementSignal.signal() }
    }

    /// A site's availability changed: placements that fail over are chosen again.
    func siteAvailabilityChanged(_ site: String, up: Bool) {
        if up { availability.cameBack(site, at: clock.now) } else { availability.wentDown(site, at: clock.now) }
        if failsOver { placementSignal.signal() }
    }

    /// Acts on what failover decided in the manifests just put in force: counts and reports
    /// new moves, marks what cannot move, and asks again when an outage or a recovery will
    /// have lasted long enough.
    func failoverDecided(_ report: FailoverReport) async {
        // Every replica decides alike; the leader alone counts and announces the moves.
        let announces = replicas == nil ? true : decidesPrunes
        for move in availability.newMoves(report) where announces {
            metrics.failedOver(move.direction)
            logger.warning("\(move.direction == .failover ? "failing over" : "failing back") \(move.manifest): \(move.from) → \(move.to)", metadata: ["manifest": "\(move.manifest)", "from": "\(move.from)", "to": "\(move.to)"])
            await announce { $0.placementMoved(move, at: Date()) }
        }
        let before = failoverImpossible
        failoverImpossible = report.impossible
        let now = Date()
        for (id, reason) in report.impossible.sorted(by: { $0.key < $1.key }) {
            table.update(id, declared: true, at: now) { $0.set(.ready, false, reason: .failoverImpossible, message: reason, at: now) }
            if before[id] == nil { logger.error("cannot fail over", metadata: ["id": "\(id)", "reason": "\(reason)"]) }
        }
        failoverRecheck?.cancel()
        failoverRecheck = nil
        guard let after = report.recheckAfter else { return }
        failoverRecheck = Task { [clock, placementSignal] in
            try? await clock.sleep(for: after)
            guard !Task.isCancelled else { return }
            placementSignal.signal()
        }
    }
}

/// The manifests in force as loaded, before placement chose among their candidates.
struct PlacementBase: Sendable {
    var loaded: LoadedManifests
    var fingerprint: ManifestFingerprint
}

extension WatchController {
    /// Chooses placements again whenever asked (``placementSignal``), suspended or not:
    /// failover is a heal.
    nonisolated func followPlacement() async {
        while !Task.isCancelled {
            guard await placementSignal.wait() else { return }
            await choosePlacementsAgain()
        }
    }

    /// Chooses the placements of the manifests in force again, from what is known now, and
    /// puts the result in force (nothing else changes: the files are not read).
    func choosePlacementsAgain() async {
        guard let base = placementBase, let state = base.loaded.desired, let secrets = desired?.secrets else { return }
        let generation = placementGeneration
        guard let (chosen, problems) = await place(state) else {
            Task { [clock, placementSignal] in
                try? await clock.sleep(for: .seconds(1))
                placementSignal.signal()
            }
            return
        }
        // Manifests read from the files meanwhile are newer: their own choice stands.
        guard generation == placementGeneration else { return }
        var loaded = base.loaded
        loaded.desired = chosen
        var diagnostics = base.loaded.diagnostics
        diagnostics.append(contentsOf: problems)
        await reload(loaded, diagnostics: diagnostics, secrets: secrets, fingerprint: base.fingerprint, unplaced: nil, replacing: true)
    }
}

extension WatchController {
    /// After a load that could not be put in force for a passing reason (the state could not
    /// be read): waits a moment, then asks for the manifests to be loaded again.
    nonisolated func retryLoadingLater() async {
        try? await clock.sleep(for: .seconds(1))
        revalidation.signal()
    }
}
