import OrderedCollections

/// The resources of a desired state looked up by id: the state's own array and each id's
/// position in it, not a second copy of every resource.
///
/// A dictionary of resources keeps each one inline in a bucket, and a table of 100k resources has
/// 262,144 buckets of about 250 bytes (65 MB) beside the array they copy. The ids are kept in
/// the same order in an `OrderedSet`, whose hash table holds positions a few bits wide: about
/// 50 bytes per resource. Iterates in the array's order (graph layer, then id), which is
/// deterministic, unlike a dictionary's.
public struct ResourcesByID: Sendable, Sequence {
    public typealias Element = (key: ResourceID, value: DesiredResource)

    /// The resources, in the order given.
    public let values: [DesiredResource]
    /// The ids of ``values``, in the same order: an id's index here is its resource's there.
    private let positions: OrderedSet<ResourceID>

    /// Indexes `resources`, whose ids must be unique (placement guarantees it; a duplicate traps).
    public init(_ resources: [DesiredResource]) {
        values = resources
        var positions = OrderedSet<ResourceID>(minimumCapacity: resources.count)
        for resource in resources {
            precondition(positions.append(resource.id).inserted, "\(resource.id) is placed twice")
        }
        self.positions = positions
    }

    public subscript(id: ResourceID) -> DesiredResource? {
        guard let position = positions.firstIndex(of: id) else { return nil }
        return values[position]
    }

    public func contains(_ id: ResourceID) -> Bool { positions.contains(id) }

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
