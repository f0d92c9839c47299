import BallastCore
import Foundation

/// An API token kept in the state store: its SHA-256 digest, never the token itself, so a
/// copy of the state cannot be used to call the daemon.
public struct APIToken: Sendable, Hashable {
    /// What a token may do on the daemon's API.
    ///
    /// Ordered by reach: `agent < read < admin`. An agent token reaches only the agent routes
    /// of its own site; no other role is below it.
    public enum Role: String, Sendable, Hashable, Comparable, CaseIterable {
        /// An edge agent's: reads its site's desired state and reports for that site, nothing
        /// else (``APIToken/site``).
        case agent
        /// `GET` and `HEAD` routes.
        case read
        /// Every route, mutations included.
        case admin

        private var rank: Int {
            switch self {
            case .agent: 0
            case .read: 1
            case .admin: 2
            }
        }

        public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
    }

    /// The name it is listed and revoked by: a DNS-1123 label, unique in the state.
    public var name: String
    /// The SHA-256 digest of the token's UTF-8 bytes.
    public var digest: [UInt8]
    public var role: Role
    /// The site an ``Role/agent`` token is for; nil for every other role.
    public var site: String?
    public var createdAt: Date

    public init(name: String, digest: [UInt8], role: Role, site: String? = nil, createdAt: Date) {
        self.name = name
        self.digest = digest
        self.role = role
        self.site = role == .agent ? site : nil
        self.createdAt = createdAt
    }

    /// The role as the stores keep it, in one text column: `read`, `admin`, or `agent:SITE`.
    public var storedRole: String {
        if role == .agent, let site { return "agent:" + site }
        return role.rawValue
    }

    /// The role and site of a stored role text; nil when it is not one (an agent token needs
    /// its site).
    public static func parse(storedRole text: String) -> (Role, String?)? {
        if text.hasPrefix("agent:") {
            let site = String(text.dropFirst("agent:".count))
            return site.isEmpty ? nil : (.agent, site)
        }
        guard let role = Role(rawValue: text), role != .agent else { return nil }
        return (role, nil)
    }

    /// A new random token: 32 bytes from the system's generator, as 64 hex digits.
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return SpecDigest.hex((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Lowercase hex of ``digest``, as stored.
    public var digestHex: String { SpecDigest.hex(digest) }
}
