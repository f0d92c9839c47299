import BallastCore

/// Text made safe for HTML: every piece of text from outside (names, labels, messages, commit
/// subjects) goes through ``text(_:)`` after secret redaction, and nothing else writes markup
/// from data.
struct HTML {
    let redactor: SecretRedactor

    /// `value` escaped for an element's content or a quoted attribute, secrets redacted.
    func text(_ value: String) -> String {
        Self.escape(redactor.redact(value))
    }

    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default:
                // Control characters (escape sequences among them) are shown, not sent.
                if scalar.value < 0x20 && scalar != "\n" && scalar != "\t" || scalar.value == 0x7f {
                    out += "&#xFFFD;"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A path or query component, percent-encoded.
    static func component(_ value: String) -> String {
        var allowed = CharacterSetLike.unreserved
        allowed.insert("@")
        return value.unicodeScalars.map { allowed.contains($0) ? String($0) : $0.utf8Encoded }.joined()
    }
}

/// RFC 3986 unreserved characters.
private enum CharacterSetLike {
    static var unreserved: Set<Unicode.Scalar> {
        Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".unicodeScalars)
    }
}

private extension Unicode.Scalar {
    var utf8Encoded: String {
        String(self).utf8.map { "%" + String($0, radix: 16, uppercase: true).leftPadded }.joined()
    }
}

private extension String {
    var leftPadded: String { count == 1 ? "0" + self : self }
}
