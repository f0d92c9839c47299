import BallastCore
import BallastState
import Foundation
import GRDB
import Synchronization

/// The embedded default state store: SQLite through GRDB, in WAL mode, at `STATE/state.db`.
///
/// Every write is one transaction. Intents and outcomes are appended, never updated, and an
/// outcome commits together with its inventory change, so a crash leaves either both or
/// neither. WAL with `synchronous=NORMAL` survives the process being killed at any point.
public final class SQLiteStateStore: StateStore {
    public let path: String
    /// A pool in WAL mode; a single read-only connection for a state no writer has open in a
    /// read-only directory (see ``init(path:readOnly:)``).
    private let pool: any DatabaseWriter
    /// The lease this store's writes are fenced by, once one was granted.
    private let fence = Mutex<LockHolder?>(nil)

    /// Opens (creating and migrating as needed) the store at `path`.
    ///
    /// `readOnly`: opens an existing store without writing anything, for commands that only
    /// read (the state directory may be read-only, or another user's). Writes then fail.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        let directory = PathText.deletingLastComponent(path)
        if !directory.isEmpty && !readOnly {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // An existing file of 0 bytes is a state cut short or emptied (`> state.db`, a copy
        // interrupted), not a new one: opened, it would read as an estate that manages nothing,
        // and what the lost inventory protected would be forgotten without a word.
        var status = stat()
        if stat(path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_size == 0, !Self.hasContent(path + "-wal") {
            throw StoreError.unavailable(path: path, reason: "it is empty (0 bytes): a state emptied or cut short; restore it from a backup, or, if its creation was interrupted before anything was applied, delete it and the next apply creates it afresh")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(15)
        configuration.readonly = readOnly
        if !readOnly {
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        do {
            pool = try readOnly ? Self.openForReading(path, configuration: configuration) : DatabasePool(path: path, configuration: configuration)
            if readOnly {
                guard try pool.read({ try Self.migrator.hasCompletedMigrations($0) }) else {
                    throw StoreError.unavailable(path: path, reason: "it was written by an older Ballast; run a command that writes to it (apply) to upgrade it")
                }
            } else {
                try Self.migrator.migrate(pool)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.unavailable(path: path, reason: "\(error)")
        }
    }

    private static func hasContent(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_size > 0
    }

    /// SQLite reads a WAL database read-only only while its `-shm` and `-wal` files exist (a
    /// writer has it open) or can be created. In a read-only directory with no writer, it is
    /// opened as immutable: nothing can change it until a writer, who could not start without
    /// write access anyway, comes along.
    private static func openForReading(_ path: String, configuration: Configuration) throws -> any DatabaseWriter {
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            _ = try pool.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master") }
            return pool
        } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY || error.resultCode == .SQLITE_CANTOPEN {
            let directory = PathText.deletingLastComponent(path)
            guard access(directory.isEmpty ? "." : directory, W_OK) != 0, !FileManager.default.fileExists(atPath: path + "-wal") else { throw error }
            let encoded = path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path
            return try DatabaseQueue(path: "file:\(encoded)?immutable=1", configuration: configuration)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: inventory, journal, lock") { db in
            try db.execute(sql: """
                CREATE TABLE inventory (
                    id TEXT PRIMARY KEY NOT NULL,
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL,
                    site TEXT NOT NULL,
                    spec TEXT NOT NULL,
                    spec_digest TEXT NOT NULL,
                    outputs TEXT NOT NULL,
                    status TEXT NOT NULL,
                    last_error TEXT,
                    generation INTEGER NOT NULL,
                    dependencies TEXT NOT NULL,
                    prevent_destroy INTEGER NOT NULL,
                    deletion TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE TABLE journal_intent (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    run_id TEXT NOT NULL,
                    resource_id TEXT NOT NULL,
                    action TEXT NOT NULL,
                    spec TEXT NOT NULL,
                    spec_digest TEXT NOT NULL,
                    at REAL NOT NULL
                );
                CREATE INDEX journal_intent_at ON journal_intent(at);
                CREATE TABLE journal_outcome (
                    intent_seq INTEGER PRIMARY KEY NOT NULL REFERENCES journal_intent(seq),
                    status TEXT NOT NULL,
                    attempts INTEGER NOT NULL,
                    error TEXT,
                    outputs TEXT,
                    at REAL NOT NULL
                );
                CREATE TABLE lock (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    owner TEXT NOT NULL,
                    pid INTEGER NOT NULL,
                    host TEXT NOT NULL,
                    command TEXT NOT NULL,
                    since REAL NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2: policy.prune") { db in
            try db.execute(sql: "ALTER TABLE inventory ADD COLUMN prune INTEGER NOT NULL DEFAULT 1")
        }
        migrator.registerMigration("v3: the lock is a lease with an epoch") { db in
            try db.execute(sql: """
                ALTER TABLE lock ADD COLUMN boot_id TEXT NOT NULL DEFAULT '';
                ALTER TABLE lock ADD COLUMN start_time INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE lock ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE lock ADD COLUMN expires_at REAL NOT NULL DEFAULT 0;
                CREATE TABLE lease_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL);
                INSERT INTO lease_epoch (id, epoch) VALUES (1, 0);
                """)
        }
        migrator.registerMigration("v4: API tokens, stored hashed") { db in
            try db.execute(sql: """
                CREATE TABLE api_token (
                    name TEXT PRIMARY KEY,
                    digest TEXT NOT NULL,
                    role TEXT NOT NULL,
                    created_at REAL NOT NULL
                );
                CREATE INDEX api_token_digest ON api_token (digest);
                """)
        }
        migrator.registerMigration("v5: the source revision of each journal intent") { db in
            try db.execute(sql: "ALTER TABLE journal_intent ADD COLUMN revision TEXT")
        }
        migrator.registerMigration("v6: the outbox of events for the event sinks") { db in
            // AUTOINCREMENT: a sequence number is never used twice, even after the events
            // holding the highest ones were deleted, so a sink's cursor never skips a new one.
            try db.execute(sql: """
                CREATE TABLE outbox_event (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    event_id TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL
                );
                CREATE TABLE outbox_cursor (
                    sink TEXT PRIMARY KEY NOT NULL,
                    delivered_through INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v7: the journal by resource") { db in
            try db.execute(sql: "CREATE INDEX journal_intent_resource ON journal_intent (resource_id, seq)")
        }
        migrator.registerMigration("v8: pull sites' published desired states and their agents' reports") { db in
            try db.execute(sql: """
                CREATE TABLE site_revision (
                    site TEXT PRIMARY KEY NOT NULL,
                    generation INTEGER NOT NULL,
                    digest TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    source_revision TEXT,
                    published_at REAL NOT NULL
                );
                CREATE TABLE agent_report (
                    site TEXT PRIMARY KEY NOT NULL,
                    received_at REAL NOT NULL,
                    body TEXT NOT NULL
                );
                """)
        }
        migrator.registerMigration("v9: the approval a journal intent was made under") { db in
            try db.execute(sql: "ALTER TABLE journal_intent ADD COLUMN approval TEXT")
        }
        migrator.registerMigration("v10: the site a failed-over instance stands in for") { db in
            try db.execute(sql: "ALTER TABLE inventory ADD COLUMN stands_in_for TEXT")
        }
        migrator.registerMigration("v11: the labels of each managed resource") { db in
            try db.execute(sql: "ALTER TABLE inventory ADD COLUMN labels TEXT NOT NULL DEFAULT '{}'")
        }
        migrator.registerMigration("v12: syncing suspended, for every daemon of the state") { db in
            try db.execute(sql: "CREATE TABLE sync_suspension (id INTEGER PRIMARY KEY CHECK (id = 1), by TEXT NOT NULL, at DOUBLE NOT NULL)")
        }
        migrator.registerMigration("v13: each resource's drift history") { db in
            try db.execute(sql: """
                CREATE TABLE drift (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, resource_id TEXT NOT NULL, at DOUBLE NOT NULL,
                    fields TEXT NOT NULL, missing INTEGER NOT NULL, outcome TEXT NOT NULL);
                CREATE INDEX drift_by_resource ON drift (resource_id, seq);
                """)
        }
        migrator.registerMigration("v14: the manifest each resource was last applied from") { db in
            try db.execute(sql: "ALTER TABLE inventory ADD COLUMN manifest TEXT")
        }
        return migrator
    }

    // MARK: Inventory

    public func inventory() async throws -> Inventory {
        // Rows are decoded a chunk at a time, on every core, as the cursor reads them
        // (``InventoryAssembler``): the raw rows are never all in memory at once.
        try await guarded {
            try await pool.read { db in
                var assembler = InventoryAssembler(expected: try Int.fetchOne(db, sql: "SELECT count(*) FROM inventory") ?? 0)
                // A cursor reuses one row for every step: values are read out, never copied twice.
                let rows = try Row.fetchCursor(db, sql: "SELECT \(Self.inventoryColumns) FROM inventory")
                while let row = try rows.next() {
                    try readable { () throws in try assembler.add(Self.inventoryRecord(row)) }
                }
                return try readable { () throws in try assembler.finish() }
            }
        }
    }

    public func entry(_ id: ResourceID) async throws -> InventoryEntry? {
        let row: StoredRecord.Inventory? = try await guarded {
            try await pool.read { db in try Row.fetchOne(db, sql: "SELECT \(Self.inventoryColumns) FROM inventory WHERE id = ?", arguments: [id.description]).map(Self.inventoryRecord) }
        }
        return try readable { try row?.entry() }
    }

    /// A stored value this binary cannot read is damage to report, never a default to assume.
    private func readable<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as StoredRecord.Unreadable {
            throw StoreError.corrupt(path: path, reason: error.description)
        }
    }

    public func upsert(_ entry: InventoryEntry) async throws {
        try await guarded { try await pool.write { db in
            try checkFence(db)
            try Self.write(entry, db)
        } }
    }

    public func upsert(contentsOf entries: [InventoryEntry]) async throws {
        // Ten thousand rows a transaction: one commit each, not one per row, without holding
        // the writer for the whole of a large estate.
        for start in stride(from: 0, to: entries.count, by: 10_000) {
            let chunk = Array(entries[start..<min(start + 10_000, entries.count)])
            try await guarded { try await pool.write { db in
                try checkFence(db)
                for entry in chunk { try Self.write(entry, db) }
            } }
        }
    }

    public func remove(_ id: ResourceID) async throws {
        try await guarded { try await pool.write { db in
            try checkFence(db)
            try db.execute(sql: "DELETE FROM inventory WHERE id = ?", arguments: [id.description])
        } }
    }

    // MARK: Journal

    public func recordIntent(_ intent: JournalIntent) async throws -> Int64 {
        try await guarded {
            try await pool.write { db in
                try checkFence(db)
                try db.execute(
                    sql: "INSERT INTO journal_intent (run_id, resource_id, action, spec, spec_digest, at, revision, approval) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    arguments: [intent.runID, intent.id.description, intent.action.rawValue, JSONText.string(.map(intent.spec)), intent.specDigest, intent.at.timeIntervalSince1970, intent.revision, intent.approval])
                return db.lastInsertedRowID
            }
        }
    }

    public func recordOutcome(_ outcome: JournalOutcome, change: InventoryChange, events: [OutboxEvent]) async throws {
        try await guarded {
            try await pool.write { db in
                try checkFence(db)
                try Self.insert(outcome, db)
                switch change {
                case .none: break
                case .upsert(let entry): try Self.write(entry, db)
                case .remove(let id): try db.execute(sql: "DELETE FROM inventory WHERE id = ?", arguments: [id.description])
                }
                try Self.insert(events, db)
            }
        }
    }

    // MARK: Outbox (one writer at a time: the order of sequence numbers is the order of commits)

    private static func insert(_ events: [OutboxEvent], _ db: Database) throws {
        for event in events {
            try db.execute(sql: "INSERT INTO outbox_event (event_id, subject, body) VALUES (?, ?, ?)", arguments: [event.id, event.subject, event.body])
        }
    }

    public func enqueueEvents(_ events: [OutboxEvent]) async throws {
        guard !events.isEmpty else { return }
        try await guarded { try await pool.write { db in try Self.insert(events, db) } }
    }

    public func outbox(sink: String, limit: Int) async throws -> OutboxBatch {
        try await guarded {
            try await pool.write { db in
                // A new sink starts before the oldest event kept (or after the last ever written).
                try db.execute(sql: """
                    INSERT OR IGNORE INTO outbox_cursor (sink, delivered_through) VALUES (?, COALESCE(
                        (SELECT min(seq) - 1 FROM outbox_event), (SELECT seq FROM sqlite_sequence WHERE name = 'outbox_event'), 0))
                    """, arguments: [sink])
                let cursor = try Int64.fetchOne(db, sql: "SELECT delivered_through FROM outbox_cursor WHERE sink = ?", arguments: [sink]) ?? 0
                let events = try Row.fetchAll(db, sql: "SELECT seq, event_id, subject, body FROM outbox_event WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [cursor, max(0, limit)]).map { row in
                    StoredOutboxEvent(sequence: row["seq"], event: OutboxEvent(id: row["event_id"], subject: row["subject"], body: row["body"]))
                }
                return OutboxBatch(cursor: cursor, events: events)
            }
        }
    }

    public func acknowledge(sink: String, from: Int64, through: Int64) async throws {
        guard through > from else { return }
        try await guarded {
            try await pool.write { db in
                try db.execute(sql: "UPDATE outbox_cursor SET delivered_through = ? WHERE sink = ? AND delivered_through = ?", arguments: [through, sink, from])
            }
        }
    }

    public func trimOutbox(keeping: Int, sinks: [String]) async throws -> [String: Int] {
        try await guarded {
            try await pool.write { db in
                var cursors: [String: Int64] = [:]
                for sink in sinks {
                    cursors[sink] = try Int64.fetchOne(db, sql: "SELECT delivered_through FROM outbox_cursor WHERE sink = ?", arguments: [sink])
                }
                if !sinks.isEmpty, cursors.count == sinks.count, let delivered = cursors.values.min() {
                    try db.execute(sql: "DELETE FROM outbox_event WHERE seq <= ?", arguments: [delivered])
                }
                let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox_event") ?? 0
                let excess = count - max(0, keeping)
                var dropped: [String: Int] = [:]
                guard excess > 0, let droppedThrough = try Int64.fetchOne(db, sql: "SELECT seq FROM outbox_event ORDER BY seq LIMIT 1 OFFSET ?", arguments: [excess - 1]) else {
                    return dropped
                }
                for sink in sinks {
                    let cursor = cursors[sink] ?? 0
                    dropped[sink] = try Int.fetchOne(db, sql: "SELECT count(*) FROM outbox_event WHERE seq > ? AND seq <= ?", arguments: [cursor, droppedThrough]) ?? 0
                    try db.execute(sql: "UPDATE outbox_cursor SET delivered_through = ? WHERE sink = ? AND delivered_through < ?", arguments: [droppedThrough, sink, droppedThrough])
                }
                try db.execute(sql: "DELETE FROM outbox_event WHERE seq <= ?", arguments: [droppedThrough])
                return dropped
            }
        }
    }

    public func unfinishedIntents() async throws -> [JournalIntentRecord] {
        try await guarded {
            try await pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT i.* FROM journal_intent i LEFT JOIN journal_outcome o ON o.intent_seq = i.seq
                    WHERE o.intent_seq IS NULL ORDER BY i.seq
                    """).map(Self.intent)
            }
        }
    }

    public func events(_ query: JournalQuery) async throws -> [JournalEvent] {
        try await guarded {
            try await pool.read { db in
                var arguments: StatementArguments = []
                var conditions: [String] = []
                if let since = query.since {
                    conditions.append("i.at >= ?")
                    _ = arguments.append(contentsOf: [since.timeIntervalSince1970])
                }
                if let resource = query.resource {
                    conditions.append("i.resource_id = ?")
                    _ = arguments.append(contentsOf: [resource.description])
                }
                if let action = query.action {
                    conditions.append("i.action = ?")
                    _ = arguments.append(contentsOf: [action.rawValue])
                }
                let condition = conditions.isEmpty ? "1" : conditions.joined(separator: " AND ")
                var order = "ORDER BY i.seq"
                if let newest = query.newest {
                    order = "ORDER BY i.seq DESC LIMIT ?"
                    _ = arguments.append(contentsOf: [max(0, newest)])
                }
                var rows = try Row.fetchAll(db, sql: """
                    SELECT i.*, o.status AS o_status, o.attempts AS o_attempts, o.error AS o_error, o.outputs AS o_outputs, o.at AS o_at
                    FROM journal_intent i LEFT JOIN journal_outcome o ON o.intent_seq = i.seq
                    WHERE \(condition) \(order)
                    """, arguments: arguments)
                if query.newest != nil { rows.reverse() }
                return try rows.map { row in
                    let record = try Self.intent(row)
                    var outcome: JournalOutcome?
                    if let status = (row["o_status"] as String?).flatMap(JournalOutcome.Status.init(rawValue:)) {
                        outcome = JournalOutcome(
                            intentSequence: record.sequence, status: status, attempts: row["o_attempts"] ?? 0, error: row["o_error"],
                            outputs: try (row["o_outputs"] as String?).map { text throws(StoredRecord.Unreadable) in try StoredRecord.fields(text) }, at: Date(timeIntervalSince1970: row["o_at"] ?? 0))
                    }
                    return JournalEvent(record, outcome: outcome)
                }
            }
        }
    }

    // MARK: Lock

    public func acquireLock(_ holder: LockHolder, wait: Duration) async throws -> LockAcquisition {
        let acquisition = try await LeaseAttempt.acquire(wait: wait, path: path) {
            try await guarded {
                try await heldWhileBusy(by: holder) {
                    try await pool.writeWithoutTransaction { db in
                        var result = LeaseAttempt.blocked(by: holder)
                        try db.inTransaction(.immediate) {
                            let existing = try Row.fetchOne(db, sql: "SELECT * FROM lock WHERE id = 1").map(Self.holder)
                            let now = Date()
                            if let existing, existing.owner != holder.owner, !existing.isFree(at: now) {
                                result = .blocked(by: existing)
                                return .commit
                            }
                            try db.execute(sql: "UPDATE lease_epoch SET epoch = epoch + 1 WHERE id = 1")
                            var lease = holder
                            lease.epoch = try Int64.fetchOne(db, sql: "SELECT epoch FROM lease_epoch WHERE id = 1") ?? 1
                            lease.expiresAt = now.addingTimeInterval(holder.ttl.timeInterval)
                            try Self.writeLock(lease, db)
                            result = .granted(lease, previous: existing.flatMap { $0.owner == holder.owner ? nil : $0 })
                            return .commit
                        }
                        return result
                    }
                }
            }
        }
        fence.withLock { $0 = acquisition.lease }
        return acquisition
    }

    /// Runs `attempt`; when SQLite's own write lock stays taken past the busy timeout, reads the
    /// lease (a read needs no write lock) and reports its live holder as blocking, as for any
    /// held lease. A process paused in the middle of a write (Ctrl-Z, SIGSTOP, a frozen VM)
    /// keeps that lock until it wakes: the user is told who holds the state, not only that
    /// the database is busy. Without a live holder, the busy error stands.
    private func heldWhileBusy(by holder: LockHolder, _ attempt: () async throws -> LeaseAttempt) async throws -> LeaseAttempt {
        do {
            return try await attempt()
        } catch let error as DatabaseError where Self.isBusy(error) {
            guard let existing = try await lockHolder(), existing.owner != holder.owner, !existing.isFree(at: Date()) else { throw error }
            return .blocked(by: existing)
        }
    }

    public func renewLock(_ holder: LockHolder) async throws -> LockHolder {
        try await guarded {
            try await pool.write { db in
                guard var current = try Row.fetchOne(db, sql: "SELECT * FROM lock WHERE id = 1").map(Self.holder),
                      current.owner == holder.owner, current.epoch == holder.epoch else {
                    throw StoreError.leaseLost(path: path, holder: holder)
                }
                current.ttl = holder.ttl
                current.expiresAt = Date().addingTimeInterval(holder.ttl.timeInterval)
                try db.execute(sql: "UPDATE lock SET expires_at = ? WHERE id = 1", arguments: [current.expiresAt.timeIntervalSince1970])
                return current
            }
        }
    }

    public func releaseLock(_ holder: LockHolder) async throws {
        fence.withLock { if $0?.owner == holder.owner { $0 = nil } }
        try await guarded { try await pool.write { db in try db.execute(sql: "DELETE FROM lock WHERE owner = ?", arguments: [holder.owner]) } }
    }

    public func forceUnlock(owner: String) async throws -> LockHolder? {
        try await guarded {
            try await pool.write { db in
                guard let current = try Row.fetchOne(db, sql: "SELECT * FROM lock WHERE id = 1").map(Self.holder), current.owner == owner else { return nil }
                try db.execute(sql: "DELETE FROM lock WHERE owner = ?", arguments: [owner])
                return current
            }
        }
    }

    /// Inside a write's transaction: the lease this store holds must still be the one in force.
    private func checkFence(_ db: Database) throws {
        guard let lease = fence.withLock({ $0 }) else { return }
        let row = try Row.fetchOne(db, sql: "SELECT owner, epoch FROM lock WHERE id = 1")
        guard let row, row["owner"] as String == lease.owner, row["epoch"] as Int64 == lease.epoch else {
            throw StoreError.leaseLost(path: path, holder: lease)
        }
    }

    private static func writeLock(_ lease: LockHolder, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO lock (id, owner, pid, host, command, since, boot_id, start_time, epoch, expires_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [lease.owner, lease.pid, lease.host, lease.command, lease.since.timeIntervalSince1970, lease.bootID, Int64(bitPattern: lease.startTime), lease.epoch, lease.expiresAt.timeIntervalSince1970])
    }

    public func lockHolder() async throws -> LockHolder? {
        try await guarded { try await pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM lock WHERE id = 1").map(Self.holder) } }
    }

    // MARK: API tokens

    public func saveToken(_ token: APIToken) async throws {
        try await guarded { try await pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO api_token (name, digest, role, created_at) VALUES (?, ?, ?, ?)",
                arguments: [token.name, token.digestHex, token.storedRole, token.createdAt.timeIntervalSince1970])
        } }
    }

    public func token(digest: [UInt8]) async throws -> APIToken? {
        let hex = SpecDigest.hex(digest)
        return try await guarded { try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_token WHERE digest = ?", arguments: [hex]).map(decodeToken)
        } }
    }

    public func tokens() async throws -> [APIToken] {
        try await guarded { try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY name").map(decodeToken)
        } }
    }

    public func revokeToken(name: String) async throws -> Bool {
        try await guarded { try await pool.write { db in
            try db.execute(sql: "DELETE FROM api_token WHERE name = ?", arguments: [name])
            return db.changesCount > 0
        } }
    }

    // MARK: Agents

    public func publishSiteRevisions(_ publications: [SitePublication], at: Date) async throws -> [SiteRevision] {
        try await guarded { try await pool.write { db in
            try self.checkFence(db)
            return try publications.map { publication in
                let latest = try Row.fetchOne(db, sql: "SELECT * FROM site_revision WHERE site = ?", arguments: [publication.site]).map(Self.siteRevision)
                if let latest, latest.digest == publication.digest { return latest }
                let generation = (latest?.generation ?? 0) + 1
                try db.execute(
                    sql: "INSERT OR REPLACE INTO site_revision (site, generation, digest, payload, source_revision, published_at) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [publication.site, generation, publication.digest, publication.payload, publication.sourceRevision, at.timeIntervalSince1970])
                return SiteRevision(
                    site: publication.site, generation: generation, digest: publication.digest, payload: publication.payload,
                    sourceRevision: publication.sourceRevision, publishedAt: at)
            }
        } }
    }

    public func siteRevision(_ site: String) async throws -> SiteRevision? {
        try await guarded { try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM site_revision WHERE site = ?", arguments: [site]).map(Self.siteRevision)
        } }
    }

    public func siteRevisions() async throws -> [SiteRevision] {
        try await guarded { try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM site_revision ORDER BY site").map(Self.siteRevision)
        } }
    }

    public func saveAgentReport(_ report: AgentReport) async throws {
        try await guarded { try await pool.write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO agent_report (site, received_at, body) VALUES (?, ?, ?)",
                arguments: [report.site, report.receivedAt.timeIntervalSince1970, report.body])
        } }
    }

    public func agentReports() async throws -> [AgentReport] {
        try await guarded { try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM agent_report ORDER BY site").map { row in
                AgentReport(site: row["site"], receivedAt: Date(timeIntervalSince1970: row["received_at"]), body: row["body"])
            }
        } }
    }

    private static func siteRevision(_ row: Row) -> SiteRevision {
        SiteRevision(
            site: row["site"], generation: row["generation"], digest: row["digest"], payload: row["payload"], sourceRevision: row["source_revision"],
            publishedAt: Date(timeIntervalSince1970: row["published_at"]))
    }

    // MARK: Drift history

    public func recordDrift(_ record: DriftRecord, of id: ResourceID, keep: Int) async throws {
        try await guarded { try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO drift (resource_id, at, fields, missing, outcome) VALUES (?, ?, ?, ?, ?)",
                arguments: [id.description, record.at.timeIntervalSince1970, record.fieldsJSON, record.missing, record.storedOutcome])
            try db.execute(
                sql: "DELETE FROM drift WHERE resource_id = ? AND seq NOT IN (SELECT seq FROM drift WHERE resource_id = ? ORDER BY seq DESC LIMIT ?)",
                arguments: [id.description, id.description, keep])
        } }
    }

    public func drifts(of id: ResourceID) async throws -> [DriftRecord] {
        try await guarded { try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, fields, missing, outcome FROM drift WHERE resource_id = ? ORDER BY seq", arguments: [id.description]).compactMap { row in
                DriftRecord(at: Date(timeIntervalSince1970: row["at"]), fieldsJSON: row["fields"], missing: row["missing"], storedOutcome: row["outcome"])
            }
        } }
    }

    public func forgetDrifts(of id: ResourceID) async throws {
        try await guarded { try await pool.write { db in try db.execute(sql: "DELETE FROM drift WHERE resource_id = ?", arguments: [id.description]) } }
    }

    // MARK: Suspension

    public func syncSuspension() async throws -> SyncSuspension? {
        try await guarded { try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT by, at FROM sync_suspension WHERE id = 1").map { row in
                SyncSuspension(by: row["by"], at: Date(timeIntervalSince1970: row["at"]))
            }
        } }
    }

    public func setSyncSuspension(_ suspension: SyncSuspension?) async throws {
        try await guarded { try await pool.write { db in
            if let suspension {
                try db.execute(sql: "INSERT OR REPLACE INTO sync_suspension (id, by, at) VALUES (1, ?, ?)", arguments: [suspension.by, suspension.at.timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM sync_suspension")
            }
        } }
    }

    // MARK: Plan key

    /// Kept in its own file beside the database (`plan.key`, mode 0600), as it always was.
    public func planKey(create: Bool) async throws -> [UInt8]? {
        try PlanKey.load(stateDirectory: PathText.deletingLastComponent(path), create: create)
    }

    // MARK: Copying a whole state

    public func snapshot() async throws -> StateSnapshot {
        let (records, intents, outcomes, tokens, outbox, cursors): ([StoredRecord.Inventory], [JournalIntentRecord], [JournalOutcome], [APIToken], [StoredOutboxEvent], [String: Int64]) = try await guarded {
            try await pool.read { db in
                let records = try Row.fetchAll(db, sql: "SELECT \(Self.inventoryColumns) FROM inventory").map(Self.inventoryRecord)
                let intents = try Row.fetchAll(db, sql: "SELECT * FROM journal_intent ORDER BY seq").map(Self.intent)
                let outcomes = try Row.fetchAll(db, sql: "SELECT * FROM journal_outcome ORDER BY intent_seq").map(Self.outcome)
                let tokens = try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY name").map(decodeToken)
                let outbox = try Row.fetchAll(db, sql: "SELECT seq, event_id, subject, body FROM outbox_event ORDER BY seq").map { row in
                    StoredOutboxEvent(sequence: row["seq"], event: OutboxEvent(id: row["event_id"], subject: row["subject"], body: row["body"]))
                }
                var cursors: [String: Int64] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT sink, delivered_through FROM outbox_cursor") { cursors[row["sink"]] = row["delivered_through"] }
                return (records, intents, outcomes, tokens, outbox, cursors)
            }
        }
        let inventory = try readable { try records.map { record throws(StoredRecord.Unreadable) in try record.entry() } }
        return StateSnapshot(
            inventory: inventory, intents: intents, outcomes: outcomes, tokens: tokens, planKey: try await planKey(create: false),
            siteRevisions: try await siteRevisions(), agentReports: try await agentReports(), outbox: outbox, outboxCursors: cursors)
    }

    public func restore(_ snapshot: StateSnapshot) async throws {
        try await guarded {
            try await pool.write { db in
                try checkFence(db)
                let rows = try Int.fetchOne(db, sql: "SELECT (SELECT count(*) FROM inventory) + (SELECT count(*) FROM journal_intent) + (SELECT count(*) FROM api_token)") ?? 0
                guard rows == 0 else { throw StoreError.refused(path: path, reason: "the state is not empty (\(rows) rows); a copy never mixes two estates") }
                for entry in snapshot.inventory { try Self.write(entry, db) }
                for record in snapshot.intents {
                    let intent = record.intent
                    try db.execute(
                        sql: "INSERT INTO journal_intent (seq, run_id, resource_id, action, spec, spec_digest, at, revision, approval) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        arguments: [record.sequence, intent.runID, intent.id.description, intent.action.rawValue, JSONText.string(.map(intent.spec)), intent.specDigest, intent.at.timeIntervalSince1970, intent.revision, intent.approval])
                }
                for outcome in snapshot.outcomes { try Self.insert(outcome, db) }
                for stored in snapshot.outbox {
                    try db.execute(
                        sql: "INSERT INTO outbox_event (seq, event_id, subject, body) VALUES (?, ?, ?, ?)",
                        arguments: [stored.sequence, stored.event.id, stored.event.subject, stored.event.body])
                }
                for (sink, through) in snapshot.outboxCursors {
                    try db.execute(sql: "INSERT OR REPLACE INTO outbox_cursor (sink, delivered_through) VALUES (?, ?)", arguments: [sink, through])
                }
                // New events follow every copied event and cursor.
                let floor = snapshot.outboxSequenceFloor
                if floor > 0 {
                    try db.execute(sql: "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'outbox_event'", arguments: [floor])
                    if db.changesCount == 0 { try db.execute(sql: "INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox_event', ?)", arguments: [floor]) }
                }
                for token in snapshot.tokens {
                    try db.execute(sql: "INSERT INTO api_token (name, digest, role, created_at) VALUES (?, ?, ?, ?)",
                                   arguments: [token.name, token.digestHex, token.storedRole, token.createdAt.timeIntervalSince1970])
                }
                for revision in snapshot.siteRevisions {
                    try db.execute(
                        sql: "INSERT INTO site_revision (site, generation, digest, payload, source_revision, published_at) VALUES (?, ?, ?, ?, ?, ?)",
                        arguments: [revision.site, revision.generation, revision.digest, revision.payload, revision.sourceRevision, revision.publishedAt.timeIntervalSince1970])
                }
                for report in snapshot.agentReports {
                    try db.execute(
                        sql: "INSERT INTO agent_report (site, received_at, body) VALUES (?, ?, ?)",
                        arguments: [report.site, report.receivedAt.timeIntervalSince1970, report.body])
                }
            }
        }
        if let key = snapshot.planKey { try PlanKey.install(key, stateDirectory: PathText.deletingLastComponent(path)) }
    }

    private static func insert(_ outcome: JournalOutcome, _ db: Database) throws {
        try db.execute(
            sql: "INSERT INTO journal_outcome (intent_seq, status, attempts, error, outputs, at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [outcome.intentSequence, outcome.status.rawValue, outcome.attempts, outcome.error, outcome.outputs.map { JSONText.string(.map($0)) }, outcome.at.timeIntervalSince1970])
    }

    static func outcome(_ row: Row) throws -> JournalOutcome {
        let sequence: Int64 = row["intent_seq"]
        let text: String = row["status"]
        guard let status = JournalOutcome.Status(rawValue: text) else { throw StoredRecord.Unreadable("journal entry \(sequence): unknown outcome '\(text)'") }
        return JournalOutcome(
            intentSequence: sequence, status: status, attempts: row["attempts"], error: row["error"],
            outputs: try (row["outputs"] as String?).map { text throws(StoredRecord.Unreadable) in try StoredRecord.fields(text) }, at: Date(timeIntervalSince1970: row["at"]))
    }

    private func decodeToken(_ row: Row) throws -> APIToken {
        try readable { try StoredRecord.token(name: row["name"], digestHex: row["digest"], role: row["role"], createdAt: row["created_at"]) }
    }

    // MARK: Rows

    private func guarded<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            if Self.isBusy(error) {
                throw StoreError.unavailable(path: path, reason: "the database is busy (\(error.message ?? "locked"))")
            }
            if error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB {
                throw StoreError.corrupt(path: path, reason: error.message ?? "\(error)")
            }
            throw StoreError.unavailable(path: path, reason: "\(error)")
        }
    }

    /// Another connection holds a lock this statement needs, past the busy timeout.
    private static func isBusy(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }

    private static func write(_ entry: InventoryEntry, _ db: Database) throws {
        let record = StoredRecord.Inventory(entry)
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO inventory (id, kind, name, site, spec, spec_digest, outputs, status, last_error, generation,
                    dependencies, prevent_destroy, deletion, prune, created_at, updated_at, stands_in_for, labels, manifest)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.id, entry.id.kind, entry.id.name, entry.id.site, record.spec, record.specDigest, record.outputs, record.status, record.lastError,
                record.generation, record.dependencies, record.preventDestroy, record.deletion, record.prune, record.createdAt, record.updatedAt,
                record.standsInFor, record.labels, record.manifest,
            ])
    }

    /// One inventory row read by position: looking columns up by name costs a case-insensitive
    /// search per value, which dominated reading 100k rows.
    static let inventoryColumns = StoredRecord.Inventory.columns.joined(separator: ", ")

    static func inventoryRecord(_ row: Row) -> StoredRecord.Inventory {
        StoredRecord.Inventory(
            id: row[0], spec: row[1], specDigest: row[2], outputs: row[3], status: row[4], lastError: row[5], generation: row[6],
            dependencies: row[7], preventDestroy: row[8], deletion: row[9], prune: row[10], createdAt: row[11], updatedAt: row[12], standsInFor: row[13], labels: row[14], manifest: row[15])
    }

    static func intent(_ row: Row) throws -> JournalIntentRecord {
        try StoredRecord.intent(
            sequence: row["seq"], runID: row["run_id"], resourceID: row["resource_id"], action: row["action"], spec: row["spec"],
            specDigest: row["spec_digest"], at: row["at"], revision: row["revision"], approval: row["approval"])
    }

    static func holder(_ row: Row) -> LockHolder {
        LockHolder(
            owner: row["owner"], pid: row["pid"], host: row["host"], bootID: row["boot_id"], startTime: UInt64(bitPattern: row["start_time"] as Int64),
            command: row["command"], since: Date(timeIntervalSince1970: row["since"]), epoch: row["epoch"], expiresAt: Date(timeIntervalSince1970: row["expires_at"]))
    }
}
