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
    /// How long each create, update and delete takes.
    public let latency: Duration
    private let concurrency = Mutex((now: 0, most: 0))

    public init(name: String = "fake", schema: ProviderSchema, latency: Duration = .zero, failure: @escaping @Sendable (Call) -> ProviderError? = { _ in nil }) {
        self.name = name
        self.providerSchema = schema
        self.latency = latency
        self.failure = failure
    }

    /// The most create, update or delete calls that were in flight at once.
    public var maxConcurrentCalls: Int { concurrency.withLock { $0.most } }

    private func inFlight<T>(_ body: () -> T) async throws(ProviderError) -> T {
        concurrency.withLock { state in
            state.now += 1
            state.most = max(state.most, state.now)
        }
        defer { concurrency.withLock { $0.now -= 1 } }
        if latency > .zero {
            do { try await Task.sleep(for: latency) } catch { throw ProviderError(.unavailable, "cancelled") }
        }
        return body()
    }

    public var calls: [Call] { state.withLock { $0.calls } }
    public var world: [ResourceID: Observed] { state.withLock { $0.world } }

    public func seed(_ observed: Observed) {
        state.withLock { $0.world[observed.id] = observed }
    }

    public func schema() -> ProviderSchema { providerSchema }

    private func record(_ call: Call) throws(ProviderError) {
        state.withLock { $0.calls.append(call) }
        if let error = failure(call) { throw error }
    }

    public func observe(_ ids: [ResourceID], site: Site) async throws(ProviderError) -> [ResourceID: Observed] {
        try record(.observe(ids))
        return state.withLock { state in
            Dictionary(uniqueKeysWithValues: ids.compactMap { id in state.world[id].map { (id, $0) } })
        }
    }

    public func create(_ resource: ResolvedResource, site: Site) async throws(ProviderError) -> Observed {
        try record(.create(resource.id))
        return try await inFlight { state.withLock { state in
            state.serial += 1
            let observed = Observed(id: resource.id, spec: resource.spec, outputs: Fields(["id": .string("fake-\(state.serial)")]), revision: String(state.serial))
            state.world[resource.id] = observed
            return observed
        } }
    }

    public func update(_ resource: ResolvedResource, current: Observed, site: Site) async throws(ProviderError) -> Observed {
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

    public func delete(_ id: ResourceID, site: Site) async throws(ProviderError) {
        try record(.delete(id))
        state.withLock { _ = $0.world.removeValue(forKey: id) }
    }
}
