import BallastCore
import Foundation

/// Where Ballast keeps what it manages: the inventory, the journal of actions, and the
/// single-writer lock.
///
/// Implementations are safe to call from many tasks at once, and every write is atomic: it
/// happens entirely or not at all, and once a call returns it survives the process dying.
public protocol StateStore: Sendable {
    /// Every resource Ballast manages, by id. Ballast never deletes what is absent here.
    func inventory() async throws -> [ResourceID: InventoryEntry]

    /// The inventory entry of one resource, or nil when Ballast does not manage it.
    func entry(_ id: ResourceID) async throws -> InventoryEntry?

    /// Adds or replaces one inventory entry.
    func upsert(_ entry: InventoryEntry) async throws

    /// Forgets one resource; succeeds if it is absent.
    func remove(_ id: ResourceID) async throws

    /// Appends an intent to the journal and returns its sequence number. It is committed
    /// before this returns, so it is there even if the process dies during the provider call.
    func recordIntent(_ intent: JournalIntent) async throws -> Int64

    /// Appends the outcome of an intent and applies its inventory change in one transaction.
    func recordOutcome(_ outcome: JournalOutcome, change: InventoryChange) async throws

    /// Intents that have no outcome (the process died between the two), oldest first.
    func unfinishedIntents() async throws -> [JournalIntentRecord]

    /// The journal, oldest first: each intent with its outcome, if any.
    func events(since: Date?) async throws -> [JournalEvent]

    /// Takes the single-writer lock, waiting up to `wait`; a lock left by a process that no
    /// longer exists is taken over. Throws ``StoreError/locked`` when another holder keeps it.
    func acquireLock(_ holder: LockHolder, wait: Duration) async throws -> LockAcquisition

    /// Releases the lock if `holder` has it.
    func releaseLock(_ holder: LockHolder) async throws

    /// Who holds the lock now, if anyone.
    func lockHolder() async throws -> LockHolder?
}
