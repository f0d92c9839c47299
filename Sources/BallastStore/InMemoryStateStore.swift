import BallastCore
import Foundation

/// A state store that lives in memory: for tests, and for runs that keep no state.
public actor InMemoryStateStore: StateStore {
    private var entries: [ResourceID: InventoryEntry]
    private var intents: [JournalIntentRecord] = []
    private var outcomes: [Int64: JournalOutcome] = [:]
    private var holder: LockHolder?

    public init(_ entries: [InventoryEntry] = []) {
        self.entries = Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0) })
    }

    public func inventory() -> [ResourceID: InventoryEntry] {
        entries
    }

    public func entry(_ id: ResourceID) -> InventoryEntry? {
        entries[id]
    }

    public func upsert(_ entry: InventoryEntry) {
        entries[entry.id] = entry
    }

    public func remove(_ id: ResourceID) {
        entries[id] = nil
    }

    public func recordIntent(_ intent: JournalIntent) -> Int64 {
        let sequence = Int64(intents.count + 1)
        intents.append(JournalIntentRecord(sequence: sequence, intent: intent))
        return sequence
    }

    public func recordOutcome(_ outcome: JournalOutcome, change: InventoryChange) {
        outcomes[outcome.intentSequence] = outcome
        switch change {
        case .none: break
        case .upsert(let entry): entries[entry.id] = entry
        case .remove(let id): entries[id] = nil
        }
    }

    public func unfinishedIntents() -> [JournalIntentRecord] {
        intents.filter { outcomes[$0.sequence] == nil }
    }

    public func events(since: Date?) -> [JournalEvent] {
        intents.filter { since == nil || $0.intent.at >= since! }.map { record in
            JournalEvent(sequence: record.sequence, runID: record.intent.runID, id: record.intent.id, action: record.intent.action, startedAt: record.intent.at, outcome: outcomes[record.sequence])
        }
    }

    public func acquireLock(_ holder: LockHolder, wait: Duration) throws -> LockAcquisition {
        if let current = self.holder, current.owner != holder.owner {
            if current.isDead {
                self.holder = holder
                return .tookOver(from: current)
            }
            throw StoreError.locked(path: "memory", by: current)
        }
        self.holder = holder
        return .acquired
    }

    public func releaseLock(_ holder: LockHolder) {
        if self.holder?.owner == holder.owner { self.holder = nil }
    }

    public func lockHolder() -> LockHolder? {
        holder
    }
}
