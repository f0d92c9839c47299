import BallastCore
import BallastState
import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization

/// The state in PostgreSQL, for estates that several machines share (CI runners, terminals, and
/// later watch replicas), selected by a `postgres://` URL in `--state`.
///
/// The guarantees are SQLite's: each write is one transaction; an intent commits before the
/// provider call; an outcome commits with its inventory change. The single-writer lock is a
/// lease row whose expiry the database's clock sets and judges (`now()`), never two hosts'
/// clocks; each grant raises an epoch, and every write checks, in its own transaction and under
/// a share lock on the lease row, that the lease is still the writer's (fencing). Nothing uses
/// session advisory locks or relies on a session lasting, so a connection pooler in
/// transaction mode (PgBouncer) is safe.
public final class PostgresStateStore: StateStore {
    public let url: PostgresURL
    /// The connection pool, and the task that runs it; replaced when it stops answering.
    private let pool: Mutex<(client: PostgresClient, runner: Task<Void, Never>)>
    private let configuration: PostgresClient.Configuration
    var client: PostgresClient { pool.withLock { $0.client } }
    let operationTimeout: Duration
    let logger: Logger
    let schema: PostgresSchema
    /// The lease this store's writes are fenced by, once one was granted.
    private let fence = Mutex<LockHolder?>(nil)
    /// A watch replica's site leases, once it has some: writes for a resource are fenced by the
    /// lease on its site (``ReplicaStore/fence(replica:epochs:)``).
    let siteFence = Mutex<(replica: String, epochs: [String: Int64])?>(nil)
    /// Heartbeat transactions still running, including those whose caller stopped waiting (a
    /// deadline, a cancelled round): a leave waits for them, or one committing after it would
    /// write the replica's row again.
    let heartbeatsRunning = Mutex(0)
    /// Wake-ups from other replicas (LISTEN), started on first use.
    let listener = Mutex<ReplicaListener?>(nil)

    /// How this process means to use the state.
    public enum Access: Sendable {
        /// Create the schema and its tables when absent (`apply`, `watch`, `plan --out`).
        case create
        /// Use an existing state, upgrading its tables if needed (`destroy`, `forget`).
        case existing
        /// Read an existing state without writing anything, not even an upgrade (`get`, `plan`):
        /// a role that may only read is enough.
        case readOnly
    }

    /// Opens the state at `url`: connects, and creates or upgrades its tables as `access` allows.
    /// Throws ``StoreError/unavailable(path:reason:)`` (retryable) when the database cannot be
    /// reached, ``NoState`` when `access` is not `.create` and the schema holds no state, and
    /// ``StoreError/incompatible(path:reason:)`` when a newer Ballast wrote it.
    /// `operationTimeout`: how long one operation (a query or a transaction, waiting for a
    /// connection included) may take before it fails as unavailable (retryable). The pool waits
    /// out a restart of the server within it; but a server that accepts connections and never
    /// answers, or a pool that wedged (seen once, after the process was stopped across a
    /// restart), must fail a command, not hang it. After a deadline passes, the pool is replaced.
    public static func open(_ url: PostgresURL, access: Access, logger: Logger, operationTimeout: Duration = .seconds(30)) async throws -> PostgresStateStore {
        let store = try PostgresStateStore(url: url, logger: logger, operationTimeout: operationTimeout)
        do {
            try await store.prepare(access)
        } catch {
            store.close()
            throw error
        }
        return store
    }

    /// There is no Ballast state in the URL's schema.
    public struct NoState: Error, Sendable, CustomStringConvertible {
        public var url: PostgresURL
        public init(url: PostgresURL) { self.url = url }
        public var description: String {
            "there is no state in schema '\(url.schema)' of \(url): nothing has been applied with it; check --state and BALLAST_STATE (`ballast apply` creates a state)"
        }
    }

