import BallastCore

/// The providers available to one run, by name. Built once and passed in; never global.
///
/// Built-in providers are there from the start. Found ones (plugins) come from
/// ``ProviderSource``s and are started and described only when something asks for them by
/// name: a site that uses them, or `ballast providers`.
public struct ProviderRegistry: Sendable {
    private var providers: [String: any Provider] = [:]
    private var sources: [any ProviderSource] = []

    public init(_ providers: [any Provider] = []) {
        for provider in providers { register(provider) }
    }

    public mutating func register(_ provider: any Provider) {
        providers[provider.name] = provider
    }

    /// Adds providers found at run time; a built-in provider of the same name wins.
    public mutating func register(_ source: any ProviderSource) {
        sources.append(source)
    }

    /// The provider named `name`, describing a found one on first use; nil when there is none
    /// or it did not answer.
    public func provider(named name: String) -> (any Provider)? {
        if let provider = providers[name] { return provider }
        for source in sources {
            if let provider = source.provider(named: name) { return provider }
        }
        return nil
    }

    /// Lets every built-in provider go of its caches (``Provider/releaseCaches()``). Found
    /// providers (plugins) run in processes of their own and hold nothing here.
    public func releaseCaches() async {
        for provider in providers.values { await provider.releaseCaches() }
    }

    /// Why the found provider `name` cannot be used (not found, or it did not answer its
    /// handshake), once something has asked for it; nil for built-in and working providers, and
    /// for names no source claims.
    public func unavailability(of name: String) -> String? {
        guard providers[name] == nil else { return nil }
        return sources.lazy.compactMap { $0.unavailability(of: name) }.first
    }

    /// Every provider name, built in or found, sorted; nothing is started to list them.
    public var names: [String] {
        Set(providers.keys).union(sources.flatMap(\.names)).sorted()
    }

    /// The schemas of the built-in providers and of the found ones described so far.
    public var catalog: SchemaCatalog {
        var schemas = providers.values.map { $0.schema() }
        for source in sources {
            schemas += source.described.filter { providers[$0.name] == nil }.map { $0.schema() }
        }
        return SchemaCatalog(schemas)
    }

    /// ``catalog`` after describing the found providers among `names` (the providers the
    /// sites use), and only those.
    public func catalog(describing names: some Sequence<String>) -> SchemaCatalog {
        for name in Set(names) where providers[name] == nil { _ = provider(named: name) }
        return catalog
    }

    /// ``catalog`` after describing every found provider, for listing them all.
    public func catalogOfEveryProvider() -> SchemaCatalog {
        catalog(describing: names)
    }
}

/// Providers found rather than built in (plugins): listed without starting anything, and
/// started and described only when asked for by name.
public protocol ProviderSource: Sendable {
    /// The names of the providers this source can offer, found without starting any.
    var names: [String] { get }
    /// The provider named `name`, described on the first call and remembered, answer or failure
    /// (a failure is logged once). Nil when this source has no such provider, or it failed.
    /// Bounded in time by the source's own timeout.
    func provider(named name: String) -> (any Provider)?
    /// The providers described so far, successfully.
    var described: [any Provider] { get }
    /// Why `name`, a name this source claims (such as any `plugin:` name), cannot be used,
    /// after ``provider(named:)`` failed for it; nil when it works or was not asked for.
    func unavailability(of name: String) -> String?
}
