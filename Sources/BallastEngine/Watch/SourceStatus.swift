import BallastCore
import Foundation

/// What a manifest source is and how its last look went: served by `/v1/manifests` and shown by
/// `ballast status`.
public struct SourceStatus: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case directory
        case git
        /// An edge agent's: the desired state its hub publishes for its site.
        case hub
    }

    public var kind: Kind
    /// The directories and files, or the repository's URL with any credentials removed.
    public var location: String
    /// The branch or tag followed (git).
    public var ref: String?
    /// The paths loaded, relative to the repository's root for git.
    public var paths: [String]
    /// The newest revision fetched and accepted (git): the one the daemon loads next, or has.
    public var latest: SourceRevision?
    /// When the source was last looked at successfully (git: fetched).
    public var checkedAt: Date?
    /// Why the last look failed (unreachable, ref deleted, a commit refused), if it did; the
    /// last revision stays in force meanwhile.
    public var error: String?
    /// Something worth knowing that is not an error: a history rewrite followed.
    public var notice: String?

    public init(kind: Kind, location: String, ref: String? = nil, paths: [String], latest: SourceRevision? = nil, checkedAt: Date? = nil, error: String? = nil, notice: String? = nil) {
        self.kind = kind
        self.location = location
        self.ref = ref
        self.paths = paths
        self.latest = latest
        self.checkedAt = checkedAt
        self.error = error
        self.notice = notice
    }
}
