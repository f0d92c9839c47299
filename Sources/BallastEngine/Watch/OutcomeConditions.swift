import BallastCore
import Foundation

/// How a reconcile outcome reads as a resource's conditions. Pure: the watch controller applies
/// it and then does what has effects (metrics, logs, queueing), and the mapping is tested on its
/// own (OutcomeConditionsTests).
extension ResourceStatus {
    /// Records `outcome` in the conditions. A deletion and `unknown` remove the resource from
    /// the table instead, and change nothing here. `observeOnly`: the resource's policy is
    /// `management: observe` (its drift is reported, never reverted).
    public mutating func record(_ outcome: Reconciler.Outcome, observeOnly: Bool, at now: Date) {
        switch outcome {
        case .upToDate:
            confirm(.ready, true, reason: .upToDate, at: now)
            confirm(.synced, true, reason: .upToDate, at: now)
            confirm(.drifted, false, reason: .noDrift, at: now)
            confirm(.failed, false, reason: .succeeded, at: now)
            lastReconciled = now
        case .applied(let action, let reason):
            guard action != .delete else { return }
            let healed = Self.heals(reason)
            set(.ready, true, reason: ConditionReason.applied(action, reason), at: now)
            set(.synced, true, reason: ConditionReason.applied(action, reason), at: now)
            set(.drifted, false, reason: healed ? .healed : .noDrift, message: healed ? "\(reason.text); reverted" : "", at: now)
            set(.failed, false, reason: .succeeded, at: now)
            lastReconciled = now
        case .failed(let action, let message, _):
            set(.failed, true, reason: .failed(action), message: message, at: now)
            set(.synced, false, reason: .actionFailed, message: message, at: now)
            if action == .create { set(.ready, false, reason: .notCreated, message: message, at: now) }
            lastReconciled = now
        case .reported(let changes, let missing):
            let message = Self.driftMessage(changes, missing: missing)
            set(.drifted, true, reason: observeOnly ? .observeOnly : .selfHealDisabled, message: message, at: now)
            set(.synced, false, reason: .drifted, message: message, at: now)
            set(.ready, !missing, reason: missing ? .missing : .exists, at: now)
            set(.failed, false, reason: .succeeded, at: now)
            lastReconciled = now
        case .siteUnavailable(let reason):
            set(.ready, nil, reason: .siteUnavailable, message: reason, at: now)
            set(.synced, nil, reason: .siteUnavailable, message: reason, at: now)
        case .refused(let message):
            set(.failed, true, reason: .refused, message: message, at: now)
            set(.synced, false, reason: .refused, message: message, at: now)
            lastReconciled = now
        case .waiting(let other):
            set(.synced, false, reason: .waiting, message: "waiting for \(other)", at: now)
        case .held(let message):
            set(.synced, false, reason: .deletionHeld, message: message, at: now)
        case .awaitingOutputs(let message):
            set(.synced, false, reason: .awaitingAgentOutputs, message: message, at: now)
        case .overBudget(let message):
            set(.synced, false, reason: .overBudget, message: message, at: now)
            lastReconciled = now
        case .unknown:
            return
        }
    }

    /// Whether an action for `reason` undoes drift (the world changed; Ballast put it back).
    public static func heals(_ reason: ActionReason) -> Bool { reason.undoesDrift }

    /// The words for reported drift: "the resource is missing" or "differs in a, b".
    public static func driftMessage(_ changes: [FieldChange], missing: Bool) -> String {
        missing ? "the resource is missing" : "differs in \(changes.map(\.path).joined(separator: ", "))"
    }
}
