import BallastCore
import Foundation

/// One drift watch mode found on a resource, and what came of it: the resource's drift history,
/// kept in the state (the last ``limit`` per resource, ``DriftHistoryStore``).
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

/// Where watch mode keeps each resource's drift history (part of every ``StateStore``): in the
/// state, so that it survives a restart and any replica can show it.
public protocol DriftHistoryStore: Sendable {
    /// Appends `record` to `id`'s history and drops all but its newest `keep` records, in one
    /// transaction. Not fenced by leases: it is history, not state that decides an action.
    func recordDrift(_ record: DriftRecord, of id: ResourceID, keep: Int) async throws

    /// `id`'s history, oldest first (at most the `keep` last recorded).
    func drifts(of id: ResourceID) async throws -> [DriftRecord]

    /// Forgets `id`'s history (the resource was deleted); succeeds when there is none.
    func forgetDrifts(of id: ResourceID) async throws
}

extension DriftRecord {
    /// The outcome as stored: `reported`, or `healed:ACTION`.
    public var storedOutcome: String {
        switch outcome {
        case .reported: "reported"
        case .healed(let action): "healed:" + action.rawValue
        }
    }

    /// A record read back from its stored columns; nil for an outcome this version does not know.
    public init?(at: Date, fieldsJSON: String, missing: Bool, storedOutcome: String) {
        let outcome: Outcome
        if storedOutcome == "reported" {
            outcome = .reported
        } else if storedOutcome.hasPrefix("healed:"), let action = Action(rawValue: String(storedOutcome.dropFirst("healed:".count))) {
            outcome = .healed(action)
        } else {
            return nil
        }
        var fields: [String] = []
        if case .list(let items)? = try? JSONValueParser.parse(Array(fieldsJSON.utf8)) { fields = items.compactMap(\.stringValue) }
        self.init(at: at, fields: fields, missing: missing, outcome: outcome)
    }

    /// The fields as stored: a JSON list of paths.
    public var fieldsJSON: String { JSONText.string(.list(fields.map(Value.string))) }
}
