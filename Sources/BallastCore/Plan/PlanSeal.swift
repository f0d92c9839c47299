import Crypto

/// Seals saved plans with a keyed MAC (HMAC-SHA256), so that a plan file edited after it was
/// made — one `noop` turned into `delete` — is refused instead of executed.
///
/// The key lives with the state (``PlanKey`` in BallastStore), never in the plan. The MAC
/// covers the canonical JSON of everything in the file but the `mac` member itself.
public enum PlanSeal {
    public static let member = "mac"

    /// A saved plan file's JSON: the plan's JSON with its MAC added.
    public static func seal(_ plan: Plan, key: [UInt8]) -> Value {
        seal(PlanJSON.encode(plan), key: key)
    }

    static func seal(_ value: Value, key: [UInt8]) -> Value {
        guard case .map(var fields) = value else { return value }
        fields[member] = nil
        fields[member] = .string(authenticationCode(SpecDigest.canonical(.map(fields)), key: key))
        return .map(fields)
    }

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case unsealed
        case modified

        public var description: String {
            switch self {
            case .unsealed: "it carries no seal ('mac'); only plans saved by 'ballast plan --out' can be applied"
            case .modified: "its seal does not match: the file was modified after it was saved, or it was saved for another state"
            }
        }
    }

    /// Checks a saved plan file's JSON against its MAC.
    public static func verify(_ value: Value, key: [UInt8]) throws(Failure) {
        guard case .map(var fields) = value, let mac = fields[member]?.stringValue else { throw .unsealed }
        fields[member] = nil
        let expected = authenticationCode(SpecDigest.canonical(.map(fields)), key: key)
        // Compare in constant time: the MAC is not a secret, but a timing oracle is not needed.
        guard mac.utf8.count == expected.utf8.count,
              zip(mac.utf8, expected.utf8).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else { throw .modified }
    }

    /// HMAC-SHA256 of `text` under `key`, in hex.
    public static func authenticationCode(_ text: String, key: [UInt8]) -> String {
        SpecDigest.hex(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: SymmetricKey(data: key)))
    }
}
