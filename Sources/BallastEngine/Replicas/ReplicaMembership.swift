import BallastState
import Foundation
import Logging

/// A watch replica's membership in the control plane: its heartbeat, the site leases it takes
/// and gives up (``LeaseDecision``), and the leadership.
///
/// Each ``tick(sites:manifestDigest:)`` is one heartbeat transaction (which also renews every
/// lease held), plus a claim or a release when the decision asks for one: an idle replica
/// costs the database one transaction per ``interval``. Leases last ``ttl``; a replica that
/// cannot renew them for that long loses them, and stops acting on those sites before then
/// (the shared ``LeaseDeadline``, with its margin), while the store refuses its writes
/// (fencing by epoch).
public actor ReplicaMembership {
    public nonisolated let id: String
    public nonisolated let ttl: Duration
    public nonisolated let interval: Duration
    /// The shared state: heartbeats, leases, prune admissions and wake-ups.
    public nonisolated let store: any ReplicaStore
    private nonisolated let deadline: LeaseDeadline
    private var metrics: WatchMetrics?
    private let logger: Logger
    private var beat: ReplicaHeartbeat
    /// The leases this replica holds and acts under, by key.
    private var held: [String: SiteLease] = [:]
    /// Leases being given up to rebalance: no longer acted under (no new provider call starts),
    /// still held in the store (and still fencing this replica's writes) until the reconciles in
    /// flight on them have finished and ``released(_:)`` gives them up. Giving a site up with a
    /// provider call under way would let its next owner start the same action again.
    private var releasing: [String: SiteLease] = [:]
    /// Of those, the ones whose reconciles have finished: given up at the next chance.
    private var readyToRelease = Set<String>()
    /// When each declared site was first seen without a live lease (monotonic, this process).
    private var unownedSince: [String: ContinuousClock.Instant] = [:]
    private var exportedOwners: [String: String] = [:]
    private var left = false
    /// The last view of the other replicas, for the API; nil before the first heartbeat.
    public private(set) var lastView: ReplicaView?
    /// The last assignment computed, for the API.
    public private(set) var lastAssignment: ShardAssignment?
    /// Why the last heartbeat failed; nil when it succeeded.
    public private(set) var lastError: String?
    /// When the last heartbeat succeeded (asked at), on this process's monotonic clock.
    private var lastHeartbeat: ContinuousClock.Instant?

    /// What one tick changed.
    public struct Changes: Sendable, Hashable {
        public var gained: [String] = []
        public var lost: [String] = []
        public var becameLeader = false
        public var lostLeadership = false
        /// Sites to give up once nothing is in flight on them: call ``released(_:)`` then.
        public var releasing: [String] = []
        public var isEmpty: Bool { gained.isEmpty && lost.isEmpty && !becameLeader && !lostLeadership && releasing.isEmpty }
    }

    public init(store: any ReplicaStore, beat: ReplicaHeartbeat, ttl: Duration, interval: Duration, deadline: LeaseDeadline, metrics: WatchMetrics? = nil, logger: Logger) {
        self.id = beat.id
        self.store = store
        self.beat = beat
        self.ttl = ttl
        self.interval = interval
        self.deadline = deadline
        self.metrics = metrics
        self.logger = logger
        deadline.scopeBySite()
    }

    /// How long a declared site may stay unowned before any replica takes it, whatever the
    /// assignment says: two rounds.
    public var rescueAfter: Duration { interval * 2 }

    /// The sites held now, sorted (the leadership excluded).
    public func ownedSites() -> [String] {
        held.keys.filter { $0 != ReplicaView.leaderKey }.sorted()
    }

    public var isLeader: Bool { held[ReplicaView.leaderKey] != nil && deadline.allowsCall(site: ReplicaView.leaderKey) }

    /// One round: heartbeat and renewals, then the claims and releases the decision asks for.
    public func tick(sites: Set<String>, manifestDigest: String, siteHealth: [String: ReplicaSiteHealth] = [:]) async -> Changes {
        guard !left else { return Changes() }
        beat.manifestDigest = manifestDigest
        beat.siteHealth = siteHealth
        var changes = Changes()
        let asked = ContinuousClock.now
        let view: ReplicaView
        do {
            let beat = self.beat
            view = try await bounded("the heartbeat") { [store, ttl] in try await store.heartbeat(beat, ttl: ttl) }
            lastHeartbeat = asked
            if lastError != nil { logger.info("the state answers again; replica resumes", metadata: ["replica": "\(id)"]) }
            lastError = nil
        } catch {
            if lastError == nil {
                logger.warning("replica heartbeat failed; acting only while the leases last", metadata: ["replica": "\(id)", "error": "\(error)"])
            }
            lastError = "\(error)"
            expireLapsed(&changes)
            return changes
        }
        // Renewed: every lease of ours in the view; ours that are missing were taken.
        let ours = Dictionary(
            view.leases.filter { $0.owner == id && releasing[$0.key] == nil }.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        for key in held.keys where ours[key] == nil { drop(key, lost: true, &changes) }
        for key in releasing.keys where !view.leases.contains(where: { $0.key == key && $0.owner == id }) {
            releasing[key] = nil
            readyToRelease.remove(key)
        }
        for (key, lease) in ours {
            // Renewed after the replica had given it up locally (a failed heartbeat): its epoch
            // is kept, so it is the same lease; take it back, as a site gained.
            if held[key] == nil { record(gained: key, &changes) }
            held[key] = lease
            deadline.renewed(key: key, askedAt: asked, ttl: ttl)
        }
        let now = ContinuousClock.now
        for site in sites where view.holder(of: site) == nil { unownedSince[site] = unownedSince[site] ?? now }
        for site in unownedSince.keys where !sites.contains(site) || view.holder(of: site) != nil { unownedSince[site] = nil }
        let decision = LeaseDecision.decide(view: view, me: beat, sites: sites, unownedSince: unownedSince, now: now, rescueAfter: rescueAfter)
        lastAssignment = decision.assignment
        // Stop acting first; give the leases up once what is in flight on them has finished.
        for key in decision.release where releasing[key] == nil {
            let lease = held[key]
            drop(key, lost: false, &changes)
            releasing[key] = lease ?? view.leases.first { $0.key == key && $0.owner == id }
            changes.releasing.append(key)
        }
        await releaseReady()
        var granted: [SiteLease] = []
        if !decision.claim.isEmpty {
            let claimedAt = ContinuousClock.now
            do {
                granted = try await bounded("claiming sites") { [store, id, ttl] in try await store.claim(decision.claim, replica: id, ttl: ttl) }
            } catch {
                logger.warning("could not claim sites", metadata: ["replica": "\(id)", "error": "\(error)"])
            }
            for lease in granted {
                held[lease.key] = lease
                deadline.renewed(key: lease.key, askedAt: claimedAt, ttl: ttl)
                record(gained: lease.key, &changes)
                unownedSince[lease.key] = nil
            }
        }
        fenceWrites()
        var finalView = view
        finalView.leases.removeAll { lease in granted.contains { $0.key == lease.key } }
        finalView.leases.append(contentsOf: granted)
        finalView = ReplicaView(replicas: finalView.replicas, leases: finalView.leases)
        lastView = finalView
        exportMetrics(finalView, sites: sites)
        if !changes.isEmpty {
            logger.info("site leases changed", metadata: [
                "replica": "\(id)", "gained": "\(changes.gained.joined(separator: ","))", "lost": "\(changes.lost.joined(separator: ","))",
                "leader": "\(isLeader)", "owned": "\(ownedSites().count)",
            ])
        }
        return changes
    }

    /// The first heartbeat, before the daemon starts: throws what the store says, such as
    /// ``StoreError/locked(path:by:)`` while `ballast apply` holds the state.
    public func join() async throws {
        lastView = try await store.heartbeat(beat, ttl: ttl)
    }

    /// Exports `ballast_site_owner_info` and `ballast_unowned_sites` into `metrics`.
    public func export(to metrics: WatchMetrics) {
        self.metrics = metrics
    }

    /// Where this replica's API listens, once it is bound (a port of 0 picks one).
    public func setListen(_ address: String) {
        beat.listen = address
    }

    /// The reconciles in flight on `keys` (being given up) have finished: give them up now.
    public func released(_ keys: [String]) async {
        readyToRelease.formUnion(keys.filter { releasing[$0] != nil })
        await releaseReady()
    }

    private func releaseReady() async {
        let keys = readyToRelease.sorted()
        guard !keys.isEmpty, !left else { return }
        do {
            try await bounded("giving up sites") { [store, id] in try await store.release(keys, replica: id) }
            for key in keys { releasing[key] = nil }
            readyToRelease.subtract(keys)
            fenceWrites()
            logger.info("gave up sites to rebalance", metadata: ["replica": "\(id)", "sites": "\(keys.joined(separator: ","))"])
        } catch {
            logger.warning("could not give up sites; trying again at the next round", metadata: ["replica": "\(id)", "error": "\(error)"])
        }
    }

    /// Gives up every lease and the heartbeat at once (a graceful stop), waking the others.
    public func leave() async {
        guard !left else { return }
        left = true
        for key in held.keys { deadline.dropped(key: key) }
        held.removeAll()
        releasing.removeAll()
        do {
            // Leaving is worth waiting for longer than a lease round (a loaded database): the
            // sites go to the others at once rather than after the ttl. Past the ttl, they
            // would have lapsed anyway.
            try await bounded("leaving", within: max(ttl, .seconds(5))) { [store, id] in try await store.leave(replica: id) }
            logger.info("replica left; its sites go to the others", metadata: ["replica": "\(id)"])
        } catch {
            logger.warning("could not give up the site leases; they lapse after the ttl", metadata: ["replica": "\(id)", "error": "\(error)"])
        }
    }

    /// Whether this replica is in touch with the state: its last heartbeat succeeded, less than
    /// a ttl ago. `/readyz` says not ready otherwise.
    public var isConnected: Bool {
        guard lastError == nil, let lastHeartbeat else { return false }
        return ContinuousClock.now - lastHeartbeat < ttl
    }

    /// A lease round must not wait on the state for longer than half a ttl: a round stuck on a
    /// database that went away would let the leases lapse unnoticed (and `/readyz` report
    /// ready). The call is cancelled and the round fails; the next one tries again.
    private func bounded<T: Sendable>(_ what: String, within given: Duration? = nil, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let limit = given ?? max(interval, ttl / 2)
        return try await withThrowingTaskGroup(of: T.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                throw StoreError.unavailable(path: "state", reason: "\(what) got no answer within \(limit)")
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
    }

    /// Without a heartbeat, leases whose deadline passed are no longer ours to act on.
    private func expireLapsed(_ changes: inout Changes) {
        let live = Set(deadline.heldKeys())
        for key in held.keys where !live.contains(key) { drop(key, lost: true, &changes) }
        fenceWrites()
    }

    private func drop(_ key: String, lost: Bool, _ changes: inout Changes) {
        held[key] = nil
        deadline.dropped(key: key)
        if key == ReplicaView.leaderKey {
            changes.lostLeadership = true
        } else {
            changes.lost.append(key)
        }
        if lost { logger.warning("lost the lease on \(key == ReplicaView.leaderKey ? "the leadership" : "site \(key)")", metadata: ["replica": "\(id)"]) }
    }

    private func record(gained key: String, _ changes: inout Changes) {
        if key == ReplicaView.leaderKey { changes.becameLeader = true } else { changes.gained.append(key) }
    }

    /// Writes are fenced by the leases held, and by those being given up (a reconcile in flight
    /// on one still records its outcome).
    private func fenceWrites() {
        var epochs = held.mapValues(\.epoch)
        for (key, lease) in releasing { epochs[key] = lease.epoch }
        store.fence(replica: id, epochs: epochs)
    }

    private func exportMetrics(_ view: ReplicaView, sites: Set<String>) {
        guard let metrics else { return }
        var owners: [String: String] = [:]
        for lease in view.leases where !lease.lapsed && sites.contains(lease.key) { owners[lease.key] = lease.owner }
        metrics.siteOwners(owners, previous: exportedOwners, unowned: sites.count - owners.count)
        exportedOwners = owners
    }
}
