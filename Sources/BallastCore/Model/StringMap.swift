/// A small map of strings (labels, annotations), kept as pairs sorted by key.
///
/// A manifest's labels are a handful of short strings; a dictionary spends about 200 bytes
/// and a hash per key on each, a sorted array about half the memory and no hashing. Lookups
/// are a binary search. Iteration is in key order, so output built from it is deterministic.
public struct StringMap: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public typealias Element = (key: String, value: String)

    fileprivate struct Pair: Sendable, Hashable, SortedPair {
        var key: String
        var value: String
    }

    private var pairs: [Pair]

    public init() {
        pairs = []
    }

    /// Builds from pairs; a later pair wins over an earlier one with the same key.
    public init(_ elements: some Sequence<(String, String)>) {
        pairs = elements.map { Pair(key: $0.0, value: $0.1) }
        pairs.sortKeepingLastOfEqualKeys()
    }

    public init(_ dictionary: [String: String]) {
        pairs = dictionary.map { Pair(key: $0.key, value: $0.value) }.sorted { $0.key < $1.key }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var count: Int { pairs.count }
    public var isEmpty: Bool { pairs.isEmpty }
    public var keys: [String] { pairs.map(\.key) }

    /// The same pairs as a dictionary, for APIs that take one.
    public var dictionary: [String: String] {
        Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
    }

    public subscript(key: String) -> String? {
        get { pairs.sortedValue(for: key) }
        set { pairs.setSortedValue(newValue, for: key) }
    }

    public struct Iterator: IteratorProtocol {
        fileprivate var base: IndexingIterator<[Pair]>

        public mutating func next() -> Element? {
            base.next().map { ($0.key, $0.value) }
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(base: pairs.makeIterator())
    }

    public var description: String {
        "[" + pairs.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "]"
    }
}

extension StringMap {
    /// Whether these labels include every pair of `selector` (`matchLabels`): the one rule for
    /// placement, price book and budget selectors.
    public func matches(_ selector: StringMap) -> Bool {
        selector.allSatisfy { self[$0.key] == $0.value }
    }
}
