import BallastCore
import Foundation

/// The shared state that lets several `ballast watch` replicas form one control plane: a
/// heartbeat row per replica, and per-site leases (each with its own epoch) that say which
/// replica may act on which site. The leader is one more lease, on ``ReplicaView/leaderKey``.
///
/// Expiry is judged by the store's clock (the database's `now()`), never by comparing hosts'
/// clocks. Once ``fence(replica:epochs:)`` was called, every write of a resource's inventory
/// entry or journal entry checks, in its own transaction, that this replica still holds an
/// unexpired lease on the resource's site with the epoch it was granted; otherwise it throws
/// ``StoreError/siteLeaseLost(path:site:replica:)`` and writes nothing.
public protocol ReplicaStore: StateStore {
    /// Registers or renews `beat`'s heartbeat for `ttl`, renews every lease the replica holds
    /// for `ttl`, and returns the view after that, in one transaction. Throws
    /// ``StoreError/locked(path:by:)`` while the single-writer lease is held by a live run
    /// (`ballast apply`): replicas and a one-off writer never act at once.
    func heartbeat(_ beat: ReplicaHeartbeat, ttl: Duration) async throws -> ReplicaView

    /// Grants `replica` the leases on those of `keys` that are free (never taken, released, or
    /// lapsed by the store's clock), each with an epoch higher than any granted before; returns
    /// the leases granted. Keys another live replica holds are left alone.
    func claim(_ keys: [String], replica: String, ttl: Duration) async throws -> [SiteLease]

    /// Gives up `keys` if `replica` holds them, at once, and wakes the other replicas.
    func release(_ keys: [String], replica: String) async throws

    /// Removes the replica's heartbeat and every lease it holds (a graceful stop), and wakes the
    /// other replicas so that they take its sites without waiting for the leases to lapse.
    func leave(replica: String) async throws

    /// The heartbeats and leases, as the store's clock judges them now.
    func replicaView() async throws -> ReplicaView

    /// From now on, this store's writes for a resource need `replica`'s lease on its site with
    /// the epoch in `epochs` (a site absent there is refused). Called again whenever leases are
    /// granted, renewed with new epochs, or given up.
    func fence(replica: String, epochs: [String: Int64])

    /// Wake-up hints: yields when another replica released sites, left, or published prune
    /// admissions or reconcile requests. Hints can be lost (LISTEN/NOTIFY); replicas also poll.
    func wakeUps() -> AsyncStream<ReplicaHint>

    /// Sends a hint to every replica (best effort).
    func broadcast(_ hint: ReplicaHint) async

    /// Replaces the prunes the leader admitted: `ids`, weighed on the manifests whose digest is
    /// `manifestDigest`. Fenced by the leader's lease (``ReplicaView/leaderKey``): a replica
    /// that lost it writes nothing.
    func publishPruneAdmission(_ ids: [ResourceID], manifestDigest: String, leader: String) async throws

    /// The prunes the leader admitted last, and the manifest digest they were weighed on.
    func pruneAdmission() async throws -> PruneAdmission
}

/// What a replica publishes about itself at every heartbeat.
public struct ReplicaHeartbeat: Sendable, Hashable {
    /// Unique among the replicas: hostname:pid by default.
    public var id: String
    public var host: String
    public var pid: Int32
    /// Where its HTTP API listens, for `status` and for pointing users at the leader.
    public var listen: String
    /// The digest of the manifests it has in force: replicas that disagree are shown.
    public var manifestDigest: String
    public var startedAt: Date
    /// The sites it owns that are down, or came back since it started, for failover.
    public var siteHealth: [String: ReplicaSiteHealth]

    public init(id: String, host: String, pid: Int32, listen: String, manifestDigest: String, startedAt: Date, siteHealth: [String: ReplicaSiteHealth] = [:]) {
        self.id = id
        self.host = host
        self.pid = pid
        self.listen = listen
        self.manifestDigest = manifestDigest
        self.startedAt = startedAt
        self.siteHealth = siteHealth
    }
}

