import BallastState
import Crypto
import Foundation

/// Who may do what on the daemon's API: one model for every route.
///
/// - The **admin** token may do everything: mutations (`POST`) and reads.
/// - A **read** token may read (`GET`, `HEAD`). Reads need a token only when ``readsNeedToken``
///   (the daemon listens on a non-loopback address); then the admin token reads too.
/// - `/healthz` and `/readyz` are always open, for liveness and readiness probes.
/// - `POST /v1/hooks/git` takes no token: the git host signs it (``GitWebhook``).
///
/// Besides the tokens given at start-up, tokens made with `ballast token create` are kept in
/// the state store (``storedToken``), each with its role; revoking one takes effect at its next
/// request. Tokens are kept only as SHA-256 digests: the start-up ones are compared in
/// constant time, stored ones are looked up by digest. Scoped roles (the edge issue's per-site
/// tokens) extend ``APIToken/Role``.
public struct APIAccess: Sendable {
    public typealias Role = APIToken.Role

    private let tokens: [(digest: [UInt8], role: Role)]
    public let readsNeedToken: Bool
    /// The console's sign-in cookies, signed with a key of this process.
    let session = ConsoleSession()
    /// Looks up a token the state store keeps, by digest.
    private let storedToken: @Sendable ([UInt8]) async throws -> APIToken?

    public init(adminToken: String, readToken: String? = nil, readsNeedToken: Bool, storedToken: @escaping @Sendable ([UInt8]) async throws -> APIToken? = { _ in nil }) {
        var tokens = [(Self.digest(adminToken), Role.admin)]
        if let readToken, !readToken.isEmpty { tokens.append((Self.digest(readToken), .read)) }
        self.tokens = tokens
        self.readsNeedToken = readsNeedToken
        self.storedToken = storedToken
    }

    /// Routes that answer without a token: probes, and the console's stylesheet and script.
    public static let openPaths: Set<String> = ["/healthz", "/readyz", "/console.css", "/console.js"]

    /// Routes that check a credential of their own instead of a bearer token: the git webhook
    /// (``GitWebhook``), which git hosts sign with a shared secret, and the console's sign-in,
    /// which takes a token in a form and answers with a cookie.
    public static let signedPaths: Set<String> = ["/v1/hooks/git", "/signin"]

    /// The console's pages: a browser without a session is sent to sign in, not answered 401.
    public static func isConsolePage(_ path: String) -> Bool { path == "/" || path.hasPrefix("/resources/") }

    /// The role a request needs, or nil when it needs none.
    public func requiredRole(method: String, path: String) -> Role? {
        if Self.openPaths.contains(path) || Self.signedPaths.contains(path) { return nil }
        if method == "GET" || method == "HEAD" { return readsNeedToken ? .read : nil }
        return .admin
    }

    /// The role of a presented bearer token; nil when it matches none. Throws when the state
    /// store, asked about a token not given at start-up, cannot answer.
    public func role(ofBearer token: String) async throws -> Role? {
        try await role(ofDigest: Self.digest(token))
    }

    /// The role of the token whose SHA-256 digest is `presented` (a console session stands for
    /// one), checked as ``role(ofBearer:)`` checks a token.
    public func role(ofDigest presented: [UInt8]) async throws -> Role? {
        var found: Role?
        // Compare against every token, every byte, whatever matches: no timing oracle.
        for entry in tokens {
            var difference: UInt8 = 0
            for (a, b) in zip(presented, entry.digest) { difference |= a ^ b }
            if difference == 0 { found = max(found ?? entry.role, entry.role) }
        }
        if let found { return found }
        return try await storedToken(presented)?.role
    }

    public static func digest(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }
}
