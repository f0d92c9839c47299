/// A hash index over the elements of an array that the caller keeps: open addressing with
/// linear probing, four bytes a slot.
///
/// A `[Key: Int]` over 100k manifests holds a copy of every key in a table kept under three
/// quarters full, about 100 bytes a manifest; this holds only positions, and compares keys
/// through the caller's array.
struct IndexTable: Sendable {
    /// 0 for an empty slot, else a position plus one.
    private var slots: [UInt32]
    private let mask: Int

    /// A table with room for `capacity` positions (it does not grow).
    init(capacity: Int) {
        var size = 16
        while size * 3 < capacity * 4 + 4 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    /// The first position added with this hash whose element `matches`, if any.
    func first(hash: Int, where matches: (Int) -> Bool) -> Int? {
        var slot = hash & mask
        while slots[slot] != 0 {
            let position = Int(slots[slot]) - 1
            if matches(position) { return position }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Adds a position under its element's hash. At most `capacity` positions may be added.
    mutating func add(_ position: Int, hash: Int) {
        precondition(position >= 0 && position < Int(UInt32.max), "IndexTable positions fit in 32 bits")
        var slot = hash & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = UInt32(position + 1)
    }
}
