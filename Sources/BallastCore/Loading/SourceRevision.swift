import Foundation

/// One revision of a versioned manifest source: a git commit, with what a person needs to
/// recognise it.
public struct SourceRevision: Sendable, Hashable, Codable {
    /// The full commit id (40 or 64 hexadecimal digits).
    public var commit: String
    /// When it was committed (the committer's date).
    public var committedAt: Date?
    /// The first line of its message, as written (escape it before printing).
    public var subject: String?

    public init(commit: String, committedAt: Date? = nil, subject: String? = nil) {
        self.commit = commit
        self.committedAt = committedAt
        self.subject = subject
    }

    /// The abbreviated id people read: the first 12 digits.
    public var short: String { String(commit.prefix(12)) }
}
