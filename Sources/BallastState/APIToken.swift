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
        return hex((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// Lowercase hex of ``digest``, as stored.
    public var digestHex: String { Self.hex(digest) }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    /// The bytes of lowercase or uppercase hex; nil when `hex` is not an even run of hex digits.
    public static func bytes(hex: String) -> [UInt8]? {
        let characters = Array(hex.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        for index in stride(from: 0, to: characters.count, by: 2) {
            guard let high = nibble(characters[index]), let low = nibble(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
