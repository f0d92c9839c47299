/// Why a git operation failed, and whether trying again later can help.
public struct GitError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable {
        /// The remote could not be reached, or did not answer in time.
        case unreachable
        /// The remote refused the credentials, or asked for some and none were available.
        case authentication
        /// The branch or tag is not on the remote (deleted, or misspelt).
        case refNotFound
        /// A commit is not signed by a key the allowed-signers file names.
        case unverified
        /// The URL or ref cannot be used as given.
        case invalid
        /// git itself is missing or failed locally (disk, permissions).
        case local
    }

    public var code: Code
    /// What went wrong, with any credentials removed from URLs in it.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = GitRemote.redacted(message)
    }

    /// Whether the same operation may succeed later without anyone changing anything here.
    public var isRetryable: Bool {
        switch code {
        case .unreachable, .refNotFound, .local: true
        case .authentication, .unverified, .invalid: false
        }
    }

    public var description: String { message }
}
