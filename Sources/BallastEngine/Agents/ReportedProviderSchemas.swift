import BallastCore
import BallastProviders
import Synchronization

/// The schemas of plugins that exist only at the edge, as pull sites' agents report them: the
/// hub validates those sites' manifests against them, as against any provider's.
///
/// A ``ProviderSource`` registered after the plugin discovery: a plugin installed on the hub
/// wins, and so does every built-in provider. An agent's report counts only for the provider of
/// its own site, and only for `plugin:` names. What it offers is a ``ReportedSchemaProvider``,
/// which never acts: the hub never calls a pull site's provider.
public final class ReportedProviderSchemas: ProviderSource {
    private struct Reported {
        var schemas: [String: ProviderSchema] = [:]
    }
    private let reported = Mutex(Reported())

    public init() {}

    /// Takes what `site`'s agent reported for its provider; true when it differs from what was
    /// known (the manifests must be validated again).
    @discardableResult
    public func learn(_ schema: ProviderSchema) -> Bool {
        guard schema.provider.hasPrefix("plugin:") else { return false }
        return reported.withLock { state in
            guard state.schemas[schema.provider] != schema else { return false }
            state.schemas[schema.provider] = schema
            return true
        }
    }

    /// Whether an agent has reported the schema of `provider`.
    public func knows(_ provider: String) -> Bool {
        reported.withLock { $0.schemas[provider] != nil }
    }

    public var names: [String] {
        reported.withLock { $0.schemas.keys.sorted() }
    }

    public func provider(named name: String) -> (any Provider)? {
        reported.withLock { $0.schemas[name] }.map(ReportedSchemaProvider.init)
    }

    public var described: [any Provider] {
        reported.withLock { state in state.schemas.keys.sorted().map { ReportedSchemaProvider(state.schemas[$0]!) } }
    }

    public func unavailability(of name: String) -> String? { nil }
}
