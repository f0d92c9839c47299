import BallastCore
import Foundation

/// An edge agent's secrets: the values its hub sent with a desired state, keyed by the
/// reference as written (`${env:NAME}`, `${file:/path}`), never the agent's own environment or
/// files (the hub resolved them for this site alone).
public struct BundleSecrets: SecretSource {
    private let values: @Sendable () -> [String: String]

    /// The secrets of the desired state in `cache`, as it changes.
    public init(cache: AgentCache) {
        values = { cache.entry?.secrets ?? [:] }
    }

    /// Fixed values: a desired state being checked before it is accepted.
    public init(values: [String: String]) {
        self.values = { values }
    }

    public func environment(_ name: String) -> String? {
        values()[ReferenceExpression.env(name).description]
    }

    public func file(_ path: String) -> String? {
        values()[ReferenceExpression.file(path).description]
    }
}
