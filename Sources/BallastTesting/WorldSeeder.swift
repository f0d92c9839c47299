import BallastCore
import BallastEngine
import BallastProviders

/// Makes a provider's world match desired state by creating every resource in dependency
/// order, filling references from the outputs created so far. A test helper: it keeps no
/// state and does no retries (the engine's executor does that).
public enum WorldSeeder {
    public static func seed(_ desired: DesiredState, provider: any Provider, secrets: [ReferenceExpression: String] = [:]) async throws {
        var outputs: [ResourceID: Fields] = [:]
        let resolver = SpecResolver(secrets: secrets)
        for resource in desired.resources where resource.policy.management == .full {
            guard let site = desired.sites[resource.id.site] else { continue }
            let (spec, unknown, _) = resolver.resolve(resource, schema: provider.schema().kind(resource.id.kind)) { outputs[$0] }
            precondition(unknown.isEmpty, "seeding in dependency order leaves nothing unknown")
            let observed = try await provider.create(ResolvedResource(id: resource.id, spec: spec, labels: resource.labels), site: site)
            outputs[resource.id] = observed.outputs
        }
    }
}

/// Secrets from a dictionary, for tests.
public struct FixedSecretSource: SecretSource {
    public var environment: [String: String]
    public var files: [String: String]

    public init(environment: [String: String] = [:], files: [String: String] = [:]) {
        self.environment = environment
        self.files = files
    }

    public func environment(_ name: String) -> String? { environment[name] }
    public func file(_ path: String) -> String? { files[path] }
}
