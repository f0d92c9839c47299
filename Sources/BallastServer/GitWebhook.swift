import BallastCore
import Crypto
import Foundation

/// Checks a git host's push webhook (`POST /v1/hooks/git`) against the shared secret:
///
/// - GitHub (and Gitea, Forgejo): `X-Hub-Signature-256: sha256=HEX`, an HMAC-SHA256 of the body;
/// - Gitea: `X-Gitea-Signature: HEX`, the same HMAC without the prefix;
/// - GitLab: `X-Gitlab-Token`, the secret itself.
///
/// Comparisons take the same time however much matches. The body is only ever a hint that the
/// repository changed: nothing in it (a ref, a commit id) is believed.
public struct GitWebhook: Sendable {
    public enum Verdict: Sendable, Hashable {
        /// A push (or any event but a ping): fetch now.
        case push
        /// The host checking the hook works: nothing to fetch.
        case ping
        case rejected(String)
    }

    private let secret: [UInt8]

    /// `secret` as written in the host's webhook settings (surrounding whitespace removed).
    public init?(secret: String) {
        let trimmed = secret.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return nil }
        self.secret = Array(trimmed.utf8)
    }

    /// `headers` with lowercased names.
    public func verify(headers: [String: String], body: [UInt8]) -> Verdict {
        let key = SymmetricKey(data: secret)
        if let signature = headers["x-hub-signature-256"] {
            guard signature.hasPrefix("sha256="), let mac = hexBytes(String(signature.dropFirst(7))),
                  HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: key)
            else { return .rejected("the X-Hub-Signature-256 signature does not match the body and the secret") }
        } else if let signature = headers["x-gitea-signature"] {
            guard let mac = hexBytes(signature), HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: key) else {
                return .rejected("the X-Gitea-Signature signature does not match the body and the secret")
            }
        } else if let token = headers["x-gitlab-token"] {
            // Equal digests, compared in full: no timing oracle on the secret.
            let given = Array(SHA256.hash(data: Array(token.utf8))), expected = Array(SHA256.hash(data: secret))
            guard zip(given, expected).reduce(UInt8(0), { $0 | ($1.0 ^ $1.1) }) == 0 else {
                return .rejected("the X-Gitlab-Token does not match the secret")
            }
        } else {
            return .rejected("the request is not signed: send X-Hub-Signature-256 (GitHub, Gitea), X-Gitea-Signature or X-Gitlab-Token")
        }
        let event = headers["x-github-event"] ?? headers["x-gitea-event"] ?? headers["x-gogs-event"] ?? headers["x-gitlab-event"] ?? ""
        return event.lowercased() == "ping" ? .ping : .push
    }

    private func hexBytes(_ text: String) -> [UInt8]? {
        guard text.utf8.count == 64 else { return nil }
        return SpecDigest.bytes(hex: text)
    }
}
