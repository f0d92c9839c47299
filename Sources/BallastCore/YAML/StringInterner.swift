import Glibc

/// Keeps one copy of each longer string that one parse produces, and hands out that copy
/// each time the same bytes come again.
///
/// Manifests repeat themselves: the same label keys, owners, images and registry addresses
/// appear in thousands of documents. Strings of up to 15 UTF-8 bytes live inline in a
/// `String` and cost nothing to repeat; a longer one is its own heap allocation (48 to 80
/// bytes) every time it is decoded. Repeats are found by hashing the bytes, so a repeat
/// allocates nothing at all.
struct StringInterner {
    /// Longer strings (block scalars, keys, certificates) rarely repeat; they are not hashed.
    static let maximumLength = 128
    /// A parse that produces more distinct strings than this stops adding them, so the table
    /// stays small on inputs where nothing repeats.
    static let maximumEntries = 1 << 16

    private var strings: [String] = []
    /// Open addressing over `strings`: 0 is empty, else an index plus one.
    private var slots: [Int32] = []
    private var mask = 0

    /// The string these UTF-8 bytes decode to; a shared copy when the bytes came before.
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.count > 15, bytes.count <= Self.maximumLength, let base = bytes.baseAddress else {
            return String(decoding: bytes, as: UTF8.self)
        }
        let hash = Self.hash(bytes)
        if !slots.isEmpty {
            var slot = hash & mask
            while slots[slot] != 0 {
                var candidate = strings[Int(slots[slot]) - 1]
                let same = candidate.withUTF8 { utf8 in
                    utf8.count == bytes.count && memcmp(utf8.baseAddress!, base, bytes.count) == 0
                }
                if same { return candidate }
                slot = (slot + 1) & mask
            }
        }
        let string = String(decoding: bytes, as: UTF8.self)
        if strings.count < Self.maximumEntries {
            if (strings.count + 1) * 2 > slots.count { grow() }
            strings.append(string)
            var slot = hash & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(strings.count)
        }
        return string
    }

    /// Doubles the table (kept at most half full) and re-inserts every string.
    private mutating func grow() {
        let size = max(64, slots.count * 2)
        slots = Array(repeating: 0, count: size)
        mask = size - 1
        for index in strings.indices {
            var string = strings[index]
            var slot = string.withUTF8(Self.hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(index + 1)
        }
    }

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var hasher = Hasher()
        hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
        return hasher.finalize()
    }
}
