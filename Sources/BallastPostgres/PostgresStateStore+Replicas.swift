import BallastCore
import BallastState
import Foundation
import PostgresNIO

/// Watch replicas on PostgreSQL: heartbeats, per-site leases with epochs from one sequence,
/// the leader's prune admissions, and LISTEN/NOTIFY wake-ups (hints only: replicas also poll).
extension PostgresStateStore: ReplicaStore {
    /// The NOTIFY channel of this state's schema.
    var channel: String { "ballast_" + schema.schema }

    public func heartbeat(_ beat: ReplicaHeartbeat, ttl: Duration) async throws -> ReplicaView {
        let milliseconds = Self.milliseconds(ttl)
        return try await guarded { [self] in
            heartbeatsRunning.withLock { $0 += 1 }
            defer { heartbeatsRunning.withLock { $0 -= 1 } }
            return try await client.withTransaction(logger: logger) { connection in
                try await self.refuseBesideOneOffWriter(connection)
                try await self.refuseDuplicate(beat, connection)
                // Replicas gone for an hour (and leases nobody renewed for as long) are forgotten.
                try await connection.query(
                    "DELETE FROM \(unescaped: self.schema.table("replica")) WHERE expires_at < now() - interval '1 hour'", logger: self.logger)
                try await connection.query(
                    "DELETE FROM \(unescaped: self.schema.table("site_lease")) WHERE expires_at < now() - interval '1 hour'", logger: self.logger)
                try await connection.query("""
                    INSERT INTO \(unescaped: self.schema.table("replica")) (id, host, pid, listen, manifest_digest, started_at, last_seen, expires_at, site_health)
                    VALUES (\(beat.id), \(beat.host), \(Int(beat.pid)), \(beat.listen), \(beat.manifestDigest), \(beat.startedAt.timeIntervalSince1970),
                        now(), now() + \(milliseconds) * interval '1 millisecond', \(ReplicaSiteHealth.encode(beat.siteHealth)))
                    ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, listen = excluded.listen,
                        manifest_digest = excluded.manifest_digest, started_at = excluded.started_at, last_seen = excluded.last_seen,
                        expires_at = excluded.expires_at, site_health = excluded.site_health
                    """, logger: self.logger)
                // Renewal keeps the epoch: a lease renewed is the same lease.
                try await connection.query("""
                    UPDATE \(unescaped: self.schema.table("site_lease")) SET expires_at = now() + \(milliseconds) * interval '1 millisecond'
                    WHERE owner = \(beat.id)
                    """, logger: self.logger)
                return try await self.view(connection)
            }
        }
    }

