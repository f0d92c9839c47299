import BallastCore
@testable import BallastEngine
import Foundation
import Testing

/// How each reconcile outcome reads as conditions, without a controller.
@Suite("outcome conditions")
struct OutcomeConditionsTests {
    private let id = ResourceID(kind: "Bucket", name: "b", site: "s")
    private let start = Date(timeIntervalSince1970: 1_000)
    private let later = Date(timeIntervalSince1970: 2_000)

    /// Ready, Synced, Drifted, Failed as "True", "False" or "Unknown", with their reasons.
    private func conditions(after outcomes: [Reconciler.Outcome], observeOnly: Bool = false) -> [String] {
        var status = ResourceStatus(id: id, declared: true, at: start)
        for outcome in outcomes { status.record(outcome, observeOnly: observeOnly, at: later) }
        return ResourceCondition.Kind.allCases.map { kind in
            let condition = status[kind]
            let value = condition.status.map { $0 ? "True" : "False" } ?? "Unknown"
            return "\(kind.rawValue)=\(value)/\(condition.reason.rawValue)"
        }
    }

    @Test(arguments: [
        (Reconciler.Outcome.upToDate, ["Ready=True/UpToDate", "Synced=True/UpToDate", "Drifted=False/NoDrift", "Failed=False/Succeeded"]),
        (.applied(.create, reason: .new), ["Ready=True/Created", "Synced=True/Created", "Drifted=False/NoDrift", "Failed=False/Succeeded"]),
        (.applied(.update, reason: .drifted), ["Ready=True/Updated", "Synced=True/Updated", "Drifted=False/Healed", "Failed=False/Succeeded"]),
        (.failed(.create, message: "boom", retryable: true), ["Ready=False/NotCreated", "Synced=False/ActionFailed", "Drifted=Unknown/Pending", "Failed=True/CreateFailed"]),
        (.reported([], missing: true), ["Ready=False/Missing", "Synced=False/Drifted", "Drifted=True/SelfHealDisabled", "Failed=False/Succeeded"]),
        (.siteUnavailable("outage"), ["Ready=Unknown/SiteUnavailable", "Synced=Unknown/SiteUnavailable", "Drifted=Unknown/Pending", "Failed=Unknown/Pending"]),
        (.refused("preventDestroy"), ["Ready=Unknown/Pending", "Synced=False/Refused", "Drifted=Unknown/Pending", "Failed=True/Refused"]),
        (.held("over budget"), ["Ready=Unknown/Pending", "Synced=False/DeletionHeld", "Drifted=Unknown/Pending", "Failed=Unknown/Pending"]),
        (.waiting(for: ResourceID(kind: "Network", name: "n", site: "s")), ["Ready=Unknown/Pending", "Synced=False/Waiting", "Drifted=Unknown/Pending", "Failed=Unknown/Pending"]),
    ])
    func eachOutcomeSetsItsConditions(outcome: Reconciler.Outcome, expected: [String]) {
        #expect(conditions(after: [outcome]) == expected)
    }

    @Test func observeOnlyDriftSaysSo() {
        #expect(conditions(after: [.reported([FieldChange(path: "sizeGb", before: .int(1), after: .int(2))], missing: false)], observeOnly: true)
            == ["Ready=True/Exists", "Synced=False/Drifted", "Drifted=True/ObserveOnly", "Failed=False/Succeeded"])
    }

    /// A heal stays "Healed" while the resource stays up to date; the next reconcile confirms
    /// without rewriting the reason.
    @Test func aHealKeepsItsReasonUntilTheNextChange() {
        #expect(conditions(after: [.applied(.update, reason: .drifted), .upToDate])[2] == "Drifted=False/Healed")
    }

    @Test func deletionsAndUnknownChangeNoCondition() {
        let untouched = conditions(after: [])
        #expect(conditions(after: [.applied(.delete, reason: .notDeclared)]) == untouched)
        #expect(conditions(after: [.unknown]) == untouched)
    }
}
