import BallastCore
import Foundation

/// Where Ballast keeps what it manages: the inventory, the journal of actions, and the
/// single-writer lock.
///
/// Implementations are safe to call from many tasks at once, and every write is atomic: it
/// happens entirely or not at all, and once a call returns it survives the process dying.
public protocol StateStore: EventOutbox, AgentStore, SuspensionStore, DriftHistoryStore {
    /// Every resource Ballast manages, by id. Ballast never deletes what is absent here.
    func inventory() async throws -> Inventory

    /// The inventory entry of one resource, or nil when Ballast does not manage it.
    func entry(_ id: ResourceID) async throws -> InventoryEntry?

    /// Adds or replaces one inventory entry.
    func upsert(_ entry: InventoryEntry) async throws

    /// Adds or replaces many inventory entries, a chunk of them a transaction (fewer commits
    /// than one call per entry, and each transaction well inside the store's deadline): a
    /// failure or crash may keep some chunks and not others, never half an entry. Fenced like
    /// ``upsert(_:)``.
    func upsert(contentsOf entries: [InventoryEntry]) async throws

    /// Forgets one resource; succeeds if it is absent.
    func remove(_ id: ResourceID) async throws

    /// Appends an intent to the journal and returns its sequence number. It is committed
    /// before this returns, so it is there even if the process dies during the provider call.
    func recordIntent(_ intent: JournalIntent) async throws -> Int64

    /// Appends the outcome of an intent, applies its inventory change and appends `events` (the
    /// events that report it, for the event sinks) in one transaction: a crash keeps all of it
    /// or none.
    func recordOutcome(_ outcome: JournalOutcome, change: InventoryChange, events: [OutboxEvent]) async throws

    /// Intents that have no outcome (the process died between the two), oldest first.
    func unfinishedIntents() async throws -> [JournalIntentRecord]

    /// The journal entries `query` asks for, oldest first: each intent with its outcome, if any.
    func events(_ query: JournalQuery) async throws -> [JournalEvent]

    /// Takes the single-writer lease for `holder.ttl`, waiting up to `wait`, with an epoch higher
    /// than any granted before. A lease whose holder is gone or whose expiry passed is taken over.
    /// Throws ``StoreError/locked`` when another holder keeps it.
    ///
    /// From then on, every write through this store instance checks, in its own transaction,
    /// that the lease is still this one (same lock id and epoch) and throws
    /// ``StoreError/leaseLost`` otherwise: a process paused past its expiry never writes again.
    func acquireLock(_ holder: LockHolder, wait: Duration) async throws -> LockAcquisition

    /// Extends the lease by its ttl and returns it; throws ``StoreError/leaseLost`` when it is no
    /// longer this holder's (taken over after it lapsed, or force-unlocked).
    func renewLock(_ holder: LockHolder) async throws -> LockHolder

    /// Releases the lease if `holder` has it.
    func releaseLock(_ holder: LockHolder) async throws

    /// Removes the lease whose lock id is `owner`, whoever holds it (`ballast force-unlock`), and
    /// returns it; nil when no lease has that id. Its holder's later writes are refused.
    func forceUnlock(owner: String) async throws -> LockHolder?

    /// Who holds the lease now, if anyone (it may have lapsed).
    func lockHolder() async throws -> LockHolder?

    /// Stores an API token's record, replacing one of the same name. Token records are not
    /// fenced by the lease: a running daemon keeps the lease, and tokens are managed beside it.
    func saveToken(_ token: APIToken) async throws

    /// The token whose digest is `digest`, or nil; a revoked token is gone at once.
    func token(digest: [UInt8]) async throws -> APIToken?

    /// Every stored token, sorted by name.
    func tokens() async throws -> [APIToken]

    /// Deletes the token named `name`; false when there was none.
    func revokeToken(name: String) async throws -> Bool

    /// The secret key that seals saved plans and keys the secrets digest: 32 random bytes that
    /// live with the state, never in a plan. Created when absent and `create` is true (of two
    /// processes creating it at once, one key wins and both get it); nil when absent otherwise.
    func planKey(create: Bool) async throws -> [UInt8]?

    /// Everything but the lease, read as of one moment (one transaction), for `state migrate`.
    func snapshot() async throws -> StateSnapshot

    /// Writes `snapshot` into this state in one transaction (all of it or none), keeping the
    /// journal's sequence numbers (later intents continue after them) and the plan key (saved
    /// plans stay valid). Refuses with ``StoreError/refused(path:reason:)`` a state that holds
    /// anything already: a copy never mixes two estates. Fenced like every write.
    func restore(_ snapshot: StateSnapshot) async throws
}

extension StateStore {
    /// The journal from `since` (all of it when nil), oldest first.
    public func events(since: Date?) async throws -> [JournalEvent] {
        try await events(JournalQuery(since: since))
    }

    /// Appends an outcome that no event reports (no event sink is configured).
    public func recordOutcome(_ outcome: JournalOutcome, change: InventoryChange) async throws {
        try await recordOutcome(outcome, change: change, events: [])
    }
}
