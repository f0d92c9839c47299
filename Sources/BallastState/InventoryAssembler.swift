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
        var slices = pending.withUnsafeBufferPointer { buffer in
            nonisolated(unsafe) let rows = buffer
            return ParallelSlices.map(0..<buffer.count, minimumPerSlice: 1_024) { range in Self.decode(rows[range]) }
        }
        pending.removeAll(keepingCapacity: true)
        // Each decoded entry is moved into the table (popped from its reversed slice), not
        // copied: a copy retains every field of 8,192 entries, and dropping the slices releases
        // them all again, on this one thread while the other cores wait for the next chunk.
        slices.reverse()
        while var slice = slices.popLast() {
            if let problem = slice.problem { throw problem }
            slice.entries.reverse()
            while let entry = slice.entries.popLast() { entries[entry.id] = entry }
        }
    }

    /// One slice's entries in row order, or the first row it could not decode.
    private struct DecodedSlice: Sendable {
        var entries: [InventoryEntry] = []
        var problem: StoredRecord.Unreadable?
    }

    private static func decode(_ rows: Slice<UnsafeBufferPointer<StoredRecord.Inventory>>) -> DecodedSlice {
        var slice = DecodedSlice()
        slice.entries.reserveCapacity(rows.count)
        // Many resources share a manifest file: its path is kept once per slice, not per row.
        var manifests: [String: String] = [:]
        for row in rows {
            do {
                var entry = try row.entry()
                if let manifest = entry.manifest {
                    if let shared = manifests[manifest] { entry.manifest = shared } else { manifests[manifest] = manifest }
                }
                slice.entries.append(entry)
            } catch {
                slice.problem = error
                break
            }
        }
        return slice
    }
}
