import BallastCore
import BallastProviders
import Synchronization

/// An in-memory provider that records every call and can be told to fail per operation.
public final class RecordingProvider: Provider {
    public enum Call: Sendable, Hashable {
        case observe([ResourceID])
        case create(ResourceID)
        case update(ResourceID)
        case delete(ResourceID)
    }

    public let name: String
    private let providerSchema: ProviderSchema
    private let state = Mutex<(world: [ResourceID: Observed], calls: [Call], serial: Int)>(([:], [], 0))
    /// Per-operation overrides: return an error to make that call fail.
    public let failure: @Sendable (Call) -> ProviderError?

    public init(name: String = "fake", schema: ProviderSchema, failure: @escaping @Sendable (Call) -> ProviderError? = { _ in nil }) {
        self.name = name
        self.providerSchema = schema
        self.failure = failure
    }

    public var calls: [Call] { state.withLock { $0.calls } }
    public var world: [ResourceID: Observed] { state.withLock { $0.world } }

    public func seed(_ observed: Observed) {
        state.withLock { $0.world[observed.id] = observed }
    }

    public func schema() -> ProviderSchema { providerSchema }

    private func record(_ call: Call) throws {
        state.withLock { $0.calls.append(call) }
        if let error = failure(call) { throw error }
    }

    public func observe(_ ids: [ResourceID], site: Site) async throws -> [ResourceID: Observed] {
        try record(.observe(ids))
        return state.withLock { state in
            Dictionary(uniqueKeysWithValues: ids.compactMap { id in state.world[id].map { (id, $0) } })
        }
    }

    public func create(_ resource: ResolvedResource, site: Site) async throws -> Observed {
        try record(.create(resource.id))
        return state.withLock { state in
            state.serial += 1
            let observed = Observed(id: resource.id, spec: resource.spec, outputs: Fields(["id": .string("fake-\(state.serial)")]), revision: String(state.serial))
            state.world[resource.id] = observed
            return observed
        }
    }

    public func update(_ resource: ResolvedResource, current: Observed, site: Site) async throws -> Observed {
        try record(.update(resource.id))
        return state.withLock { state in
            state.serial += 1
            var observed = current
            observed.spec = resource.spec
            observed.revision = String(state.serial)
            state.world[resource.id] = observed
            return observed
        }
    }

    public func delete(_ id: ResourceID, site: Site) async throws {
        try record(.delete(id))
        state.withLock { _ = $0.world.removeValue(forKey: id) }
    }
}
