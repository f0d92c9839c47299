/// A small map of strings (labels, annotations), kept sorted by key and packed into one buffer.
///
/// A manifest's labels are a handful of short strings, held by every resource of an estate. A
/// dictionary spends about 200 bytes and a hash per key on each; an array of pairs 32 bytes a
/// pair, plus an allocation for each string longer than 15 bytes (an annotation's description).
/// Here each pair is its key's UTF-8 length (LEB128), its bytes, then the value's: one
/// allocation about as long as the text. Lookups and iteration read the buffer in key order,
/// so output built from it is deterministic. Equality and hashing are the strings' own
/// (canonical equivalence, as `String` compares), not the bytes'.
public struct StringMap: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (key: String, value: String)

    fileprivate struct Pair: Sendable, Hashable, SortedPair {
        var key: String
        var value: String
    }

    private var packed: [UInt8]

    public init() {
        packed = []
    }

    /// Builds from pairs; a later pair wins over an earlier one with the same key.
    public init(_ elements: some Sequence<(String, String)>) {
        var pairs = elements.map { Pair(key: $0.0, value: $0.1) }
        pairs.sortKeepingLastOfEqualKeys()
        self.init(sorted: pairs)
    }

    public init(_ dictionary: [String: String]) {
        self.init(sorted: dictionary.map { Pair(key: $0.key, value: $0.value) }.sorted { $0.key < $1.key })
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// `pairs` sorted by unique key.
    private init(sorted pairs: [Pair]) {
        var size = 0
        for pair in pairs { size += Self.lengthSize(pair.key.utf8.count) + pair.key.utf8.count + Self.lengthSize(pair.value.utf8.count) + pair.value.utf8.count }
        var packed: [UInt8] = []
        packed.reserveCapacity(size)
        for pair in pairs {
            Self.append(pair.key, to: &packed)
            Self.append(pair.value, to: &packed)
        }
        self.packed = packed
    }

    public var count: Int {
        packed.withUnsafeBufferPointer { buffer in
            var count = 0
            var offset = 0
            while offset < buffer.count {
                offset = Self.skip(in: buffer, at: Self.skip(in: buffer, at: offset))
                count += 1
            }
            return count
        }
    }

    public var isEmpty: Bool { packed.isEmpty }
    public var keys: [String] { map(\.key) }

    /// The same pairs as a dictionary, for APIs that take one.
    public var dictionary: [String: String] {
        Dictionary(uniqueKeysWithValues: map { ($0.key, $0.value) })
    }

    public subscript(key: String) -> String? {
        get {
            // Keys are compared as bytes, and the values passed over unread, unless a key or
            // the one sought is beyond ASCII: then as `String`s, which compare by canonical
            // equivalence.
            let wantedIsASCII = key.utf8.allSatisfy { $0 < 0x80 }
            return packed.withUnsafeBufferPointer { buffer -> String? in
                var offset = 0
                while offset < buffer.count {
                    let keyStart = offset
                    let keyRange = Self.range(in: buffer, at: &offset)
                    let stored = UnsafeBufferPointer(rebasing: buffer[keyRange])
                    if stored.elementsEqual(key.utf8) { return Self.string(in: buffer, at: &offset) }
                    if wantedIsASCII, stored.allSatisfy({ $0 < 0x80 }) {
                        if key.utf8.lexicographicallyPrecedes(stored) { return nil }
                    } else {
                        var reread = keyStart
                        let storedKey = Self.string(in: buffer, at: &reread)
                        if storedKey == key { return Self.string(in: buffer, at: &offset) }
                        if key < storedKey { return nil }
                    }
                    offset = Self.skip(in: buffer, at: offset)
                }
                return nil
            }
        }
        set {
            var pairs = map { Pair(key: $0.key, value: $0.value) }
            pairs.setSortedValue(newValue, for: key)
            self = StringMap(sorted: pairs)
        }
    }

    public struct Iterator: IteratorProtocol {
        fileprivate let packed: [UInt8]
        fileprivate var offset = 0

        public mutating func next() -> Element? {
            guard offset < packed.count else { return nil }
            return packed.withUnsafeBufferPointer { buffer in
                let key = StringMap.string(in: buffer, at: &offset)
                let value = StringMap.string(in: buffer, at: &offset)
                return (key, value)
            }
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(packed: packed)
    }

    public var description: String {
        "[" + map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }

    public static func == (lhs: StringMap, rhs: StringMap) -> Bool {
        lhs.packed == rhs.packed || lhs.elementsEqual(rhs) { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for (key, value) in self {
            hasher.combine(key)
            hasher.combine(value)
        }
    }

    // MARK: The packing

    private static func lengthSize(_ length: Int) -> Int {
        var length = length
        var size = 1
        while length >= 0x80 {
            length >>= 7
            size += 1
        }
        return size
    }

    private static func append(_ text: String, to packed: inout [UInt8]) {
        var length = text.utf8.count
        while length >= 0x80 {
            packed.append(UInt8(length & 0x7F) | 0x80)
            length >>= 7
        }
        packed.append(UInt8(length))
        packed.append(contentsOf: text.utf8)
    }

    /// Where the bytes of the string at `offset` are; `offset` moves past them. Only
    /// ``append(_:to:)`` wrote the buffer.
    private static func range(in packed: UnsafeBufferPointer<UInt8>, at offset: inout Int) -> Range<Int> {
        var length = 0
        var shift = 0
        while true {
            let byte = packed[offset]
            offset += 1
            length |= Int(byte & 0x7F) << shift
            if byte < 0x80 { break }
            shift += 7
        }
        let start = offset
        offset += length
        return start..<offset
    }

    /// The string at `offset`, which moves past it.
    fileprivate static func string(in packed: UnsafeBufferPointer<UInt8>, at offset: inout Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: packed[range(in: packed, at: &offset)]), as: UTF8.self)
    }

    /// Where the string after the one at `offset` starts.
    private static func skip(in packed: UnsafeBufferPointer<UInt8>, at offset: Int) -> Int {
        var offset = offset
        _ = range(in: packed, at: &offset)
        return offset
    }
}

extension StringMap {
    /// Whether these labels include every pair of `selector` (`matchLabels`): the one rule for
    /// placement, price book and budget selectors.
    public func matches(_ selector: StringMap) -> Bool {
        selector.allSatisfy { self[$0.key] == $0.value }
    }
}
