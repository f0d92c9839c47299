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

    public init(valid: Bool, at: Date, inputDigest: String, diagnostics: [String], resources: Int) {
        self.valid = valid
        self.at = at
        self.inputDigest = inputDigest
        self.diagnostics = diagnostics
        self.resources = resources
    }
}
