import BallastCore

/// The providers available to one run, by name. Built once and passed in; never global.
public struct ProviderRegistry: Sendable {
    private var providers: [String: any Provider] = [:]

    public init(_ providers: [any Provider] = []) {
        for provider in providers { register(provider) }
    }

    public mutating func register(_ provider: any Provider) {
        providers[provider.name] = provider
    }

    public func provider(named name: String) -> (any Provider)? {
        providers[name]
    }

    public var names: [String] { providers.keys.sorted() }

    /// The schemas of every provider, for validation.
    public var catalog: SchemaCatalog {
        SchemaCatalog(providers.values.map { $0.schema() })
    }
}
