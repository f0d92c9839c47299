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
    func placementFacts(for state: DesiredState, inventory: [ResourceID: InventoryEntry]) -> PlacementFacts {
        let existing = PlacementFacts.instances(of: state, inventory: inventory) { [availability, table] entry in
            entry.status != .failed && !availability.isDown(entry.id.site) && table[entry.id]?.holds(.ready) == true
        }
        // Replicas each see only the sites they own: none of them may decide a move alone.
        // Until the leader gathers every site's health, replicas do not fail over.
        guard replicas == nil else { return PlacementFacts(existing: existing) }
        let reasons = Dictionary(uniqueKeysWithValues: siteStatuses().compactMap { status in status.reason.map { (status.name, $0) } })
        return availability.facts(existing: existing, reasons: reasons, now: clock.now)
    }

    /// A site's availability changed: placements that fail over are chosen again.
    func siteAvailabilityChanged(_ site: String, up: Bool) {
        if up { availability.cameBack(site, at: clock.now) } else { availability.wentDown(site, at: clock.now) }
        if failsOver { revalidation.signal() }
    }

    /// Acts on what failover decided in the manifests just put in force: counts and reports
    /// new moves, marks what cannot move, and asks again when an outage or a recovery will
    /// have lasted long enough.
    func failoverDecided(_ report: FailoverReport) async {
        if replicas != nil, failsOver, !warnedReplicasDoNotFailOver {
            warnedReplicasDoNotFailOver = true
            logger.warning("placement.failover is not carried out by watch replicas sharing a PostgreSQL state yet: each sees only its own sites' health; run one daemon, or apply, to fail over")
        }
        for move in availability.newMoves(report) {
            metrics.failedOver(move.direction)
            logger.warning("\(move.direction == .failover ? "failing over" : "failing back") \(move.manifest): \(move.from) → \(move.to)", metadata: ["manifest": "\(move.manifest)", "from": "\(move.from)", "to": "\(move.to)"])
            await announce { $0.placementMoved(move, at: Date()) }
        }
        failoverImpossible = report.impossible
        let now = Date()
        for (id, reason) in report.impossible.sorted(by: { $0.key < $1.key }) {
            table.update(id, declared: true, at: now) { $0.set(.ready, false, reason: .failoverImpossible, message: reason, at: now) }
            logger.error("cannot fail over", metadata: ["id": "\(id)", "reason": "\(reason)"])
        }
        failoverRecheck?.cancel()
        failoverRecheck = nil
        guard let after = report.recheckAfter else { return }
        failoverRecheck = Task { [clock, revalidation] in
            try? await clock.sleep(for: after)
            guard !Task.isCancelled else { return }
            revalidation.signal()
        }
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
