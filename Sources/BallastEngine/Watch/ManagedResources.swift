import BallastCore

/// The ids the state store manages, as the daemon knows them, without a second copy of every
/// declared id.
///
/// A set of every managed id held 12 MiB at 100k resources, and kept alive the strings of the
/// inventory's ids (5 MiB more) long after the inventory was dropped. Nearly every managed
/// resource is also declared, so the declared ones are a flag per position in the desired state
/// in force (``declare(_:)``), and only the managed ids no manifest declares, the candidates
/// for pruning, are kept as ids.
struct ManagedResources: Sendable {
    /// The desired state in force (its storage shared with it); nil before the first load.
    private var declared: ResourcesByID?
    /// Whether the resource at each position of ``declared`` is managed.
    private var declaredManaged: [Bool] = []
    /// Managed ids that ``declared`` does not declare.
    private(set) var undeclared: Set<ResourceID> = []

    init() {}

    /// Every managed id is one of `ids` (the inventory's), and no other.
    mutating func reset(to ids: some Sequence<ResourceID>) {
        declaredManaged = Array(repeating: false, count: declared?.count ?? 0)
        undeclared = []
        for id in ids { insert(id) }
    }

    /// Puts a new desired state in force; what is managed stays managed. Call it whenever the
    /// daemon's desired state changes.
    mutating func declare(_ new: ResourcesByID) {
        var flags = Array(repeating: false, count: new.count)
        var rest: Set<ResourceID> = []
        func place(_ id: ResourceID) {
            if let position = new.position(of: id) { flags[position] = true } else { rest.insert(id) }
        }
        if let declared {
            for (position, managed) in declaredManaged.enumerated() where managed { place(declared.values[position].id) }
        }
        for id in undeclared { place(id) }
        declared = new
        declaredManaged = flags
        undeclared = rest
    }

    mutating func insert(_ id: ResourceID) {
        if let position = declared?.position(of: id) { declaredManaged[position] = true } else { undeclared.insert(id) }
    }

    mutating func remove(_ id: ResourceID) {
        if let position = declared?.position(of: id) { declaredManaged[position] = false } else { undeclared.remove(id) }
    }

    func contains(_ id: ResourceID) -> Bool {
        if let position = declared?.position(of: id) { return declaredManaged[position] }
        return undeclared.contains(id)
    }

    /// Whether any managed resource is on `site`.
    func any(on site: String) -> Bool {
        if undeclared.contains(where: { $0.site == site }) { return true }
        guard let declared else { return false }
        return declaredManaged.indices.contains { declaredManaged[$0] && declared.values[$0].id.site == site }
    }
}
