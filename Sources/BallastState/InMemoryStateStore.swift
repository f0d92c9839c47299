import BallastCore
import Foundation

/// A state store that lives in memory: for tests, and for runs that keep no state.
public actor InMemoryStateStore: StateStore {
    private var entries: Inventory
    private var intents: [JournalIntentRecord] = []
    private var outcomes: [Int64: JournalOutcome] = [:]
    private var holder: LockHolder?
    private var epoch: Int64 = 0
    /// The lease this store's writes are fenced by, once one was granted.
    private var fence: LockHolder?
    private var apiTokens: [String: APIToken] = [:]
    private var key: [UInt8]?
    private var suspension: SyncSuspension?
    private var driftHistories: [ResourceID: [DriftRecord]] = [:]
    private var outboxEvents: [StoredOutboxEvent] = []
    private var outboxSequence: Int64 = 0
    private var cursors: [String: Int64] = [:]
    private var publishedRevisions: [String: SiteRevision] = [:]
    private var reports: [String: AgentReport] = [:]

    public init(_ entries: [InventoryEntry] = []) {
        self.entries = Inventory(uniqueKeysWithValues: entries.map { ($0.id, $0) })
    }

    public func inventory() -> Inventory {
        entries
    }

    public func entry(_ id: ResourceID) -> InventoryEntry? {
        entries[id]
    }

    public func upsert(_ entry: InventoryEntry) throws {
        try checkFence()
        entries[entry.id] = entry
    }

    public func upsert(contentsOf entries: [InventoryEntry]) throws {
        try checkFence()
        for entry in entries { self.entries[entry.id] = entry }
    }

    public func remove(_ id: ResourceID) throws {
        try checkFence()
        entries[id] = nil
    }

    public func recordIntent(_ intent: JournalIntent) throws -> Int64 {
        try checkFence()
        let sequence = (intents.last?.sequence ?? 0) + 1
        intents.append(JournalIntentRecord(sequence: sequence, intent: intent))
        return sequence
    }

    public func recordOutcome(_ outcome: JournalOutcome, change: InventoryChange, events: [OutboxEvent]) throws {
        try checkFence()
        // Sequences are 1...count: an outcome names an intent that exists and has none yet.
        guard outcome.intentSequence >= 1, outcome.intentSequence <= Int64(intents.count), outcomes[outcome.intentSequence] == nil else {
            throw StoreError.corrupt(path: "memory", reason: "intent \(outcome.intentSequence) has an outcome already, or does not exist")
        }
        outcomes[outcome.intentSequence] = outcome
        switch change {
        case .none: break
        case .upsert(let entry): entries[entry.id] = entry
        case .remove(let id): entries[id] = nil
        }
        enqueueEvents(events)
    }

    // MARK: Outbox

    public func enqueueEvents(_ events: [OutboxEvent]) {
        for event in events {
            outboxSequence += 1
            outboxEvents.append(StoredOutboxEvent(sequence: outboxSequence, event: event))
        }
    }

    public func outbox(sink: String, limit: Int) -> OutboxBatch {
        let cursor = cursors[sink] ?? ((outboxEvents.first?.sequence ?? outboxSequence + 1) - 1)
        cursors[sink] = cursor
        return OutboxBatch(cursor: cursor, events: Array(outboxEvents.lazy.filter { $0.sequence > cursor }.prefix(max(0, limit))))
    }

    public func acknowledge(sink: String, from: Int64, through: Int64) {
        guard cursors[sink] == from, through > from else { return }
        cursors[sink] = through
    }

    public func trimOutbox(keeping: Int, sinks: [String]) -> [String: Int] {
        if let delivered = sinks.compactMap({ cursors[$0] }).min(), sinks.allSatisfy({ cursors[$0] != nil }) {
            outboxEvents.removeAll { $0.sequence <= delivered }
        }
        var dropped: [String: Int] = [:]
        let excess = outboxEvents.count - max(0, keeping)
        guard excess > 0 else { return dropped }
        let droppedThrough = outboxEvents[excess - 1].sequence
        for sink in sinks {
            let cursor = cursors[sink] ?? 0
            dropped[sink] = outboxEvents.prefix(excess).count { $0.sequence > cursor }
            cursors[sink] = max(cursor, droppedThrough)
        }
        outboxEvents.removeFirst(excess)
        return dropped
    }

    public func unfinishedIntents() -> [JournalIntentRecord] {
        intents.filter { outcomes[$0.sequence] == nil }
    }

    public func events(_ query: JournalQuery) -> [JournalEvent] {
        var matching = intents.filter {
            (query.since == nil || $0.intent.at >= query.since!) && (query.resource == nil || $0.intent.id == query.resource!) && (query.action == nil || $0.intent.action == query.action!)
        }
        if let newest = query.newest { matching = Array(matching.suffix(max(0, newest))) }
        return matching.map { record in JournalEvent(record, outcome: outcomes[record.sequence]) }
    }

    public func acquireLock(_ holder: LockHolder, wait: Duration) async throws -> LockAcquisition {
        try await LeaseAttempt.acquire(wait: wait, path: "memory") { attempt(holder) }
    }

    private func attempt(_ holder: LockHolder) -> LeaseAttempt {
        let now = Date()
        if let current = self.holder, current.owner != holder.owner, !current.isFree(at: now) {
            return .blocked(by: current)
        }
        let previous = self.holder.flatMap { $0.owner == holder.owner ? nil : $0 }
        epoch += 1
        var granted = holder
        granted.epoch = epoch
        granted.expiresAt = now.addingTimeInterval(granted.ttl.timeInterval)
        self.holder = granted
        fence = granted
        return .granted(granted, previous: previous)
    }

    public func renewLock(_ holder: LockHolder) throws -> LockHolder {
        guard var current = self.holder, current.owner == holder.owner, current.epoch == holder.epoch else {
            throw StoreError.leaseLost(path: "memory", holder: holder)
        }
        current.expiresAt = Date().addingTimeInterval(current.ttl.timeInterval)
        self.holder = current
        return current
    }

    public func releaseLock(_ holder: LockHolder) {
        if self.holder?.owner == holder.owner { self.holder = nil }
        if fence?.owner == holder.owner { fence = nil }
    }

    public func forceUnlock(owner: String) -> LockHolder? {
        guard let current = holder, current.owner == owner else { return nil }
        holder = nil
        return current
    }

    private func checkFence() throws {
        guard let fence else { return }
        guard let current = holder, current.owner == fence.owner, current.epoch == fence.epoch else {
            throw StoreError.leaseLost(path: "memory", holder: fence)
        }
    }

    public func lockHolder() -> LockHolder? {
        holder
    }

    public func saveToken(_ token: APIToken) {
        apiTokens[token.name] = token
    }

    public func token(digest: [UInt8]) -> APIToken? {
        apiTokens.values.first { $0.digest == digest }
    }

    public func tokens() -> [APIToken] {
        apiTokens.values.sorted { $0.name < $1.name }
    }

    public func revokeToken(name: String) -> Bool {
        apiTokens.removeValue(forKey: name) != nil
    }

    public func recordDrift(_ record: DriftRecord, of id: ResourceID, keep: Int) {
        var history = driftHistories[id] ?? []
        history.append(record)
        if history.count > keep { history.removeFirst(history.count - keep) }
        driftHistories[id] = history
    }

    public func drifts(of id: ResourceID) -> [DriftRecord] { driftHistories[id] ?? [] }

    public func forgetDrifts(of id: ResourceID) { driftHistories[id] = nil }

    public func syncSuspension() -> SyncSuspension? { suspension }

    public func setSyncSuspension(_ suspension: SyncSuspension?) { self.suspension = suspension }

    public func snapshot() -> StateSnapshot {
        StateSnapshot(
            inventory: Array(entries.values), intents: intents, outcomes: Array(outcomes.values), tokens: Array(apiTokens.values), planKey: key,
            siteRevisions: Array(publishedRevisions.values), agentReports: Array(reports.values), outbox: outboxEvents, outboxCursors: cursors)
    }

    public func restore(_ snapshot: StateSnapshot) throws {
        try checkFence()
        guard self.snapshot().isEmpty else { throw StoreError.refused(path: "memory", reason: "the state is not empty") }
        publishedRevisions = Dictionary(uniqueKeysWithValues: snapshot.siteRevisions.map { ($0.site, $0) })
        reports = Dictionary(uniqueKeysWithValues: snapshot.agentReports.map { ($0.site, $0) })
        entries = Inventory(uniqueKeysWithValues: snapshot.inventory.map { ($0.id, $0) })
        intents = snapshot.intents
        outcomes = Dictionary(uniqueKeysWithValues: snapshot.outcomes.map { ($0.intentSequence, $0) })
        apiTokens = Dictionary(uniqueKeysWithValues: snapshot.tokens.map { ($0.name, $0) })
        key = snapshot.planKey ?? key
        outboxEvents = snapshot.outbox
        cursors = snapshot.outboxCursors
        outboxSequence = snapshot.outboxSequenceFloor
    }

    public func planKey(create: Bool) -> [UInt8]? {
        if key == nil && create {
            var generator = SystemRandomNumberGenerator()
            key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        }
        return key
    }

    // MARK: Agents

    public func publishSiteRevisions(_ publications: [SitePublication], at: Date) throws -> [SiteRevision] {
        try checkFence()
        return publications.map { publication in
            if let latest = publishedRevisions[publication.site], latest.digest == publication.digest { return latest }
            let revision = SiteRevision(
                site: publication.site, generation: (publishedRevisions[publication.site]?.generation ?? 0) + 1, digest: publication.digest, payload: publication.payload,
                sourceRevision: publication.sourceRevision, publishedAt: at)
            publishedRevisions[publication.site] = revision
            return revision
        }
    }

    public func siteRevision(_ site: String) -> SiteRevision? { publishedRevisions[site] }

    public func siteRevisions() -> [SiteRevision] { publishedRevisions.values.sorted { $0.site < $1.site } }

    public func saveAgentReport(_ report: AgentReport) { reports[report.site] = report }

    public func agentReports() -> [AgentReport] { reports.values.sorted { $0.site < $1.site } }
}
