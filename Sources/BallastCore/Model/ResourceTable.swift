import OrderedCollections

/// Values by resource id, kept densely: an array of ids, an array of values, and a hash table
/// of positions a few bits wide (swift-collections' `OrderedDictionary`).
///
/// A `Dictionary` keeps each key and value inline in a bucket and has up to two and a half
/// buckets per entry: at 100k resources, 262,144 buckets. With a value of about 100 bytes that
/// is 40 MiB, where this table takes about 15. Removing moves the last entry into the gap, so
/// it costs O(1), not the O(count) of `OrderedDictionary`'s own removal; the order of
/// iteration is therefore not meaningful, and equality and hashing ignore it, as a
/// dictionary's do.
public struct ResourceTable<Value>: Sequence {
    public typealias Element = (key: ResourceID, value: Value)

    private var storage: OrderedDictionary<ResourceID, Value>

    public init() { storage = [:] }

    public init(minimumCapacity: Int) { storage = OrderedDictionary(minimumCapacity: minimumCapacity) }

    /// `entries`, whose ids must be unique (a duplicate traps, as for a dictionary).
    public init<Entries: Sequence>(uniqueKeysWithValues entries: Entries) where Entries.Element == (ResourceID, Value) {
        storage = OrderedDictionary(uniqueKeysWithValues: entries)
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    /// The value of `id`; setting nil removes it in O(1).
    public subscript(id: ResourceID) -> Value? {
        get { storage[id] }
        set {
            guard let newValue else {
                removeValue(forKey: id)
                return
            }
            storage[id] = newValue
        }
    }

    public func contains(_ id: ResourceID) -> Bool { storage.index(forKey: id) != nil }

    /// Removes `id`'s value in O(1): the last entry takes its place.
    @discardableResult
    public mutating func removeValue(forKey id: ResourceID) -> Value? {
        guard let index = storage.index(forKey: id) else { return nil }
        let last = storage.count - 1
        if index != last { storage.swapAt(index, last) }
        return storage.removeLast().value
    }

    /// Adds the entries of `other` whose ids are not here yet; the values here win.
    /// One lookup each: the default is stored only when the id is missing.
    public mutating func mergeKeepingExisting<Other: Sequence>(_ other: Other) where Other.Element == (key: ResourceID, value: Value) {
        for (key, value) in other { storage.updateValue(forKey: key, default: value) { _ in } }
    }

    /// Lets `body` change every value in place.
    public mutating func updateEach(_ body: (ResourceID, inout Value) throws -> Void) rethrows {
        for index in 0..<storage.count { try body(storage.keys[index], &storage.values[index]) }
    }

    public mutating func reserveCapacity(_ minimumCapacity: Int) { storage.reserveCapacity(minimumCapacity) }

    /// The ids, in no meaningful order.
    public var keys: some RandomAccessCollection<ResourceID> { storage.keys.elements }

    /// The values, in the order of ``keys``.
    public var values: some RandomAccessCollection<Value> { storage.values.elements }

    /// `transform` of each value, by id.
    public func mapValues<T>(_ transform: (Value) throws -> T) rethrows -> [ResourceID: T] {
        var mapped: [ResourceID: T] = [:]
        mapped.reserveCapacity(count)
        for (key, value) in self { mapped[key] = try transform(value) }
        return mapped
    }

    public func makeIterator() -> some IteratorProtocol<Element> {
        zip(storage.keys.elements, storage.values.elements).lazy.map { (key: $0, value: $1) }.makeIterator()
    }
}

extension ResourceTable: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (ResourceID, Value)...) {
        self.init(uniqueKeysWithValues: elements)
    }
}

extension ResourceTable: Sendable where Value: Sendable {}

extension ResourceTable: Equatable where Value: Equatable {
    /// Equal when they hold the same values by id, in whatever order.
    public static func == (lhs: ResourceTable, rhs: ResourceTable) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.allSatisfy { rhs[$0.key] == $0.value }
    }
}

extension ResourceTable: Hashable where Value: Hashable {
    /// Ignores the order, as ``==`` does: each entry is hashed alone and the results combined
    /// with an order-free operation.
    public func hash(into hasher: inout Hasher) {
        var combined = 0
        for (key, value) in self {
            var entry = Hasher()
            entry.combine(key)
            entry.combine(value)
            combined ^= entry.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}
