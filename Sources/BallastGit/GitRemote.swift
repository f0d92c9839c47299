import BallastCore
import Foundation

/// One ref of one remote repository, as the user named them: checked so that neither can be
/// read by git as an option or a refspec, and shown only with its credentials removed.
public struct GitRemote: Sendable, Hashable {
    /// The URL as given (it may carry credentials: never print it, print ``redactedURL``).
    public let url: String
    /// The branch or tag followed.
    public let ref: String

    public init(url: String, ref: String) throws(GitError) {
        guard !url.isEmpty, !url.hasPrefix("-"), !url.unicodeScalars.contains(where: Self.isControl) else {
            throw GitError(.invalid, "--git takes a repository URL (https://…, ssh://…, git@host:path, file://… or a path); got '\(TerminalText.safe(Self.redacted(url)))'")
        }
        // git's "ext::" and "fd::" transports run commands: never from a URL someone else wrote.
        let scheme = url.range(of: "::").map { String(url[..<$0.lowerBound]).lowercased() }
        guard scheme.map({ !["ext", "fd"].contains($0) }) ?? true else {
            throw GitError(.invalid, "--git: the \(scheme!):: transport runs commands and is not allowed")
        }
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-+")
        guard !ref.isEmpty, !ref.hasPrefix("-"), !ref.hasPrefix("/"), !ref.hasSuffix("/"), !ref.hasSuffix(".lock"), !ref.contains(".."), !ref.contains("//"),
              ref.unicodeScalars.allSatisfy(allowed.contains)
        else {
            throw GitError(.invalid, "--ref takes a branch or tag name (letters, digits, '.', '_', '-', '+' and '/'); got '\(TerminalText.safe(ref))'")
        }
        self.url = url
        self.ref = ref
    }

    /// The URL with any user name and password removed.
    public var redactedURL: String { Self.redacted(url) }

    /// A name for this remote and ref in the local data directory: the same for the same pair,
    /// whoever asks, and never the URL itself (it may carry credentials).
    public var key: String {
        String(SpecDigest.digest("\(url)\n\(ref)").prefix(20))
    }

    /// `text` with the credentials of every URL in it (`scheme://user:password@host`) replaced by
    /// `***`: git names the URL in its errors.
    public static func redacted(_ text: String) -> String {
        guard text.contains("@"), text.contains("://") else { return text }
        var result = ""
        var rest = Substring(text)
        while let schemeEnd = rest.range(of: "://") {
            result += rest[..<schemeEnd.upperBound]
            rest = rest[schemeEnd.upperBound...]
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == " " || $0 == "'" || $0 == "\"" || $0.isNewline }) ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                result += "***@"
                rest = rest[rest.index(after: at)...]
            }
        }
        return result + rest
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.generalCategory == .control || scalar == " "
    }
}
