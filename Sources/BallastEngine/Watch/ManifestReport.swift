import BallastCore
import Foundation

/// The result of the last manifest (re)load watch mode attempted.
public struct ManifestReport: Sendable {
    /// Whether the last load validated and is in force.
    public var valid: Bool
    public var at: Date
    /// The digest of the manifests in force (the last good load).
    public var inputDigest: String
    /// The errors and warnings of the last load, rendered `file:line:column: error: …`.
    public var diagnostics: [String]
    /// How many resources the manifests in force declare.
    public var resources: Int
    /// The source revision in force (git), if the source has revisions.
    public var revision: SourceRevision?
    /// The newest revision that was not put in force because its manifests do not validate;
    /// nil once a later one is.
    public var heldRevision: SourceRevision?

    public init(valid: Bool, at: Date, inputDigest: String, diagnostics: [String], resources: Int, revision: SourceRevision? = nil, heldRevision: SourceRevision? = nil) {
        self.valid = valid
        self.at = at
        self.inputDigest = inputDigest
        self.diagnostics = diagnostics
        self.resources = resources
        self.revision = revision
        self.heldRevision = heldRevision
    }
}
