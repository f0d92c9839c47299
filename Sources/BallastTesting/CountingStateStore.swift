import BallastCore
import BallastState
import Foundation
import Synchronization

/// A ``StateStore`` that counts the calls made to each of its requirements and passes them on
/// to another: how tests show that some work costs the same store calls whatever the estate's
/// size, without timing anything.
public final class CountingStateStore: StateStore {
    public let inner: any StateStore
    private let counts = Mutex([String: Int]())

    public init(_ inner: any StateStore) {
        self.inner = inner
    }

    /// The calls so far, by requirement name.
    public var calls: [String: Int] { counts.withLock { $0 } }

    /// Forgets the calls counted so far.
    public func reset() { counts.withLock { $0 = [:] } }

    private func count(_ name: String = #function) {
        let key = String(name.prefix { $0 != "(" })
        counts.withLock { $0[key, default: 0] += 1 }
    }

    public func inventory() async throws -> Inventory { count(); return try await inner.inventory() }
    public func entry(_ id: ResourceID) async throws -> InventoryEntry? { count(); return try await inner.entry(id) }
    public func upsert(_ entry: InventoryEntry) async throws { count(); try await inner.upsert(entry) }
    public func upsert(contentsOf entries: [InventoryEntry]) async throws { count(); try await inner.upsert(contentsOf: entries) }
    public func remove(_ id: ResourceID) async throws { count(); try await inner.remove(id) }
    public func recordIntent(_ intent: JournalIntent) async throws -> Int64 { count(); return try await inner.recordIntent(intent) }
    public func recordOutcome(_ outcome: JournalOutcome, change: InventoryChange, events: [OutboxEvent]) async throws {
        count()
        try await inner.recordOutcome(outcome, change: change, events: events)
    }
    public func unfinishedIntents() async throws -> [JournalIntentRecord] { count(); return try await inner.unfinishedIntents() }
    public func events(_ query: JournalQuery) async throws -> [JournalEvent] { count(); return try await inner.events(query) }
    public func acquireLock(_ holder: LockHolder, wait: Duration) async throws -> LockAcquisition { count(); return try await inner.acquireLock(holder, wait: wait) }
    public func renewLock(_ holder: LockHolder) async throws -> LockHolder { count(); return try await inner.renewLock(holder) }
    public func releaseLock(_ holder: LockHolder) async throws { count(); try await inner.releaseLock(holder) }
    public func forceUnlock(owner: String) async throws -> LockHolder? { count(); return try await inner.forceUnlock(owner: owner) }
    public func lockHolder() async throws -> LockHolder? { count(); return try await inner.lockHolder() }
    public func saveToken(_ token: APIToken) async throws { count(); try await inner.saveToken(token) }
    public func token(digest: [UInt8]) async throws -> APIToken? { count(); return try await inner.token(digest: digest) }
    public func tokens() async throws -> [APIToken] { count(); return try await inner.tokens() }
    public func revokeToken(name: String) async throws -> Bool { count(); return try await inner.revokeToken(name: name) }
    public func planKey(create: Bool) async throws -> [UInt8]? { count(); return try await inner.planKey(create: create) }
    public func snapshot() async throws -> StateSnapshot { count(); return try await inner.snapshot() }
    public func syncSuspension() async throws -> SyncSuspension? { count(); return try await inner.syncSuspension() }
    public func recordDrift(_ record: DriftRecord, of id: ResourceID, keep: Int) async throws { count(); try await inner.recordDrift(record, of: id, keep: keep) }
    public func drifts(of id: ResourceID) async throws -> [DriftRecord] { count(); return try await inner.drifts(of: id) }
    public func forgetDrifts(of id: ResourceID) async throws { count(); try await inner.forgetDrifts(of: id) }
    public func setSyncSuspension(_ suspension: SyncSuspension?) async throws { count(); try await inner.setSyncSuspension(suspension) }
    public func restore(_ snapshot: StateSnapshot) async throws { count(); try await inner.restore(snapshot) }
    public func publishSiteRevisions(_ publications: [SitePublication], at: Date) async throws -> [SiteRevision] {
        count()
        return try await inner.publishSiteRevisions(publications, at: at)
    }
    public func siteRevision(_ site: String) async throws -> SiteRevision? { count(); return try await inner.siteRevision(site) }
    public func siteRevisions() async throws -> [SiteRevision] { count(); return try await inner.siteRevisions() }
    public func saveAgentReport(_ report: AgentReport) async throws { count(); try await inner.saveAgentReport(report) }
    public func agentReports() async throws -> [AgentReport] { count(); return try await inner.agentReports() }
    public func enqueueEvents(_ events: [OutboxEvent]) async throws { count(); try await inner.enqueueEvents(events) }
    public func outbox(sink: String, limit: Int) async throws -> OutboxBatch { count(); return try await inner.outbox(sink: sink, limit: limit) }
    public func acknowledge(sink: String, from: Int64, through: Int64) async throws { count(); try await inner.acknowledge(sink: sink, from: from, through: through) }
    public func trimOutbox(keeping: Int, sinks: [String]) async throws -> [String: Int] { count(); return try await inner.trimOutbox(keeping: keeping, sinks: sinks) }
}
