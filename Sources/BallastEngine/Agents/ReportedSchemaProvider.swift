import BallastCore
import BallastProviders

/// A provider known on the hub only by the schema a pull site's agent reported
/// (``ReportedProviderSchemas``): it validates manifests and refuses every call, so that a push
/// site naming it fails plainly rather than reaching a plugin this machine does not have.
public struct ReportedSchemaProvider: Provider {
    let reported: ProviderSchema

    public init(_ schema: ProviderSchema) {
        reported = schema
    }

    public var name: String { reported.provider }

    public func schema() -> ProviderSchema { reported }

    private var refusal: ProviderError {
        ProviderError(.invalid, "provider '\(name)' is not installed here: only the agents of pull sites (spec.mode: pull) run it, and this hub knows only the schema they report")
    }

    public func observe(_ ids: [ResourceID], site: Site) async throws(ProviderError) -> [ResourceID: Observed] { throw refusal }

    public func create(_ resource: ResolvedResource, site: Site) async throws(ProviderError) -> Observed { throw refusal }

    public func update(_ resource: ResolvedResource, current: Observed, site: Site) async throws(ProviderError) -> Observed { throw refusal }

    public func delete(_ id: ResourceID, site: Site) async throws(ProviderError) { throw refusal }
}
