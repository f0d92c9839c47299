import BallastCore
import BallastState

/// When each site went down or came back, on the controller's clock: what failover needs to
/// know beside the breakers (``PlacementFacts``). Also remembers the moves already counted,
/// so that a move decided again before it is carried out counts once.
struct SiteAvailabilityClock: Sendable {
    private(set) var downSince: [String: ContinuousClock.Instant] = [:]
    private(set) var upSince: [String: ContinuousClock.Instant] = [:]
    private var counted = Set<FailoverReport.Move>()
    /// What other replicas reported of the sites they own, on this clock.
    private var remoteDownSince: [String: ContinuousClock.Instant] = [:]
    private var remoteUpSince: [String: ContinuousClock.Instant] = [:]
    private var remoteReasons: [String: String] = [:]

    /// A site found unavailable; an outage already running keeps its start.
    mutating func wentDown(_ site: String, at now: ContinuousClock.Instant) {
        if downSince[site] == nil { downSince[site] = now }
        upSince[site] = nil
    }

    /// A site available again (its circuit closed).
    mutating func cameBack(_ site: String, at now: ContinuousClock.Instant) {
        guard downSince.removeValue(forKey: site) != nil else { return }
        upSince[site] = now
    }

    /// Whether the site is down, by this process's breakers or (for a site another replica
    /// owns) by its owner's report.
    func isDown(_ site: String) -> Bool { downSince[site] != nil || remoteDownSince[site] != nil }

    /// What the chooser is told of the sites, at `now`; `reasons` are the breakers' last errors.
    /// `owned`: the sites this replica owns, whose health it knows itself (nil: every site);
    /// the others' come from their owners' reports.
    func facts(existing: [ResourceID: PlacementFacts.Instance], reasons: [String: String], owned: Set<String>? = nil, now: ContinuousClock.Instant) -> PlacementFacts {
        var outages: [String: PlacementFacts.Outage] = [:]
        var recovered: [String: Duration] = [:]
        let mine = { (site: String) in owned?.contains(site) ?? true }
        for (site, since) in downSince where mine(site) { outages[site] = PlacementFacts.Outage(lasted: now - since, reason: reasons[site] ?? "unavailable") }
        for (site, since) in upSince where mine(site) { recovered[site] = now - since }
        for (site, since) in remoteDownSince where !mine(site) { outages[site] = PlacementFacts.Outage(lasted: now - since, reason: remoteReasons[site] ?? "unavailable") }
        for (site, since) in remoteUpSince where !mine(site) { recovered[site] = now - since }
        return PlacementFacts(existing: existing, outages: outages, recovered: recovered)
    }

    /// What this replica reports of the sites it owns with its heartbeat.
    func report(owned: Set<String>, reasons: [String: String], now: ContinuousClock.Instant) -> [String: ReplicaSiteHealth] {
        var reports: [String: ReplicaSiteHealth] = [:]
        for (site, since) in downSince where owned.contains(site) { reports[site] = ReplicaSiteHealth(downFor: now - since, reason: reasons[site]) }
        for (site, since) in upSince where owned.contains(site) { reports[site] = ReplicaSiteHealth(upFor: now - since) }
        return reports
    }

    /// The sites another replica reported down.
    var remotelyDownSites: [String] { Array(remoteDownSince.keys) }

    /// Takes the other replicas' reports (each with how old it is); returns whether which sites
    /// are down or back changed. `keeping`: sites reported down before whose owner is gone, kept
    /// down; `takingOver`: such sites now owned here, whose outage moves into this clock.
    mutating func adoptRemote(_ reports: [String: (health: ReplicaSiteHealth, age: Duration)], keeping: Set<String> = [], takingOver: Set<String> = [], now: ContinuousClock.Instant) -> Bool {
        let before = (Set(remoteDownSince.keys), Set(remoteUpSince.keys))
        var down: [String: ContinuousClock.Instant] = [:]
        var up: [String: ContinuousClock.Instant] = [:]
        var reasons: [String: String] = [:]
        for site in keeping {
            down[site] = remoteDownSince[site]
            reasons[site] = remoteReasons[site]
        }
        for site in takingOver {
            if downSince[site] == nil { downSince[site] = remoteDownSince[site] }
            upSince[site] = nil
        }
        for (site, report) in reports {
            if let downFor = report.health.downFor {
                down[site] = now - downFor - report.age
                reasons[site] = report.health.reason
            } else if let upFor = report.health.upFor {
                up[site] = now - upFor - report.age
            }
        }
        (remoteDownSince, remoteUpSince, remoteReasons) = (down, up, reasons)
        return before != (Set(down.keys), Set(up.keys))
    }

    /// The moves of `report` not counted before; those no longer decided are forgotten.
    mutating func newMoves(_ report: FailoverReport) -> [FailoverReport.Move] {
        let moves = Set(report.moves)
        defer { counted = moves }
        return report.moves.filter { !counted.contains($0) }
    }
}
