import BallastCore

/// Why a condition has its status: one machine-readable word (`Healed`, `DeletionHeld`). An
/// extensible enum, as HTTP statuses are: the reasons Ballast sets are the constants below,
/// and a later issue adds its own (`OverBudget`, `FailoverImpossible`) beside them.
public struct ConditionReason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    public static let pending = ConditionReason(rawValue: "Pending")
    public static let upToDate = ConditionReason(rawValue: "UpToDate")
    public static let created = ConditionReason(rawValue: "Created")
    public static let recreated = ConditionReason(rawValue: "Recreated")
    public static let updated = ConditionReason(rawValue: "Updated")
    public static let replaced = ConditionReason(rawValue: "Replaced")
    public static let deleted = ConditionReason(rawValue: "Deleted")
    public static let exists = ConditionReason(rawValue: "Exists")
    public static let missing = ConditionReason(rawValue: "Missing")
    public static let notCreated = ConditionReason(rawValue: "NotCreated")
    public static let noDrift = ConditionReason(rawValue: "NoDrift")
    public static let healed = ConditionReason(rawValue: "Healed")
    public static let drifted = ConditionReason(rawValue: "Drifted")
    public static let observeOnly = ConditionReason(rawValue: "ObserveOnly")
    public static let selfHealDisabled = ConditionReason(rawValue: "SelfHealDisabled")
    public static let succeeded = ConditionReason(rawValue: "Succeeded")
    public static let actionFailed = ConditionReason(rawValue: "ActionFailed")
    public static let reconcileError = ConditionReason(rawValue: "ReconcileError")
    public static let refused = ConditionReason(rawValue: "Refused")
    public static let waiting = ConditionReason(rawValue: "Waiting")
    public static let siteUnavailable = ConditionReason(rawValue: "SiteUnavailable")
    public static let deletionHeld = ConditionReason(rawValue: "DeletionHeld")
    /// A pull site's resource whose agent has not reported for three heartbeats.
    public static let agentStale = ConditionReason(rawValue: "AgentStale")
    /// A pull site's resource whose agent has not reported since the hub started.
    public static let agentNotReported = ConditionReason(rawValue: "AgentNotReported")

    /// A resource that refers to an output a pull site's agent has not reported yet.
    public static let awaitingAgentOutputs = ConditionReason(rawValue: "AwaitingAgentOutputs")

    /// A change held back because it would take a blocking `Budget` over its limit
    /// (``BudgetHolds``); the declaration in force stays.
    public static let overBudget = ConditionReason(rawValue: "OverBudget")

    /// An instance whose site failed, with no other matching site to move to: nothing is
    /// deleted, and the reason names what was tried.
    public static let failoverImpossible = ConditionReason(rawValue: "FailoverImpossible")

    /// `CreateFailed`, `UpdateFailed`, `ReplaceFailed`, `DeleteFailed`; `ReconcileError` when no
    /// action was under way.
    public static func failed(_ action: Action) -> ConditionReason {
        action == .noop ? .reconcileError : ConditionReason(rawValue: "\(action.rawValue.prefix(1).uppercased())\(action.rawValue.dropFirst())Failed")
    }

    /// What an applied action reads as: `Created`, `Recreated`, `Updated`, `Replaced`, `Deleted`.
    public static func applied(_ action: Action, _ reason: ActionReason) -> ConditionReason {
        switch (action, reason) {
        case (.create, .vanished): .recreated
        case (.create, _): .created
        case (.update, _): .updated
        case (.replace, _): .replaced
        case (.delete, _): .deleted
        case (.noop, _): .upToDate
        }
    }
}
