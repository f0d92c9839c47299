import BallastCore
import Foundation

/// The conditions of one resource under watch, and when it was last reconciled.
public struct ResourceStatus: Sendable, Hashable {
    public let id: ResourceID
    /// One condition per kind, always all four, held inline: a dictionary of four would be a
    /// heap allocation of its own for every resource under watch.
    private var ready: ResourceCondition
    private var synced: ResourceCondition
    private var drifted: ResourceCondition
    private var failed: ResourceCondition
    public var lastReconciled: Date?
    /// Whether the manifests declare it (false: managed, waiting to be pruned).
    public var declared: Bool
    /// The source revision (git commit) in force when it was last reconciled; nil for files.
    public var revision: String?

    public init(id: ResourceID, declared: Bool, at now: Date) {
        self.id = id
        self.declared = declared
        func pending(_ kind: ResourceCondition.Kind) -> ResourceCondition {
            ResourceCondition(kind: kind, status: nil, reason: .pending, message: "not reconciled yet", lastTransitionTime: now)
        }
        ready = pending(.ready)
        synced = pending(.synced)
        drifted = pending(.drifted)
        failed = pending(.failed)
    }

    public private(set) subscript(kind: ResourceCondition.Kind) -> ResourceCondition {
        get {
            switch kind {
            case .ready: ready
            case .synced: synced
            case .drifted: drifted
            case .failed: failed
            }
        }
        set {
            switch kind {
            case .ready: ready = newValue
            case .synced: synced = newValue
            case .drifted: drifted = newValue
            case .failed: failed = newValue
            }
        }
    }

    /// Sets a condition; its transition time moves only when its status changes.
    public mutating func set(_ kind: ResourceCondition.Kind, _ status: Bool?, reason: ConditionReason, message: String = "", at now: Date) {
        let previous = self[kind]
        let time = previous.status == status ? previous.lastTransitionTime : now
        self[kind] = ResourceCondition(kind: kind, status: status, reason: reason, message: message, lastTransitionTime: time)
    }

    /// Sets a condition only when its status changes, keeping the reason that explains the
    /// current status (a heal stays "Healed" until the next drift).
    public mutating func confirm(_ kind: ResourceCondition.Kind, _ status: Bool?, reason: ConditionReason, message: String = "", at now: Date) {
        guard self[kind].status != status else { return }
        set(kind, status, reason: reason, message: message, at: now)
    }

    /// In a few words: `Ready`, or the condition that says why not (`Failed: …`, `Drifted: …`,
    /// `not Ready: …`).
    public var summary: String {
        if holds(.failed) { return "Failed: \(self[.failed].message)" }
        if holds(.drifted) { return "Drifted: \(self[.drifted].message)" }
        if holds(.ready) { return "Ready" }
        let ready = self[.ready]
        return "not Ready (\(ready.reason.rawValue))" + (ready.message.isEmpty ? "" : ": \(ready.message)")
    }

    /// Whether the condition holds (is True).
    public func holds(_ kind: ResourceCondition.Kind) -> Bool { self[kind].status == true }
}
