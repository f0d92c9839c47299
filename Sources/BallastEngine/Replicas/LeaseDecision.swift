import BallastState

/// What a watch replica does with its leases after a heartbeat: the one rule for taking,
/// keeping and giving up sites, as a pure function of what the store showed.
///
/// - A site nobody holds is taken by the replica the ``ShardAssignment`` names. Should that
///   replica not take it (it does not declare the site, or it is about to die), any replica
///   takes it once it has been unowned for ``rescueAfter``: a site is never left unowned while a
///   replica is alive.
/// - A site held by this replica but assigned to another is given up only when that other
///   replica is alive and has the same manifests in force, so that it will take the site; a
///   replica that disagrees about the manifests never causes a site to flap.
/// - Leases on sites no longer declared are given up.
/// - The leadership is taken by whoever finds it free; it is not balanced.
public struct LeaseDecision: Sendable, Hashable {
    public var claim: [String] = []
    public var release: [String] = []
    /// Declared sites without a live lease, as seen before this decision.
    public var unowned: [String] = []
    /// What each declared site should be owned by.
    public var assignment: ShardAssignment

    public static func decide(
        view: ReplicaView, me: ReplicaHeartbeat, sites: Set<String>, unownedSince: [String: ContinuousClock.Instant],
        now: ContinuousClock.Instant, rescueAfter: Duration
    ) -> LeaseDecision {
        let alive = Dictionary(view.alive.map { ($0.beat.id, $0.beat) }, uniquingKeysWith: { first, _ in first })
        let assignment = ShardAssignment(sites: sites, replicas: Set(alive.keys).union([me.id]))
        var decision = LeaseDecision(assignment: assignment)
        for site in sites.sorted() {
            let target = assignment.owners[site]
            guard let holder = view.holder(of: site) else {
                decision.unowned.append(site)
                let waited = unownedSince[site].map { now - $0 >= rescueAfter } ?? false
                if target == me.id || waited { decision.claim.append(site) }
                continue
            }
            guard holder.owner == me.id, let target, target != me.id else { continue }
            if let other = alive[target], other.manifestDigest == me.manifestDigest { decision.release.append(site) }
        }
        for lease in view.leases where lease.owner == me.id && lease.key != ReplicaView.leaderKey && !sites.contains(lease.key) {
            decision.release.append(lease.key)
        }
        if view.leader == nil { decision.claim.append(ReplicaView.leaderKey) }
        return decision
    }
}