    public func claim(_ keys: [String], replica: String, ttl: Duration) async throws -> [SiteLease] {
        guard !keys.isEmpty else { return [] }
        let milliseconds = Self.milliseconds(ttl)
        return try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                try await self.refuseBesideOneOffWriter(connection)
                // A replica whose own heartbeat lapsed takes nothing: it may be the one cut off.
                var alive = false
                for try await _ in try await connection.query(
                    "SELECT id FROM \(unescaped: self.schema.table("replica")) WHERE id = \(replica) AND expires_at > now()", logger: self.logger).decode(String.self) {
                    alive = true
                }
                guard alive else { return [] }
                // Absent rows are inserted; a row another replica holds is taken only once it
                // lapsed. Two replicas claiming one key serialise on its row: one wins.
                let rows = try await connection.query("""
                    INSERT INTO \(unescaped: self.schema.table("site_lease")) (key, owner, epoch, acquired_at, expires_at)
                    SELECT k, \(replica), nextval('\(unescaped: self.schema.table("site_lease_epoch"))'), now(), now() + \(milliseconds) * interval '1 millisecond'
                    FROM unnest(\(keys)::text[]) AS k
                    ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, epoch = excluded.epoch, acquired_at = excluded.acquired_at,
                        expires_at = excluded.expires_at
                    WHERE \(unescaped: self.schema.table("site_lease")).expires_at < now()
                    RETURNING key, owner, epoch, acquired_at, expires_at, false
                    """, logger: self.logger)
                return try await Self.leases(rows)
            }
        }
    }

    public func release(_ keys: [String], replica: String) async throws {
        guard !keys.isEmpty else { return }
        try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "DELETE FROM \(unescaped: self.schema.table("site_lease")) WHERE owner = \(replica) AND key = ANY(\(keys)::text[])", logger: self.logger)
                try await connection.query("SELECT pg_notify(\(self.channel), \(ReplicaHint.leasesChanged.payload))", logger: self.logger)
            }
        }
    }

    public func leave(replica: String) async throws {
        // A heartbeat still running (its caller may have given up on it) must end first.
        let waitedFrom = ContinuousClock.now
        while heartbeatsRunning.withLock({ $0 }) > 0, !Task.isCancelled, ContinuousClock.now - waitedFrom < operationTimeout {
            try? await Task.sleep(for: .milliseconds(10))
        }
        try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("DELETE FROM \(unescaped: self.schema.table("site_lease")) WHERE owner = \(replica)", logger: self.logger)
                try await connection.query("DELETE FROM \(unescaped: self.schema.table("replica")) WHERE id = \(replica)", logger: self.logger)
                try await connection.query("SELECT pg_notify(\(self.channel), \(ReplicaHint.leasesChanged.payload))", logger: self.logger)
            }
        }
        siteFence.withLock { $0 = nil }
    }

    public func replicaView() async throws -> ReplicaView {
        try await guarded { [self] in
            try await client.withConnection { connection in try await self.view(connection) }
        }
    }

    public func fence(replica: String, epochs: [String: Int64]) {
        siteFence.withLock { $0 = (replica, epochs) }
    }

    public func wakeUps() -> AsyncStream<ReplicaHint> {
        let (stream, continuation) = AsyncStream<ReplicaHint>.makeStream(bufferingPolicy: .bufferingNewest(64))
        let configuration: PostgresConnection.Configuration
        do {
            configuration = try connectionConfiguration()
        } catch {
            continuation.finish()
            return stream
        }
        let listener = ReplicaListener(configuration: configuration, channel: channel, logger: logger, deliver: { continuation.yield($0) })
        self.listener.withLock { previous in
            previous?.stop()
            previous = listener
        }
        continuation.onTermination = { _ in listener.stop() }
        return stream
    }

    public func broadcast(_ hint: ReplicaHint) async {
        do {
            try await guarded { [self] in
                try await client.query("SELECT pg_notify(\(channel), \(hint.payload))", logger: logger)
            }
        } catch {
            logger.debug("could not wake the other replicas; they find out at their next poll", metadata: ["error": "\(error)"])
        }
    }

    public func publishPruneAdmission(_ ids: [ResourceID], manifestDigest: String, leader: String) async throws {
        let table = schema.table("prune_admission")
        try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                try await self.checkLease(leader, key: ReplicaView.leaderKey, connection)
                try await connection.query("DELETE FROM \(unescaped: table)", logger: self.logger)
                let at = Date().timeIntervalSince1970
                try await connection.query("""
                    INSERT INTO \(unescaped: table) (resource_id, manifest_digest, admitted_at)
                    SELECT id, \(manifestDigest), \(at) FROM unnest(\(ids.map(\.description))::text[]) AS id
                    """, logger: self.logger)
                try await connection.query("SELECT pg_notify(\(self.channel), \(ReplicaHint.pruneAdmitted.payload))", logger: self.logger)
            }
        }
    }

    public func pruneAdmission() async throws -> PruneAdmission {
        let rows = try await guarded { [self] in
            try await Self.collect(try await client.query(
                "SELECT resource_id, manifest_digest FROM \(unescaped: schema.table("prune_admission"))", logger: logger).decode((String, String).self))
        }
        // Rows all carry one digest (they are replaced together); ids that do not parse are
        // ignored rather than pruned.
        return PruneAdmission(ids: Set(rows.compactMap { ResourceID(parsing: $0.0) }), manifestDigest: rows.first?.1 ?? "")
    }

    // MARK: Fencing

    /// Refuses a replica's write unless it holds a live lease on `site` with the epoch it was
    /// granted; the lease row is share-locked until commit, so no claim can slip in between.
    func checkSiteLease(_ fence: (replica: String, epochs: [String: Int64]), site: String?, intentSequence: Int64?, _ connection: PostgresConnection) async throws {
        var site = site
        if site == nil, let intentSequence {
            for try await id in try await connection.query(
                "SELECT resource_id FROM \(unescaped: schema.table("journal_intent")) WHERE seq = \(intentSequence)", logger: logger).decode(String.self) {
                site = ResourceID(parsing: id)?.site
            }
        }
        guard let site else { return }
        guard let epoch = fence.epochs[site] else { throw StoreError.siteLeaseLost(path: path, site: site, replica: fence.replica) }
        try await checkLease(fence.replica, key: site, epoch: epoch, connection)
    }

    /// Throws unless `owner` holds a live lease on `key` (with `epoch`, when given).
    private func checkLease(_ owner: String, key: String, epoch: Int64? = nil, _ connection: PostgresConnection) async throws {
        var current: (String, Int64)?
        for try await row in try await connection.query(
            "SELECT owner, epoch FROM \(unescaped: schema.table("site_lease")) WHERE key = \(key) AND expires_at > now() FOR SHARE", logger: logger
        ).decode((String, Int64).self) {
            current = row
        }
        guard let current, current.0 == owner, epoch == nil || current.1 == epoch else {
            throw StoreError.siteLeaseLost(path: path, site: key, replica: owner)
        }
    }

    /// Replicas never act while a one-off writer (`ballast apply`) holds the single-writer
    /// lease. The epoch row is share-locked: a grant of that lease (which locks it for update
    /// and looks for live replicas) and a heartbeat or claim never interleave.
    private func refuseBesideOneOffWriter(_ connection: PostgresConnection) async throws {
        try await connection.query("SELECT epoch FROM \(unescaped: schema.table("lease_epoch")) WHERE id = 1 FOR SHARE", logger: logger)
        if let existing = try await currentLease(connection), !(existing.lapsed || existing.holder.isDead) {
            throw StoreError.locked(path: path, by: existing.holder)
        }
    }

    /// Two live processes with one replica id would both act on its sites: the second is
    /// refused until the first one's heartbeat lapses.
    private func refuseDuplicate(_ beat: ReplicaHeartbeat, _ connection: PostgresConnection) async throws {
        let rows = try await connection.query("""
            SELECT host, pid, started_at FROM \(unescaped: schema.table("replica")) WHERE id = \(beat.id) AND expires_at > now() FOR UPDATE
            """, logger: logger)
        for try await (host, pid, startedAt) in rows.decode((String, Int, Double).self)
        where host != beat.host || pid != Int(beat.pid) || startedAt != beat.startedAt.timeIntervalSince1970 {
            throw StoreError.replicaIDInUse(path: path, id: beat.id, by: "pid \(pid) on \(host)")
        }
    }

    /// A replica whose heartbeat or a site lease has not lapsed, as the holder a one-off writer
    /// is told about; nil when none is alive.
    func liveReplica(_ connection: PostgresConnection) async throws -> LockHolder? {
        let rows = try await connection.query("""
            SELECT r.id, r.host, r.pid, r.started_at FROM \(unescaped: schema.table("replica")) r
            WHERE r.expires_at > now() OR EXISTS (
                SELECT 1 FROM \(unescaped: schema.table("site_lease")) l WHERE l.owner = r.id AND l.expires_at > now())
            ORDER BY r.id LIMIT 1
            """, logger: logger)
        for try await (id, host, pid, startedAt) in rows.decode((String, String, Int, Double).self) {
            return LockHolder(owner: "replica " + id, pid: Int32(truncatingIfNeeded: pid), host: host, bootID: "", startTime: 0, command: "ballast watch",
                              since: Date(timeIntervalSince1970: startedAt))
        }
        return nil
    }

    // MARK: Reading

    private func view(_ connection: PostgresConnection) async throws -> ReplicaView {
        var replicas: [ReplicaRecord] = []
        for try await (id, host, pid, listen, digest, startedAt, lastSeen, expiresAt, alive, siteHealth) in try await connection.query("""
            SELECT id, host, pid, listen, manifest_digest, started_at, last_seen, expires_at, expires_at > now(), site_health
            FROM \(unescaped: schema.table("replica")) ORDER BY id
            """, logger: logger).decode((String, String, Int, String, String, Double, Date, Date, Bool, String).self) {
            replicas.append(ReplicaRecord(
                beat: ReplicaHeartbeat(
                    id: id, host: host, pid: Int32(truncatingIfNeeded: pid), listen: listen, manifestDigest: digest, startedAt: Date(timeIntervalSince1970: startedAt),
                    siteHealth: ReplicaSiteHealth.decode(siteHealth)),
                lastSeen: lastSeen, expiresAt: expiresAt, alive: alive))
        }
        let leases = try await Self.leases(try await connection.query(
            "SELECT key, owner, epoch, acquired_at, expires_at, expires_at < now() FROM \(unescaped: schema.table("site_lease")) ORDER BY key", logger: logger))
        return ReplicaView(replicas: replicas, leases: leases)
    }

    private static func leases(_ rows: PostgresRowSequence) async throws -> [SiteLease] {
        var leases: [SiteLease] = []
        for try await (key, owner, epoch, acquiredAt, expiresAt, lapsed) in rows.decode((String, String, Int64, Date, Date, Bool).self) {
            leases.append(SiteLease(key: key, owner: owner, epoch: epoch, acquiredAt: acquiredAt, expiresAt: expiresAt, lapsed: lapsed))
        }
        return leases
    }

    private static func milliseconds(_ duration: Duration) -> Int64 {
        Int64(duration.timeInterval * 1000)
    }
}
