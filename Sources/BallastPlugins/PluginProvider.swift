import BallastCore
import BallastProviders
import Foundation
import Logging

/// A provider served out of process by `ballast-provider-NAME`, over JSON-RPC 2.0 on its stdin
/// and stdout (docs/provider-protocol.md). Sites select it with `spec.provider: plugin:NAME`.
public struct PluginProvider: Provider {
    public let name: String
    let pluginName: String
    let cachedSchema: ProviderSchema
    let connection: PluginConnection
    let capabilities: PluginCapabilities

    init(pluginName: String, executable: String, schema: ProviderSchema, capabilities: PluginCapabilities, callTimeout: Duration, logger: Logger) {
        self.name = "plugin:" + pluginName
        self.pluginName = pluginName
        self.cachedSchema = schema
        self.capabilities = capabilities
        connection = PluginConnection(name: pluginName, executable: executable, callTimeout: callTimeout, logger: logger)
    }

    public func schema() -> ProviderSchema { cachedSchema }

    public func observe(_ ids: [ResourceID], site: Site) async throws(ProviderError) -> [ResourceID: Observed] {
        let answer = try await connection.call("observe", site: site, Fields(["ids": .list(ids.map { .string($0.description) })]))
        guard case .list(let items)? = answer.fieldsValue?["resources"] else {
            throw ProviderError(.failed, "plugin \(pluginName): observe must answer {\"resources\": [...]}")
        }
        var result: [ResourceID: Observed] = [:]
        let wanted = Set(ids)
        for item in items {
            let observed = try PluginWire.decodeObserved(item, plugin: pluginName)
            if wanted.contains(observed.id) { result[observed.id] = observed }
        }
        return result
    }

    /// `list`, when the plugin's handshake says it can (`capabilities.list`): every resource
    /// of its kinds on the site. Ids for another site are dropped.
    public func list(site: Site) async throws(ProviderError) -> [Observed]? {
        guard capabilities.list else { return nil }
        let answer = try await connection.call("list", site: site, Fields())
        guard case .list(let items)? = answer.fieldsValue?["resources"] else {
            throw ProviderError(.failed, "plugin \(pluginName): list must answer {\"resources\": [...]}")
        }
        var result: [ResourceID: Observed] = [:]
        for item in items {
            let observed = try PluginWire.decodeObserved(item, plugin: pluginName)
            if observed.id.site == site.name { result[observed.id] = observed }
        }
        return result.values.sorted { $0.id < $1.id }
    }

    public func create(_ resource: ResolvedResource, site: Site) async throws(ProviderError) -> Observed {
        let answer = try await connection.call("create", site: site, Fields(["resource": PluginWire.resource(resource)]))
        return try resourceAnswer(answer, "create")
    }

    public func update(_ resource: ResolvedResource, current: Observed, site: Site) async throws(ProviderError) -> Observed {
        let answer = try await connection.call("update", site: site, Fields(["resource": PluginWire.resource(resource), "current": PluginWire.observed(current)]))
        return try resourceAnswer(answer, "update")
    }

    public func delete(_ id: ResourceID, site: Site) async throws(ProviderError) {
        _ = try await connection.call("delete", site: site, Fields(["id": .string(id.description)]))
    }

    public func changes(site: Site) -> AsyncStream<ResourceID>? {
        guard capabilities.changes else { return nil }
        let connection = self.connection
        return AsyncStream { continuation in
            let task = Task {
                for await id in await connection.subscribe() where id.site == site.name { continuation.yield(id) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func resourceAnswer(_ answer: Value, _ method: String) throws(ProviderError) -> Observed {
        guard let resource = answer.fieldsValue?["resource"] else {
            throw ProviderError(.failed, "plugin \(pluginName): \(method) must answer {\"resource\": {...}}")
        }
        return try PluginWire.decodeObserved(resource, plugin: pluginName)
    }
}