/// A heartbeat as stored, judged by the store's clock.
public struct ReplicaRecord: Sendable, Hashable {
    public var beat: ReplicaHeartbeat
    public var lastSeen: Date
    public var expiresAt: Date
    /// Its heartbeat has not lapsed.
    public var alive: Bool

    public init(beat: ReplicaHeartbeat, lastSeen: Date, expiresAt: Date, alive: Bool) {
        self.beat = beat
        self.lastSeen = lastSeen
        self.expiresAt = expiresAt
        self.alive = alive
    }
}

/// A lease on one site (or the leadership), judged by the store's clock.
public struct SiteLease: Sendable, Hashable {
    public var key: String
    public var owner: String
    public var epoch: Int64
    public var acquiredAt: Date
    public var expiresAt: Date
    /// It lapsed: any replica may take it.
    public var lapsed: Bool

    public init(key: String, owner: String, epoch: Int64, acquiredAt: Date, expiresAt: Date, lapsed: Bool) {
        self.key = key
        self.owner = owner
        self.epoch = epoch
        self.acquiredAt = acquiredAt
        self.expiresAt = expiresAt
        self.lapsed = lapsed
    }
}

/// Every heartbeat and lease at one moment, sorted.
public struct ReplicaView: Sendable, Hashable {
    /// The lease key of the leadership: not a valid site name (site names are DNS labels).
    public static let leaderKey = "*leader"

    /// Sorted by id.
    public var replicas: [ReplicaRecord]
    /// Sorted by key; the leadership's lease included.
    public var leases: [SiteLease]

    public init(replicas: [ReplicaRecord], leases: [SiteLease]) {
        self.replicas = replicas.sorted { $0.beat.id < $1.beat.id }
        self.leases = leases.sorted { $0.key < $1.key }
    }

    public var alive: [ReplicaRecord] { replicas.filter(\.alive) }

    /// The live lease on `key`, if any.
    public func holder(of key: String) -> SiteLease? {
        leases.first { $0.key == key && !$0.lapsed }
    }

    /// The leader, if its lease is live.
    public var leader: SiteLease? { holder(of: Self.leaderKey) }
}

/// What the leader last admitted for pruning.
public struct PruneAdmission: Sendable, Hashable {
    public var ids: Set<ResourceID>
    public var manifestDigest: String

    public init(ids: Set<ResourceID>, manifestDigest: String) {
        self.ids = ids
        self.manifestDigest = manifestDigest
    }
}

/// Why a replica was woken.
public enum ReplicaHint: Sendable, Hashable {
    /// Leases were released or a replica left: look for sites to take.
    case leasesChanged
    /// The leader published prune admissions.
    case pruneAdmitted
    /// Someone asked for a reconcile: everything (nil), or a site's resources.
    case reconcile(site: String?)
    /// A git push webhook reached one replica: every replica fetches now.
    case sourceChanged
    /// A pull site's desired state got a new generation: every replica wakes its agents'
    /// long-polls.
    case sitePublished(String)
    /// Syncing was suspended or resumed: every replica reads the state's record now.
    case suspensionChanged

    /// As sent over the wire (a NOTIFY payload).
    public var payload: String {
        switch self {
        case .leasesChanged: "leases"
        case .pruneAdmitted: "prune"
        case .reconcile(let site): "reconcile:" + (site ?? "")
        case .sourceChanged: "source"
        case .sitePublished(let site): "published:" + site
        case .suspensionChanged: "suspension"
        }
    }

    public init?(payload: String) {
        switch payload {
        case "leases": self = .leasesChanged
        case "prune": self = .pruneAdmitted
        case "source": self = .sourceChanged
        case "suspension": self = .suspensionChanged
        case _ where payload.hasPrefix("published:") && payload.count > "published:".count:
            self = .sitePublished(String(payload.dropFirst("published:".count)))
        case _ where payload.hasPrefix("reconcile:"):
            let site = String(payload.dropFirst("reconcile:".count))
            self = .reconcile(site: site.isEmpty ? nil : site)
        default: return nil
        }
    }
}
