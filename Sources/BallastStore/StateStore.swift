import BallastCore

/// Where Ballast keeps what it manages: the inventory (and, with a durable backend, the
/// journal of actions).
///
/// Implementations are safe to call from many tasks at once; every write is atomic: it
/// happens entirely or not at all.
public protocol StateStore: Sendable {
    /// Every resource Ballast manages, by id. Resources never applied by Ballast are absent,
    /// and Ballast never deletes what is absent.
    func inventory() async throws -> [ResourceID: InventoryEntry]

    /// Adds or replaces one inventory entry.
    func upsert(_ entry: InventoryEntry) async throws

    /// Forgets one resource (after it was deleted or orphaned); succeeds if it is absent.
    func remove(_ id: ResourceID) async throws
}
