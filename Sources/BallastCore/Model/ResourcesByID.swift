/// The resources of a desired state looked up by id: the state's own array and each id's
/// position in it, not a second copy of every resource.
///
/// A dictionary of resources keeps each one inline in a bucket, and a table of 100k resources has
/// 262,144 buckets of about 250 bytes (65 MB) beside the array they copy. An ``IndexTable``
/// holds only positions, four bytes a slot, and compares ids through the array. Iterates in
/// the array's order (graph layer, then id), which is deterministic, unlike a dictionary's.
public struct ResourcesByID: Sendable, Sequence {
    public typealias Element = (key: ResourceID, value: DesiredResource)

    /// The resources, in the order given.
    public let values: [DesiredResource]
    private let index: IndexTable

    /// Indexes `resources`, whose ids must be unique (placement guarantees it; a duplicate traps).
    public init(_ resources: [DesiredResource]) {
        values = resources
        var index = IndexTable(capacity: resources.count)
        for (position, resource) in resources.enumerated() {
            let hash = resource.id.hashValue
            precondition(index.first(hash: hash, where: { resources[$0].id == resource.id }) == nil, "\(resource.id) is placed twice")
            index.add(position, hash: hash)
        }
        self.index = index
    }

    /// Where `id`'s resource is in ``values``; nil when it is not declared.
    public func position(of id: ResourceID) -> Int? {
        index.first(hash: id.hashValue) { values[$0].id == id }
    }

    public subscript(id: ResourceID) -> DesiredResource? {
        position(of: id).map { values[$0] }
    }

    public func contains(_ id: ResourceID) -> Bool { position(of: id) != nil }

    public var count: Int { values.count }
    public var isEmpty: Bool { values.isEmpty }

    /// The ids, in the resources' order.
    public var keys: LazyMapSequence<[DesiredResource], ResourceID> { values.lazy.map(\.id) }

    /// `transform` of each resource, by id.
    public func mapValues<T>(_ transform: (DesiredResource) throws -> T) rethrows -> [ResourceID: T] {
        var mapped: [ResourceID: T] = [:]
        mapped.reserveCapacity(values.count)
        for resource in values { mapped[resource.id] = try transform(resource) }
        return mapped
    }

    public func makeIterator() -> some IteratorProtocol<Element> {
        values.lazy.map { (key: $0.id, value: $0) }.makeIterator()
    }
}
