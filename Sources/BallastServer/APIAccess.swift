import Crypto
import Foundation

/// Who may do what on the daemon's API: one model for every route.
///
/// - The **admin** token may do everything: mutations (`POST`) and reads.
/// - A **read** token may read (`GET`, `HEAD`). Reads need a token only when ``readsNeedToken``
///   (the daemon listens on a non-loopback address); then the admin token reads too.
/// - `/healthz` and `/readyz` are always open, for liveness and readiness probes.
///
/// Tokens are kept only as SHA-256 digests and compared in constant time, so the model extends
/// to scoped tokens stored hashed in the state store (the edge issue's per-site tokens) without
/// ever holding one in the clear.
public struct APIAccess: Sendable {
    public enum Role: Sendable, Hashable, Comparable {
        case read
        case admin
    }

    private let tokens: [(digest: [UInt8], role: Role)]
    public let readsNeedToken: Bool

    public init(adminToken: String, readToken: String? = nil, readsNeedToken: Bool) {
        var tokens = [(Self.digest(adminToken), Role.admin)]
        if let readToken, !readToken.isEmpty { tokens.append((Self.digest(readToken), .read)) }
        self.tokens = tokens
        self.readsNeedToken = readsNeedToken
    }

    /// Routes that answer without a token: probes.
    public static let openPaths: Set<String> = ["/healthz", "/readyz"]

    /// The role a request needs, or nil when it needs none.
    public func requiredRole(method: String, path: String) -> Role? {
        if Self.openPaths.contains(path) { return nil }
        if method == "GET" || method == "HEAD" { return readsNeedToken ? .read : nil }
        return .admin
    }

    /// The role of a presented bearer token; nil when it matches none.
    public func role(ofBearer token: String) -> Role? {
        let presented = Self.digest(token)
        var found: Role?
        // Compare against every token, every byte, whatever matches: no timing oracle.
        for entry in tokens {
            var difference: UInt8 = 0
            for (a, b) in zip(presented, entry.digest) { difference |= a ^ b }
            if difference == 0 { found = max(found ?? entry.role, entry.role) }
        }
        return found
    }

    static func digest(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }
}
