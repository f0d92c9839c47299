import BallastCore

/// Builds the inventory from stored rows as they are read, a chunk at a time: each chunk is
/// decoded on every core and then dropped, so the raw rows of the whole inventory (their JSON
/// text) never sit in memory beside the decoded entries. Every store's `inventory()` goes
/// through it.
public struct InventoryAssembler {
    /// Rows decoded together: enough for every core to take a share, few enough that a chunk of
    /// raw text is small beside the inventory.
    public static let chunkSize = 8_192

    private var pending: [StoredRecord.Inventory] = []
    private var entries: Inventory = [:]

    public init(expected: Int = 0) {
        entries.reserveCapacity(expected)
        pending.reserveCapacity(Self.chunkSize)
    }

    /// Takes one stored row; decodes the chunk when it is full.
    public mutating func add(_ record: StoredRecord.Inventory) throws(StoredRecord.Unreadable) {
        pending.append(record)
        if pending.count == Self.chunkSize { try decodePending() }
    }

    /// Every entry added, by id. A row that cannot be decoded is an error, never skipped.
    public mutating func finish() throws(StoredRecord.Unreadable) -> Inventory {
        try decodePending()
        defer { entries = [:] }
        return entries
    }

    private mutating func decodePending() throws(StoredRecord.Unreadable) {
        guard !pending.isEmpty else { return }
        let decoded = pending.parallelMap(minimumPerSlice: 1_024) { record in Result { () throws(StoredRecord.Unreadable) in try record.entry() } }
        pending.removeAll(keepingCapacity: true)
        for result in decoded {
            let entry = try result.get()
            entries[entry.id] = entry
        }
    }
}
