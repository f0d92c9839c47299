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
/// constant time, stored ones are looked up by digest.
///
/// An **agent** token (`ballast token create --site SITE`) may call the agent routes of its own
/// site, `/v1/agents/SITE/…`, and nothing else; the admin token may call them too. Anything
/// else an agent token asks for is a 403.
public struct APIAccess: Sendable {
    public typealias Role = APIToken.Role

    private let tokens: [(digest: [UInt8], role: Role)]
    public let readsNeedToken: Bool
    /// The console's sign-in cookies: signed with a key derived from the state's secret key
    /// when given one (every replica of the state honours them), else with a key of this process.
    let session: ConsoleSession
    /// Looks up a token the state store keeps, by digest.
    private let storedToken: @Sendable ([UInt8]) async throws -> APIToken?

    public init(
        adminToken: String, readToken: String? = nil, readsNeedToken: Bool, stateKey: [UInt8]? = nil,
        storedToken: @escaping @Sendable ([UInt8]) async throws -> APIToken? = { _ in nil }
    ) {
        session = stateKey.map { ConsoleSession(stateKey: $0) } ?? ConsoleSession()
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
    /// which takes a token in a form and answers with a cookie, and sign-out, which ends the
    /// session its own cookie stands for (and nothing else).
    public static let signedPaths: Set<String> = ["/v1/hooks/git", "/signin", "/signout"]

    /// The console's pages: a browser without a session is sent to sign in, not answered 401.
    public static func isConsolePage(_ path: String) -> Bool { path == "/" || path.hasPrefix("/resources/") }

    /// The routes of pull sites' agents: `/v1/agents/SITE/...`. Returns the site.
    public static func agentSite(inPath path: String) -> String? {
        let prefix = "/v1/agents/"
        guard path.hasPrefix(prefix) else { return nil }
        let rest = path.dropFirst(prefix.count)
        guard let slash = rest.firstIndex(of: "/"), slash > rest.startIndex else { return nil }
        return String(rest[..<slash])
    }

    /// What a presented credential may do: its role, and an agent token's site.
    public struct Grant: Sendable, Hashable {
        public var role: Role
        public var site: String?
    }

    /// Why `grant` may not call a route that needs `needed` on `path`; nil when it may.
    public func refusal(of grant: Grant, needed: Role, path: String) -> String? {
        if let site = Self.agentSite(inPath: path) {
            if grant.role == .admin || (grant.role == .agent && grant.site == site) { return nil }
            if grant.role == .agent { return "this agent token is for site '\(grant.site ?? "")', not '\(site)'" }
            return "the agent routes take the site's agent token ('ballast token create --site \(site)') or the admin token"
        }
        if grant.role == .agent { return "an agent token may only call its own site's agent routes (/v1/agents/\(grant.site ?? "SITE")/...)" }
        if grant.role < needed { return "a read token cannot change anything; use the admin token" }
        return nil
    }

    /// The role a request needs, or nil when it needs none.
    public func requiredRole(method: String, path: String) -> Role? {
        if Self.openPaths.contains(path) || Self.signedPaths.contains(path) { return nil }
        if Self.agentSite(inPath: path) != nil { return .agent }
        if method == "GET" || method == "HEAD" { return readsNeedToken ? .read : nil }
        return .admin
    }

    /// The role of a presented bearer token; nil when it matches none. Throws when the state
    /// store, asked about a token not given at start-up, cannot answer.
    public func role(ofBearer token: String) async throws -> Role? {
        try await grant(ofDigest: Self.digest(token))?.role
    }

    /// What the token whose SHA-256 digest is `presented` may do; nil when it matches none.
    public func grant(ofBearer token: String) async throws -> Grant? {
        try await grant(ofDigest: Self.digest(token))
    }

    /// The role of the token whose SHA-256 digest is `presented` (a console session stands for
    /// one), checked as ``role(ofBearer:)`` checks a token.
    public func role(ofDigest presented: [UInt8]) async throws -> Role? {
        try await grant(ofDigest: presented)?.role
    }

    private func grant(ofDigest presented: [UInt8]) async throws -> Grant? {
        var found: Role?
        // Compare against every token, every byte, whatever matches: no timing oracle.
        for entry in tokens {
            var difference: UInt8 = 0
            for (a, b) in zip(presented, entry.digest) { difference |= a ^ b }
            if difference == 0 { found = max(found ?? entry.role, entry.role) }
        }
        if let found { return Grant(role: found) }
        return try await storedToken(presented).map { Grant(role: $0.role, site: $0.site) }
    }

    public static func digest(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }
}
