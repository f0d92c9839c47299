import BallastCore
import Foundation

/// An API token kept in the state store: its SHA-256 digest, never the token itself, so a
/// copy of the state cannot be used to call the daemon.
public struct APIToken: Sendable, Hashable {
    /// What a token may do on the daemon's API.
    public enum Role: String, Sendable, Hashable, Comparable, CaseIterable {
        /// `GET` and `HEAD` routes.
        case read
        /// Every route, mutations included.
        case admin

        public static func < (lhs: Role, rhs: Role) -> Bool {
            lhs == .read && rhs == .admin
        }
    }

    /// The name it is listed and revoked by: a DNS-1123 label, unique in the state.
    public var name: String
    /// The SHA-256 digest of the token's UTF-8 bytes.
    public var digest: [UInt8]
    public var role: Role
    public var createdAt: Date

    public init(name: String, digest: [UInt8], role: Role, createdAt: Date) {
        self.name = name
        self.digest = digest
        self.role = role
        self.createdAt = createdAt
    }

    /// A new random token: 32 bytes from the system's generator, as 64 hex digits.
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return SpecDigest.hex((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Lowercase hex of ``digest``, as stored.
    public var digestHex: String { SpecDigest.hex(digest) }
}
