import BallastCore
import BallastProviders

/// How sites, resources and observations travel in the plugin protocol.
enum PluginWire {
    static func site(_ site: Site) -> Value {
        .map(Fields([
            "name": .string(site.name),
            "class": .string(site.siteClass.rawValue),
            "labels": .map(Fields(site.labels.map { ($0.key, Value.string($0.value)) })),
            "config": .map(site.config),
        ]))
    }

    static func resource(_ resource: ResolvedResource) -> Value {
        .map(Fields([
            "id": .string(resource.id.description),
            "kind": .string(resource.id.kind),
            "name": .string(resource.id.name),
            "spec": .map(resource.spec),
            "labels": .map(Fields(resource.labels.map { ($0.key, Value.string($0.value)) })),
        ]))
    }

    static func observed(_ observed: Observed) -> Value {
        .map(Fields([
            "id": .string(observed.id.description),
            "spec": .map(observed.spec),
            "outputs": .map(observed.outputs),
            "revision": .string(observed.revision),
        ]))
    }

    /// `{"id", "spec", "outputs", "revision"}`; the revision defaults to a digest of the rest.
    static func decodeObserved(_ value: Value, plugin: String) throws(ProviderError) -> Observed {
        guard case .map(let fields) = value, let text = fields["id"]?.stringValue, let id = ResourceID(parsing: text) else {
            throw ProviderError(.failed, "plugin \(plugin) returned a resource without a valid id (Kind/name@site)")
        }
        guard case .map(let spec)? = fields["spec"] else {
            throw ProviderError(.failed, "plugin \(plugin) returned \(id) without a spec object")
        }
        let outputs = fields["outputs"]?.fieldsValue ?? Fields()
        let revision = fields["revision"].flatMap { $0.stringValue ?? $0.intValue.map(String.init) }
            ?? String(SpecDigest.digest(Fields(["spec": .map(spec), "outputs": .map(outputs)])).prefix(16))
        return Observed(id: id, spec: spec, outputs: outputs, revision: revision)
    }
}
