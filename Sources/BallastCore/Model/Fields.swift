/// A map of named values, kept sorted by key so that output and digests are deterministic.
public struct Fields: Sendable, Hashable, Sequence {
    public struct Entry: Sendable, Hashable, SortedPair {
        public var key: String
        public var value: Value

        public init(key: String, value: Value) {
            self.key = key
            self.value = value
        }
    }

    public private(set) var entries: [Entry]

    public init() {
        entries = []
    }

    /// Builds from key/value pairs; later pairs win over earlier ones with the same key.
    public init(_ pairs: some Sequence<(String, Value)>) {
        entries = pairs.map { Entry(key: $0.0, value: $0.1) }
        entries.sortKeepingLastOfEqualKeys()
    }

    public init(_ dictionary: [String: Value]) {
        entries = dictionary.map { Entry(key: $0.key, value: $0.value) }.sorted { $0.key < $1.key }
    }

    /// Builds from entries already sorted by unique key.
    init(sortedEntries: [Entry]) {
        entries = sortedEntries
    }

    /// Builds from entries whose keys are unique (a YAML mapping's), sorting them in place.
    init(uniqueKeyEntries: [Entry]) {
        var entries = uniqueKeyEntries
        if entries.count <= 16 {
            // Insertion sort: the few keys of a spec, without a sort's set-up cost.
            var index = 1
            while index < entries.count {
                var position = index
                while position > 0 && entries[position].key < entries[position - 1].key {
                    entries.swapAt(position, position - 1)
                    position -= 1
                }
                index += 1
            }
        } else {
            entries.sort { $0.key < $1.key }
        }
        self.entries = entries
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    public func makeIterator() -> IndexingIterator<[Entry]> {
        entries.makeIterator()
    }

    /// Changes values in place, keeping every key (and so the order).
    mutating func updateValues(_ body: (inout Value) -> Void) {
        for index in entries.indices { body(&entries[index].value) }
    }

    public subscript(key: String) -> Value? {
        get { entries.sortedValue(for: key) }
        set { entries.setSortedValue(newValue, for: key) }
    }
}
