import BallastCore

/// When each site went down or came back, on the controller's clock: what failover needs to
/// know beside the breakers (``PlacementFacts``). Also remembers the moves already counted,
/// so that a move decided again before it is carried out counts once.
struct SiteAvailabilityClock: Sendable {
    private(set) var downSince: [String: ContinuousClock.Instant] = [:]
    private(set) var upSince: [String: ContinuousClock.Instant] = [:]
    private var counted = Set<FailoverReport.Move>()

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

    func isDown(_ site: String) -> Bool { downSince[site] != nil }

    /// What the chooser is told of the sites, at `now`; `reasons` are the breakers' last errors.
    func facts(existing: [ResourceID: PlacementFacts.Instance], reasons: [String: String], now: ContinuousClock.Instant) -> PlacementFacts {
        PlacementFacts(
            existing: existing,
            outages: downSince.reduce(into: [:]) { result, item in
                result[item.key] = PlacementFacts.Outage(lasted: now - item.value, reason: reasons[item.key] ?? "unavailable")
            },
            recovered: upSince.mapValues { now - $0 })
    }

    /// The moves of `report` not counted before; those no longer decided are forgotten.
    mutating func newMoves(_ report: FailoverReport) -> [FailoverReport.Move] {
        let moves = Set(report.moves)
        defer { counted = moves }
        return report.moves.filter { !counted.contains($0) }
    }
}
