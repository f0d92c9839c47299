import Foundation

/// One observable fact about a managed resource, after Kubernetes' status conditions: a type,
/// whether it holds (`true`, `false`, or nil for unknown), a machine-readable reason, a message
/// for people, and when the status last changed.
public struct ResourceCondition: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable, Comparable {
        /// The resource exists and matches the last spec applied.
        case ready = "Ready"
        /// The world matches the manifests as they are now.
        case synced = "Synced"
        /// The world differs from what Ballast applied, and Ballast has not (yet) reverted it.
        case drifted = "Drifted"
        /// The last action on the resource failed.
        case failed = "Failed"

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public var kind: Kind
    public var status: Bool?
    public var reason: ConditionReason
    public var message: String
    public var lastTransitionTime: Date

    public init(kind: Kind, status: Bool?, reason: ConditionReason, message: String = "", lastTransitionTime: Date) {
        self.kind = kind
        self.status = status
        self.reason = reason
        self.message = message
        self.lastTransitionTime = lastTransitionTime
    }

    /// "True", "False" or "Unknown", as Kubernetes spells it.
    public var statusText: String {
        switch status {
        case true?: "True"
        case false?: "False"
        case nil: "Unknown"
        }
    }
}
