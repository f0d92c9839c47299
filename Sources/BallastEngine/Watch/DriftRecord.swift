import BallastCore
import Foundation

/// One drift watch mode found on a resource, and what came of it: the resource's drift history,
/// kept in memory since the daemon started (the last ``limit`` per resource).
public struct DriftRecord: Sendable, Hashable {
    public static let limit = 10

    public enum Outcome: Sendable, Hashable {
        /// Reverted by this action.
        case healed(Action)
        /// Reported and left alone (`selfHeal: false`, observe-only).
        case reported
    }

    public var at: Date
    /// The fields that differed; empty when the resource was missing, or when a heal did not
    /// say which.
    public var fields: [String]
    public var missing: Bool
    public var outcome: Outcome

    public init(at: Date, fields: [String], missing: Bool, outcome: Outcome) {
        self.at = at
        self.fields = fields
        self.missing = missing
        self.outcome = outcome
    }
}