    private init(url: PostgresURL, logger: Logger, operationTimeout: Duration) throws {
        self.url = url
        self.operationTimeout = operationTimeout
        self.logger = logger
        schema = PostgresSchema(url.schema)
        let tls = try Self.tlsConfiguration(url)
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: tls.map { url.tls == .prefer ? .prefer($0) : .require($0) } ?? .disable)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 8
        // A process paused in the middle of a transaction (Ctrl-Z, a GC pause, a frozen VM)
        // would hold its row locks until it wakes, and with them the lease row every other
        // writer must read, even after its lease lapsed. The server ends such a session once
        // it has waited this long for the client inside a transaction; Ballast's own
        // transactions never idle between statements for anything like it.
        configuration.options.additionalStartupParameters = [("idle_in_transaction_session_timeout", "10s")]
        self.configuration = configuration
        pool = Mutex(Self.startPool(configuration, logger: logger))
    }

    private static func startPool(_ configuration: PostgresClient.Configuration, logger: Logger) -> (client: PostgresClient, runner: Task<Void, Never>) {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return (client, Task { await client.run() })
    }

    /// A pool that let an operation pass its deadline is dropped for a fresh one: whatever
    /// wedged it (a process stopped across a server restart) does not wedge the next operation.
    private func replacePool() {
        let fresh = Self.startPool(configuration, logger: logger)
        let old = pool.withLock { current in
            let old = current
            current = fresh
            return old
        }
        old.runner.cancel()
        logger.warning("the database did not answer in time; reconnecting", metadata: ["state": "\(url)"])
    }

    /// What TLS the URL asks for; nil for none.
    private static func tlsConfiguration(_ url: PostgresURL) throws -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch url.tls {
        case .disable: return nil
        case .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let file = url.rootCertificate {
            do {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(file))
            } catch {
                throw StoreError.unavailable(path: url.description, reason: "the CA certificates in \(file) cannot be read: \(error)")
            }
        }
        return configuration
    }

    /// One direct connection, opened and closed, before the pool is used: a database that is
    /// down or refuses the credentials fails the command at once with what went wrong, where
    /// the pool would keep trying for a minute. (Later, while a run works, the pool waits out
    /// a restart: that is what lets `pg_ctl restart` during an apply lose nothing.)
    private func probe() async throws {
        let logger = self.logger
        let connectionConfiguration = try connectionConfiguration()
        do {
            try await Self.withDeadline(operationTimeout) {
                let connection = try await PostgresConnection.connect(configuration: connectionConfiguration, id: 0, logger: logger)
                try await connection.close()
            }
        } catch is DeadlinePassed {
            throw StoreError.unavailable(path: path, reason: "the database did not answer within \(operationTimeout)")
        } catch let error as PSQLError {
            throw Self.storeError(error, path: path)
        } catch {
            throw StoreError.unavailable(path: path, reason: "the database cannot be reached: \(error)")
        }
    }

    /// How to open one connection outside the pool (the probe, the listener).
    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        if let configuration = try Self.tlsConfiguration(url) {
            let context = try NIOSSLContext(configuration: configuration)
            tls = url.tls == .prefer ? .prefer(context) : .require(context)
        } else {
            tls = .disable
        }
        var configuration = PostgresConnection.Configuration(host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        return configuration
    }

    /// Stops the connections. The store must not be used afterwards.
    public func close() {
        pool.withLock { $0.runner.cancel() }
        listener.withLock { $0?.stop() }
    }

    deinit {
        pool.withLock { $0.runner.cancel() }
        listener.withLock { $0?.stop() }
    }

    var path: String { url.description }

    // MARK: Schema

    private func prepare(_ access: Access) async throws {
        try await probe()
        let versions = schema.table("schema_version")
        let found: Int? = try await guarded { [self] in
            let rows = try await client.query("SELECT to_regclass(\(versions))::text", logger: logger)
            var exists = false
            for try await name in rows.decode(String?.self) { exists = name != nil }
            guard exists else { return nil }
            var version = 0
            for try await value in try await client.query("SELECT coalesce(max(version), 0) FROM \(unescaped: versions)", logger: logger).decode(Int.self) {
                version = value
            }
            return version
        }
        if let found, found > schema.latestVersion { throw incompatible(found) }
        if found == schema.latestVersion { return }
        switch access {
        case .readOnly:
            guard found != nil else { throw NoState(url: url) }
            throw StoreError.unavailable(path: path, reason: "it was written by an older Ballast (schema version \(found ?? 0), this one uses \(schema.latestVersion)); run a command that writes to it (apply) to upgrade it")
        case .existing:
            guard found != nil else { throw NoState(url: url) }
        case .create:
            break
        }
        try await migrate()
    }

    private func incompatible(_ found: Int) -> StoreError {
        .incompatible(path: path, reason: "its schema is version \(found), and this Ballast knows versions up to \(schema.latestVersion); use a newer Ballast")
    }

    /// Applies what is missing, in one transaction, under a transaction-scoped advisory lock on
    /// the schema (released at commit, so safe behind a transaction pooler): of two processes
    /// migrating at once, the second waits and then finds nothing left to do.
    private func migrate() async throws {
        let schema = self.schema
        let latest = schema.latestVersion
        let found: Int = try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\("ballast-migrate:" + schema.schema)))", logger: self.logger)
                try await connection.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: "\"\(schema.schema)\"")", logger: self.logger)
                let versions = schema.table("schema_version")
                try await connection.query(
                    "CREATE TABLE IF NOT EXISTS \(unescaped: versions) (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                    logger: self.logger)
                var current = 0
                for try await value in try await connection.query("SELECT coalesce(max(version), 0) FROM \(unescaped: versions)", logger: self.logger).decode(Int.self) {
                    current = value
                }
                guard current <= latest else { return current }
                for migration in schema.migrations where migration.version > current {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                    }
                    try await connection.query("INSERT INTO \(unescaped: versions) (version, name) VALUES (\(migration.version), \(migration.name))", logger: self.logger)
                }
                return latest
            }
        }
        if found > latest { throw incompatible(found) }
    }

    // MARK: Inventory

    public func inventory() async throws -> Inventory {
        // Rows are decoded a chunk at a time as they arrive (``InventoryAssembler``).
        let path = path
        return try await guarded { [self] in
            var assembler = InventoryAssembler()
            try await Self.forEachInventoryRecord(try await client.query("SELECT \(unescaped: Self.inventoryColumns) FROM \(unescaped: schema.table("inventory"))", logger: logger)) { record in
                try Self.readable(path: path) { () throws in try assembler.add(record) }
            }
            return try Self.readable(path: path) { () throws in try assembler.finish() }
        }
    }

    public func entry(_ id: ResourceID) async throws -> InventoryEntry? {
        let records = try await guarded { [self] in
            try await Self.inventoryRecords(try await client.query(
                "SELECT \(unescaped: Self.inventoryColumns) FROM \(unescaped: schema.table("inventory")) WHERE id = \(id.description)", logger: logger))
        }
        return try readable { try records.first?.entry() }
    }

    private static let inventoryColumns = StoredRecord.Inventory.columns.joined(separator: ", ")

    private static func inventoryRecords(_ rows: PostgresRowSequence) async throws -> [StoredRecord.Inventory] {
        var records: [StoredRecord.Inventory] = []
        try await forEachInventoryRecord(rows) { records.append($0) }
        return records
    }

    /// Hands each row to `body` as it arrives.
    private static func forEachInventoryRecord(_ rows: PostgresRowSequence, _ body: (StoredRecord.Inventory) throws -> Void) async throws {
        for try await (id, spec, specDigest, outputs, status, lastError, generation, dependencies, preventDestroy, deletion, prune, createdAt, updatedAt, standsInFor, labels, manifest)
            in rows.decode((String, String, String, String, String, String?, Int, String, Bool, String, Bool, Double, Double, String?, String, String?).self) {
            try body(StoredRecord.Inventory(
                id: id, spec: spec, specDigest: specDigest, outputs: outputs, status: status, lastError: lastError, generation: generation,
                dependencies: dependencies, preventDestroy: preventDestroy, deletion: deletion, prune: prune, createdAt: createdAt, updatedAt: updatedAt, standsInFor: standsInFor, labels: labels, manifest: manifest))
        }
    }

    public func upsert(_ entry: InventoryEntry) async throws {
        try await write(site: entry.id.site) { connection in try await self.write(entry, connection) }
    }

    /// Rows of one site a transaction: a watch replica's writes are fenced by its lease on the
    /// site. Each row is a round trip, so a transaction takes 500 of them, well inside the
    /// deadline every call to the database has.
    public func upsert(contentsOf entries: [InventoryEntry]) async throws {
        for (site, entries) in Dictionary(grouping: entries, by: \.id.site).sorted(by: { $0.key < $1.key }) {
            for start in stride(from: 0, to: entries.count, by: 500) {
                let chunk = Array(entries[start..<min(start + 500, entries.count)])
                try await write(site: site) { connection in
                    for entry in chunk { try await self.write(entry, connection) }
                }
            }
        }
    }

    public func remove(_ id: ResourceID) async throws {
        try await write(site: id.site) { connection in
            try await connection.query("DELETE FROM \(unescaped: self.schema.table("inventory")) WHERE id = \(id.description)", logger: self.logger)
        }
    }

    private func write(_ entry: InventoryEntry, _ connection: PostgresConnection) async throws {
        let record = StoredRecord.Inventory(entry)
        try await connection.query("""
            INSERT INTO \(unescaped: schema.table("inventory")) (id, kind, name, site, spec, spec_digest, outputs, status, last_error, generation,
                dependencies, prevent_destroy, deletion, prune, created_at, updated_at, stands_in_for, labels, manifest)
            VALUES (\(record.id), \(entry.id.kind), \(entry.id.name), \(entry.id.site), \(record.spec), \(record.specDigest), \(record.outputs),
                \(record.status), \(record.lastError), \(record.generation), \(record.dependencies), \(record.preventDestroy), \(record.deletion),
                \(record.prune), \(record.createdAt), \(record.updatedAt), \(record.standsInFor), \(record.labels), \(record.manifest))
            ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, site = excluded.site, spec = excluded.spec,
                spec_digest = excluded.spec_digest, outputs = excluded.outputs, status = excluded.status, last_error = excluded.last_error,
                generation = excluded.generation, dependencies = excluded.dependencies, prevent_destroy = excluded.prevent_destroy,
                deletion = excluded.deletion, prune = excluded.prune, created_at = excluded.created_at, updated_at = excluded.updated_at,
                stands_in_for = excluded.stands_in_for, labels = excluded.labels, manifest = excluded.manifest
            """, logger: logger)
    }

    // MARK: Journal

    public func recordIntent(_ intent: JournalIntent) async throws -> Int64 {
        try await write(site: intent.id.site) { connection in
            let rows = try await connection.query("""
                INSERT INTO \(unescaped: self.schema.table("journal_intent")) (run_id, resource_id, action, spec, spec_digest, at, revision, approval)
                VALUES (\(intent.runID), \(intent.id.description), \(intent.action.rawValue), \(JSONText.string(.map(intent.spec))),
                    \(intent.specDigest), \(intent.at.timeIntervalSince1970), \(intent.revision), \(intent.approval))
                RETURNING seq
                """, logger: self.logger)
            var sequence: Int64 = 0
            for try await value in rows.decode(Int64.self) { sequence = value }
            return sequence
        }
    }

    public func recordOutcome(_ outcome: JournalOutcome, change: InventoryChange, events: [OutboxEvent]) async throws {
        try await write(site: nil, intentSequence: outcome.intentSequence) { connection in
            try await self.insert(outcome, connection)
            switch change {
            case .none: break
            case .upsert(let entry): try await self.write(entry, connection)
            case .remove(let id):
                try await connection.query("DELETE FROM \(unescaped: self.schema.table("inventory")) WHERE id = \(id.description)", logger: self.logger)
            }
            try await self.insert(events, connection)
        }
    }

    private func insert(_ outcome: JournalOutcome, _ connection: PostgresConnection) async throws {
        try await connection.query("""
            INSERT INTO \(unescaped: schema.table("journal_outcome")) (intent_seq, status, attempts, error, outputs, at)
            VALUES (\(outcome.intentSequence), \(outcome.status.rawValue), \(outcome.attempts), \(outcome.error),
                \(outcome.outputs.map { JSONText.string(.map($0)) }), \(outcome.at.timeIntervalSince1970))
            """, logger: logger)
    }

    public func unfinishedIntents() async throws -> [JournalIntentRecord] {
        let rows = try await guarded { [self] in
            try await Self.collect(try await client.query("""
                SELECT i.seq, i.run_id, i.resource_id, i.action, i.spec, i.spec_digest, i.at, i.revision, i.approval
                FROM \(unescaped: schema.table("journal_intent")) i LEFT JOIN \(unescaped: schema.table("journal_outcome")) o ON o.intent_seq = i.seq
                WHERE o.intent_seq IS NULL ORDER BY i.seq
                """, logger: logger).decode((Int64, String, String, String, String, String, Double, String?, String?).self))
        }
        return try readable {
            try rows.map { row throws(StoredRecord.Unreadable) in
                try StoredRecord.intent(sequence: row.0, runID: row.1, resourceID: row.2, action: row.3, spec: row.4, specDigest: row.5, at: row.6, revision: row.7, approval: row.8)
            }
        }
    }

    public func events(_ query: JournalQuery) async throws -> [JournalEvent] {
        let since = query.since?.timeIntervalSince1970 ?? 0
        // Nil binds match every resource; a limit of nil is no limit.
        let resource = query.resource?.description
        let action = query.action?.rawValue
        let newest = query.newest.map { max(0, $0) }
        var rows = try await guarded { [self] in
            try await Self.collect(try await client.query("""
                SELECT i.seq, i.run_id, i.resource_id, i.action, i.spec, i.spec_digest, i.at, i.revision, i.approval, o.status, o.attempts, o.error, o.outputs, o.at
                FROM \(unescaped: schema.table("journal_intent")) i LEFT JOIN \(unescaped: schema.table("journal_outcome")) o ON o.intent_seq = i.seq
                WHERE i.at >= \(since) AND (\(resource)::text IS NULL OR i.resource_id = \(resource)) AND (\(action)::text IS NULL OR i.action = \(action))
                ORDER BY i.seq DESC LIMIT \(newest)
                """, logger: logger).decode((Int64, String, String, String, String, String, Double, String?, String?, String?, Int?, String?, String?, Double?).self))
        }
        rows.reverse()
        return try readable {
            try rows.map { row throws(StoredRecord.Unreadable) in
                let record = try StoredRecord.intent(sequence: row.0, runID: row.1, resourceID: row.2, action: row.3, spec: row.4, specDigest: row.5, at: row.6, revision: row.7, approval: row.8)
                var outcome: JournalOutcome?
                if let text = row.9 {
                    guard let status = JournalOutcome.Status(rawValue: text) else { throw StoredRecord.Unreadable("journal entry \(row.0): unknown outcome '\(text)'") }
                    outcome = JournalOutcome(
                        intentSequence: record.sequence, status: status, attempts: row.10 ?? 0, error: row.11,
                        outputs: try row.12.map { text throws(StoredRecord.Unreadable) in try StoredRecord.fields(text) }, at: Date(timeIntervalSince1970: row.13 ?? 0))
                }
                return JournalEvent(record, outcome: outcome)
            }
        }
    }

    static func collect<Element>(_ sequence: some AsyncSequence<Element, any Error>) async throws -> [Element] {
        var result: [Element] = []
        for try await element in sequence { result.append(element) }
        return result
    }

    // MARK: Lease

    public func acquireLock(_ holder: LockHolder, wait: Duration) async throws -> LockAcquisition {
        let acquisition = try await LeaseAttempt.acquire(wait: wait, path: path) {
            try await guarded { [self] in
                try await client.withTransaction(logger: logger) { connection in
                    // Grants are serialised on the epoch row; the lease row is read under it.
                    var epoch: Int64 = 0
                    for try await value in try await connection.query("SELECT epoch FROM \(unescaped: self.schema.table("lease_epoch")) WHERE id = 1 FOR UPDATE", logger: self.logger).decode(Int64.self) {
                        epoch = value
                    }
                    let existing = try await self.currentLease(connection)
                    if let existing, existing.holder.owner != holder.owner, !(existing.lapsed || existing.holder.isDead) {
                        return LeaseAttempt.blocked(by: existing.holder)
                    }
                    // Watch replicas act on their sites under their own leases: a one-off
                    // writer waits until none is alive.
                    if let replica = try await self.liveReplica(connection) { return LeaseAttempt.blocked(by: replica) }
                    epoch += 1
                    try await connection.query("UPDATE \(unescaped: self.schema.table("lease_epoch")) SET epoch = \(epoch) WHERE id = 1", logger: self.logger)
                    var lease = holder
                    lease.epoch = epoch
                    lease.expiresAt = try await self.writeLease(lease, connection)
                    return LeaseAttempt.granted(lease, previous: existing.flatMap { $0.holder.owner == holder.owner ? nil : $0.holder })
                }
            }
        }
        fence.withLock { $0 = acquisition.lease }
        return acquisition
    }

    public func renewLock(_ holder: LockHolder) async throws -> LockHolder {
        try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                guard var current = try await self.currentLease(connection, locking: true)?.holder,
                      current.owner == holder.owner, current.epoch == holder.epoch else {
                    throw StoreError.leaseLost(path: self.path, holder: holder)
                }
                current.ttl = holder.ttl
                current.expiresAt = try await self.writeLease(current, connection)
                return current
            }
        }
    }

    public func releaseLock(_ holder: LockHolder) async throws {
        fence.withLock { if $0?.owner == holder.owner { $0 = nil } }
        try await guarded { [self] in
            try await client.query("DELETE FROM \(unescaped: schema.table("lease")) WHERE owner = \(holder.owner)", logger: logger)
        }
    }

    public func forceUnlock(owner: String) async throws -> LockHolder? {
        try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                guard let current = try await self.currentLease(connection, locking: true)?.holder, current.owner == owner else { return nil }
                try await connection.query("DELETE FROM \(unescaped: self.schema.table("lease")) WHERE owner = \(owner)", logger: self.logger)
                return current
            }
        }
    }

    public func lockHolder() async throws -> LockHolder? {
        try await guarded { [self] in
            try await client.withConnection { connection in try await self.currentLease(connection)?.holder }
        }
    }

    /// The lease row, and whether it lapsed by the database's clock.
    func currentLease(_ connection: PostgresConnection, locking: Bool = false) async throws -> (holder: LockHolder, lapsed: Bool)? {
        let rows = try await connection.query("""
            SELECT owner, pid, host, boot_id, start_time, command, since, epoch, ttl_ms, expires_at, expires_at < now()
            FROM \(unescaped: schema.table("lease")) WHERE id = 1 \(unescaped: locking ? "FOR UPDATE" : "")
            """, logger: logger)
        var result: (LockHolder, Bool)?
        for try await (owner, pid, host, bootID, startTime, command, since, epoch, ttl, expiresAt, lapsed)
            in rows.decode((String, Int, String, String, Int64, String, Double, Int64, Int64, Date, Bool).self) {
            result = (LockHolder(
                owner: owner, pid: Int32(truncatingIfNeeded: pid), host: host, bootID: bootID, startTime: UInt64(bitPattern: startTime), command: command,
                since: Date(timeIntervalSince1970: since), epoch: epoch, expiresAt: expiresAt, ttl: .milliseconds(ttl)), lapsed)
        }
        return result
    }

    /// Writes the lease row with an expiry of the database's `now()` plus the ttl; returns it.
    private func writeLease(_ lease: LockHolder, _ connection: PostgresConnection) async throws -> Date {
        let ttl = Int64(lease.ttl.timeInterval * 1000)
        let rows = try await connection.query("""
            INSERT INTO \(unescaped: schema.table("lease")) (id, owner, pid, host, boot_id, start_time, command, since, epoch, ttl_ms, expires_at)
            VALUES (1, \(lease.owner), \(Int(lease.pid)), \(lease.host), \(lease.bootID), \(Int64(bitPattern: lease.startTime)), \(lease.command),
                \(lease.since.timeIntervalSince1970), \(lease.epoch), \(ttl), now() + \(ttl) * interval '1 millisecond')
            ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host, boot_id = excluded.boot_id,
                start_time = excluded.start_time, command = excluded.command, since = excluded.since, epoch = excluded.epoch,
                ttl_ms = excluded.ttl_ms, expires_at = excluded.expires_at
            RETURNING expires_at
            """, logger: logger)
        var expiresAt = Date()
        for try await value in rows.decode(Date.self) { expiresAt = value }
        return expiresAt
    }

    /// One write transaction, fenced: the lease this store holds (if any) must still be the one
    /// in force. The lease row is share-locked until commit, so no grant can slip in between
    /// the check and the write. A watch replica's writes are fenced by its lease on the site
    /// written for (`site`, or the site of the intent numbered `intentSequence`).
    @discardableResult
    func write<T: Sendable>(site: String?, intentSequence: Int64? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let lease = fence.withLock { $0 }
        let replica = siteFence.withLock { $0 }
        return try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                if let replica {
                    try await self.checkSiteLease(replica, site: site, intentSequence: intentSequence, connection)
                }
                if let lease {
                    var current: (String, Int64)?
                    for try await row in try await connection.query(
                        "SELECT owner, epoch FROM \(unescaped: self.schema.table("lease")) WHERE id = 1 FOR SHARE", logger: self.logger).decode((String, Int64).self) {
                        current = row
                    }
                    guard let current, current.0 == lease.owner, current.1 == lease.epoch else {
                        throw StoreError.leaseLost(path: self.path, holder: lease)
                    }
                }
                return try await body(connection)
            }
        }
    }

    // MARK: API tokens

    public func saveToken(_ token: APIToken) async throws {
        try await guarded { [self] in
            try await client.query("""
                INSERT INTO \(unescaped: schema.table("api_token")) (name, digest, role, created_at)
                VALUES (\(token.name), \(token.digestHex), \(token.storedRole), \(token.createdAt.timeIntervalSince1970))
                ON CONFLICT (name) DO UPDATE SET digest = excluded.digest, role = excluded.role, created_at = excluded.created_at
                """, logger: logger)
        }
    }

    public func token(digest: [UInt8]) async throws -> APIToken? {
        try await tokens(where: "WHERE digest = '\(SpecDigest.hex(digest))'").first
    }

    public func tokens() async throws -> [APIToken] {
        try await tokens(where: "")
    }

    /// `condition` is built here from hexadecimal digits only, never from outside text.
    private func tokens(where condition: String) async throws -> [APIToken] {
        let rows = try await guarded { [self] in
            try await Self.collect(try await client.query(
                "SELECT name, digest, role, created_at FROM \(unescaped: schema.table("api_token")) \(unescaped: condition) ORDER BY name", logger: logger
            ).decode((String, String, String, Double).self))
        }
        return try readable {
            try rows.map { row throws(StoredRecord.Unreadable) in try StoredRecord.token(name: row.0, digestHex: row.1, role: row.2, createdAt: row.3) }
        }
    }

    public func revokeToken(name: String) async throws -> Bool {
        try await guarded { [self] in
            let rows = try await client.query("DELETE FROM \(unescaped: schema.table("api_token")) WHERE name = \(name) RETURNING name", logger: logger)
            var deleted = false
            for try await _ in rows.decode(String.self) { deleted = true }
            return deleted
        }
    }

    // MARK: Drift history

    public func recordDrift(_ record: DriftRecord, of id: ResourceID, keep: Int) async throws {
        let table = schema.table("drift")
        let resource = id.description
        let at = record.at.timeIntervalSince1970
        let fields = record.fieldsJSON
        let outcome = record.storedOutcome
        try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "INSERT INTO \(unescaped: table) (resource_id, at, fields, missing, outcome) VALUES (\(resource), \(at), \(fields), \(record.missing), \(outcome))",
                    logger: self.logger)
                try await connection.query(
                    "DELETE FROM \(unescaped: table) WHERE resource_id = \(resource) AND seq NOT IN (SELECT seq FROM \(unescaped: table) WHERE resource_id = \(resource) ORDER BY seq DESC LIMIT \(keep))",
                    logger: self.logger)
            }
        }
    }

    public func drifts(of id: ResourceID) async throws -> [DriftRecord] {
        let rows = try await guarded { [self] in
            try await Self.collect(try await client.query(
                "SELECT at, fields, missing, outcome FROM \(unescaped: schema.table("drift")) WHERE resource_id = \(id.description) ORDER BY seq", logger: logger
            ).decode((Double, String, Bool, String).self))
        }
        return rows.compactMap { DriftRecord(at: Date(timeIntervalSince1970: $0.0), fieldsJSON: $0.1, missing: $0.2, storedOutcome: $0.3) }
    }

    public func forgetDrifts(of id: ResourceID) async throws {
        try await guarded { [self] in
            try await client.query("DELETE FROM \(unescaped: schema.table("drift")) WHERE resource_id = \(id.description)", logger: logger)
        }
    }

    // MARK: Suspension

    public func syncSuspension() async throws -> SyncSuspension? {
        let rows = try await guarded { [self] in
            try await Self.collect(try await client.query(
                "SELECT suspended_by, at FROM \(unescaped: schema.table("sync_suspension")) WHERE id = 1", logger: logger
            ).decode((String, Double).self))
        }
        return rows.first.map { SyncSuspension(by: $0.0, at: Date(timeIntervalSince1970: $0.1)) }
    }

    public func setSyncSuspension(_ suspension: SyncSuspension?) async throws {
        let table = schema.table("sync_suspension")
        try await guarded { [self] in
            if let suspension {
                let at = suspension.at.timeIntervalSince1970
                try await client.query(
                    "INSERT INTO \(unescaped: table) (id, suspended_by, at) VALUES (1, \(suspension.by), \(at)) ON CONFLICT (id) DO UPDATE SET suspended_by = EXCLUDED.suspended_by, at = EXCLUDED.at",
                    logger: logger)
            } else {
                try await client.query("DELETE FROM \(unescaped: table)", logger: logger)
            }
        }
    }

    // MARK: Plan key

    public func planKey(create: Bool) async throws -> [UInt8]? {
        let table = schema.table("plan_key")
        let stored: String? = try await guarded { [self] in
            if create {
                var generator = SystemRandomNumberGenerator()
                let fresh = SpecDigest.hex((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
                // Of two processes creating it at once, one key wins and both read it.
                try await client.query("INSERT INTO \(unescaped: table) (id, key) VALUES (1, \(fresh)) ON CONFLICT (id) DO NOTHING", logger: logger)
            }
            var key: String?
            for try await value in try await client.query("SELECT key FROM \(unescaped: table) WHERE id = 1", logger: logger).decode(String.self) { key = value }
            return key
        }
        guard let stored else { return nil }
        guard stored.utf8.count == 64, let key = SpecDigest.bytes(hex: stored) else {
            throw StoreError.corrupt(path: path, reason: "the plan key is not 64 hexadecimal digits")
        }
        return key
    }

    // MARK: Copying a whole state

    public func snapshot() async throws -> StateSnapshot {
        let schema = self.schema
        let (records, intentRows, outcomeRows, tokenRows, key) = try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                // One snapshot of every table, whatever commits meanwhile.
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: self.logger)
                let records = try await Self.inventoryRecords(try await connection.query(
                    "SELECT \(unescaped: Self.inventoryColumns) FROM \(unescaped: schema.table("inventory"))", logger: self.logger))
                let intents = try await Self.collect(try await connection.query(
                    "SELECT seq, run_id, resource_id, action, spec, spec_digest, at, revision, approval FROM \(unescaped: schema.table("journal_intent")) ORDER BY seq", logger: self.logger
                ).decode((Int64, String, String, String, String, String, Double, String?, String?).self))
                let outcomes = try await Self.collect(try await connection.query(
                    "SELECT intent_seq, status, attempts, error, outputs, at FROM \(unescaped: schema.table("journal_outcome")) ORDER BY intent_seq", logger: self.logger
                ).decode((Int64, String, Int, String?, String?, Double).self))
                let tokens = try await Self.collect(try await connection.query(
                    "SELECT name, digest, role, created_at FROM \(unescaped: schema.table("api_token")) ORDER BY name", logger: self.logger
                ).decode((String, String, String, Double).self))
                let key = try await Self.collect(try await connection.query(
                    "SELECT key FROM \(unescaped: schema.table("plan_key")) WHERE id = 1", logger: self.logger).decode(String.self)).first
                return (records, intents, outcomes, tokens, key)
            }
        }
        var snapshot = try readable {
            let inventory = try records.map { record throws(StoredRecord.Unreadable) in try record.entry() }
            let intents = try intentRows.map { row throws(StoredRecord.Unreadable) in
                try StoredRecord.intent(sequence: row.0, runID: row.1, resourceID: row.2, action: row.3, spec: row.4, specDigest: row.5, at: row.6, revision: row.7, approval: row.8)
            }
            let outcomes = try outcomeRows.map { row throws(StoredRecord.Unreadable) in
                guard let status = JournalOutcome.Status(rawValue: row.1) else { throw StoredRecord.Unreadable("journal entry \(row.0): unknown outcome '\(row.1)'") }
                return JournalOutcome(intentSequence: row.0, status: status, attempts: row.2, error: row.3,
                                      outputs: try row.4.map { text throws(StoredRecord.Unreadable) in try StoredRecord.fields(text) }, at: Date(timeIntervalSince1970: row.5))
            }
            let tokens = try tokenRows.map { row throws(StoredRecord.Unreadable) in
                try StoredRecord.token(name: row.0, digestHex: row.1, role: row.2, createdAt: row.3)
            }
            guard key.map({ $0.utf8.count == 64 && SpecDigest.bytes(hex: $0) != nil }) ?? true else { throw StoredRecord.Unreadable("the plan key is not 64 hexadecimal digits") }
            return StateSnapshot(inventory: inventory, intents: intents, outcomes: outcomes, tokens: tokens, planKey: key.flatMap { SpecDigest.bytes(hex: $0) })
        }
        snapshot.siteRevisions = try await siteRevisions()
        snapshot.agentReports = try await agentReports()
        let outboxRows = try await guarded { [self] in
            try await Self.collect(try await client.query(
                "SELECT seq, event_id, subject, body FROM \(unescaped: schema.table("outbox_event")) ORDER BY seq", logger: logger
            ).decode((Int64, String, String, String).self))
        }
        snapshot.outbox = outboxRows.map { StoredOutboxEvent(sequence: $0.0, event: OutboxEvent(id: $0.1, subject: $0.2, body: $0.3)) }
        let cursorRows = try await guarded { [self] in
            try await Self.collect(try await client.query(
                "SELECT sink, delivered_through FROM \(unescaped: schema.table("outbox_cursor"))", logger: logger
            ).decode((String, Int64).self))
        }
        snapshot.outboxCursors = Dictionary(cursorRows, uniquingKeysWith: { _, last in last })
        return snapshot
    }

    public func restore(_ snapshot: StateSnapshot) async throws {
        let schema = self.schema
        try await write(site: nil) { connection in
            var rows = 0
            for try await count in try await connection.query("""
                SELECT (SELECT count(*) FROM \(unescaped: schema.table("inventory"))) + (SELECT count(*) FROM \(unescaped: schema.table("journal_intent")))
                    + (SELECT count(*) FROM \(unescaped: schema.table("api_token")))
                """, logger: self.logger).decode(Int.self) {
                rows = count
            }
            guard rows == 0 else { throw StoreError.refused(path: self.path, reason: "the state is not empty (\(rows) rows); a copy never mixes two estates") }
            for entry in snapshot.inventory { try await self.write(entry, connection) }
            for record in snapshot.intents {
                let intent = record.intent
                try await connection.query("""
                    INSERT INTO \(unescaped: schema.table("journal_intent")) (seq, run_id, resource_id, action, spec, spec_digest, at, revision, approval)
                    VALUES (\(record.sequence), \(intent.runID), \(intent.id.description), \(intent.action.rawValue), \(JSONText.string(.map(intent.spec))),
                        \(intent.specDigest), \(intent.at.timeIntervalSince1970), \(intent.revision), \(intent.approval))
                    """, logger: self.logger)
            }
            if let last = snapshot.intents.last?.sequence {
                // Later intents continue after the copied ones.
                try await connection.query(
                    "SELECT setval(pg_get_serial_sequence(\(schema.table("journal_intent")), 'seq'), \(last))", logger: self.logger)
            }
            for outcome in snapshot.outcomes { try await self.insert(outcome, connection) }
            for stored in snapshot.outbox {
                try await connection.query("""
                    INSERT INTO \(unescaped: schema.table("outbox_event")) (seq, event_id, subject, body)
                    VALUES (\(stored.sequence), \(stored.event.id), \(stored.event.subject), \(stored.event.body))
                    """, logger: self.logger)
            }
            for (sink, through) in snapshot.outboxCursors {
                try await connection.query("""
                    INSERT INTO \(unescaped: schema.table("outbox_cursor")) (sink, delivered_through) VALUES (\(sink), \(through))
                    ON CONFLICT (sink) DO UPDATE SET delivered_through = excluded.delivered_through
                    """, logger: self.logger)
            }
            let floor = snapshot.outboxSequenceFloor
            if floor > 0 {
                // New events follow every copied event and cursor.
                try await connection.query(
                    "SELECT setval(pg_get_serial_sequence(\(schema.table("outbox_event")), 'seq'), \(floor))", logger: self.logger)
            }
            for token in snapshot.tokens {
                try await connection.query("""
                    INSERT INTO \(unescaped: schema.table("api_token")) (name, digest, role, created_at)
                    VALUES (\(token.name), \(token.digestHex), \(token.storedRole), \(token.createdAt.timeIntervalSince1970))
                    """, logger: self.logger)
            }
            if let key = snapshot.planKey {
                try await connection.query("""
                    INSERT INTO \(unescaped: schema.table("plan_key")) (id, key) VALUES (1, \(SpecDigest.hex(key)))
                    ON CONFLICT (id) DO UPDATE SET key = excluded.key
                    """, logger: self.logger)
            }
            try await self.restoreAgents(snapshot, connection)
        }
    }

    // MARK: Errors

    private func readable<T>(_ body: () throws -> T) throws -> T {
        try Self.readable(path: path, body)
    }

    private static func readable<T>(path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoredRecord.Unreadable {
            throw StoreError.corrupt(path: path, reason: error.description)
        }
    }

    /// Database errors become typed store errors: a server that cannot be reached (or that
    /// went away mid-query) is retryable; what the server refused says why.
    @discardableResult
    func guarded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        do {
            return try await Self.withDeadline(operationTimeout, body)
        } catch is DeadlinePassed {
            replacePool()
            throw StoreError.unavailable(path: path, reason: "the database did not answer within \(operationTimeout)")
        } catch let error as StoreError {
            throw error
        } catch let error as NoState {
            throw error
        } catch let error as PSQLError {
            throw Self.storeError(error, path: path)
        } catch let error as PostgresTransactionError {
            // What went wrong inside the transaction (a lost lease, a refused statement) is the
            // error; a failed BEGIN or COMMIT is the database's.
            if let inner = error.closureError ?? error.beginError ?? error.commitError {
                if let store = inner as? StoreError { throw store }
                if let psql = inner as? PSQLError { throw Self.storeError(psql, path: path) }
                throw StoreError.unavailable(path: path, reason: "\(inner)")
            }
            throw StoreError.unavailable(path: path, reason: "\(error)")
        } catch {
            throw StoreError.unavailable(path: path, reason: "\(error)")
        }
    }

    struct DeadlinePassed: Error {}

    /// `body`, or ``DeadlinePassed`` when it takes longer than `limit`: it is then cancelled
    /// (a wait for a connection ends at once), and the caller is answered without waiting for it
    /// to notice. A task group would wait for its children to finish, and a wedged query that
    /// ignores cancellation would then hold the command forever, deadline or not.
    static func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let race = DeadlineRace<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.start(continuation, body: body, limit: limit)
            }
        } onCancel: {
            race.cancel()
        }
    }

    static func storeError(_ error: PSQLError, path: String) -> StoreError {
        if let message = error.serverInfo?[.message] {
            let state = error.serverInfo?[.sqlState] ?? ""
            // 08: connection exceptions; 53: insufficient resources; 57: operator intervention
            // (a restart or shutdown); 40: serialisation failures and deadlocks.
            let transient = ["08", "53", "57", "40"].contains(String(state.prefix(2)))
            let reason = "PostgreSQL: \(message) (SQLSTATE \(state))"
            return transient ? .unavailable(path: path, reason: reason) : .refused(path: path, reason: reason)
        }
        return .unavailable(path: path, reason: "the database cannot be reached (\(error.code))")
    }
}
