import Crypto
import Foundation
import Synchronization

/// The console's sign-in cookie. A browser's `EventSource` cannot send an `Authorization`
/// header, so the console signs in once with a read (or admin) token and gets a cookie that
/// stands for that token: the token's digest and an expiry, signed with a key derived from the
/// state's secret key (so every watch replica of a state honours it), or made for this process
/// alone. The cookie grants reads only (GET), never a change, and each request checks that the
/// token it stands for is still valid: revoking the token ends the session. Signing out ends it
/// too, in the process that took the sign-out (``signOut(_:now:)``).
struct ConsoleSession: Sendable {
    static let cookieName = "ballast_session"
    static let lifetime: TimeInterval = 12 * 3600

    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    private let signedOut = SignedOutSessions()

    /// `keyBytes`: 32 random bytes by default, made once per process.
    init(keyBytes: [UInt8] = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }) {
        self.keyBytes = keyBytes
    }

    /// Signed with a key derived (HKDF-SHA256) from the state's secret key: the same for every
    /// process on the state, and never the secret key itself.
    init(stateKey: [UInt8]) {
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: stateKey), info: Data("ballast console session".utf8), outputByteCount: 32)
        self.init(keyBytes: derived.withUnsafeBytes { Array($0) })
    }

    /// Ends the session `value` stands for before its expiry: its cookie is refused from now
    /// on by this process. Returns false for a value this process would not honour anyway.
    @discardableResult
    func signOut(_ value: String, now: Date = Date()) -> Bool {
        guard digest(ofCookie: value, now: now) != nil, let expiry = Self.expiry(value) else { return false }
        signedOut.add(value, until: expiry, now: now.timeIntervalSince1970)
        return true
    }

    private static func expiry(_ value: String) -> TimeInterval? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 3 ? TimeInterval(parts[1]) : nil
    }

    /// The cookie value for a token with `digest`, valid until `now + lifetime`.
    func issue(digest: [UInt8], now: Date = Date()) -> String {
        let payload = Data(digest).base64URL + "." + String(Int(now.timeIntervalSince1970 + Self.lifetime))
        return payload + "." + signature(payload)
    }

    /// The token digest a cookie value stands for, when it is well-formed, signed by this
    /// process and not expired; nil otherwise.
    func digest(ofCookie value: String, now: Date = Date()) -> [UInt8]? {
        let parts = value.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let expiry = TimeInterval(parts[1]), expiry > now.timeIntervalSince1970 else { return nil }
        let payload = parts[0] + "." + parts[1]
        guard let presented = Data(base64URL: parts[2]),
              HMAC<SHA256>.isValidAuthenticationCode(presented, authenticating: Data(payload.utf8), using: key),
              let digest = Data(base64URL: parts[0]), digest.count == 32, !signedOut.contains(value) else { return nil }
        return Array(digest)
    }

    /// The `Set-Cookie` header value: HttpOnly (no script reads it), SameSite=Strict (no other
    /// site's page sends it), `Secure` when the page came over HTTPS.
    func setCookie(_ value: String, secure: Bool) -> String {
        "\(Self.cookieName)=\(value); Path=/; Max-Age=\(Int(Self.lifetime)); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    static let clearCookie = "\(cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"

    /// The session cookie's value in a `Cookie` header, if present.
    static func value(inCookieHeader header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces)
            if pair.hasPrefix(cookieName + "=") { return String(pair.dropFirst(cookieName.count + 1)) }
        }
        return nil
    }

    private func signature(_ payload: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key)).base64URL
    }
}

/// Cookies signed out before they expire, kept until they do (then dropped). At most
/// ``limit``: past it (someone signing in and out in a loop), the ones nearest their expiry go.
final class SignedOutSessions: Sendable {
    static let limit = 100_000
    private let values = Mutex<[String: TimeInterval]>([:])

    func add(_ value: String, until expiry: TimeInterval, now: TimeInterval) {
        values.withLock { values in
            if values.count >= Self.limit {
                values = values.filter { $0.value > now }
                if values.count >= Self.limit {
                    for (key, _) in values.sorted(by: { $0.value < $1.value }).prefix(values.count - Self.limit + 1) { values[key] = nil }
                }
            }
            values[value] = expiry
        }
    }

    func contains(_ value: String) -> Bool {
        values.withLock { $0[value] != nil }
    }
}

extension Data {
    var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
