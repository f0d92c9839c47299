import BallastCore

/// A state store that lives in memory: for tests, and for runs that keep no state.
public actor InMemoryStateStore: StateStore {
    private var entries: [ResourceID: InventoryEntry]

    public init(_ entries: [InventoryEntry] = []) {
        self.entries = Dictionary(uniqueKeysWithValues: entries.map { ($0.id, $0) })
    }

    public func inventory() -> [ResourceID: InventoryEntry] {
        entries
    }

    public func upsert(_ entry: InventoryEntry) {
        entries[entry.id] = entry
    }

    public func remove(_ id: ResourceID) {
        entries[id] = nil
    }
}
