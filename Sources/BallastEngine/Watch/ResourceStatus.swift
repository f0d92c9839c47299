import BallastCore
import Foundation

/// The conditions of one resource under watch, and when it was last reconciled.
public struct ResourceStatus: Sendable, Hashable {
    public let id: ResourceID
    /// Everything but the id, as ``StatusTable`` keeps it (its key is the id).
    var record: Record

    /// The four conditions inline (a dictionary of four would be a heap allocation for every
    /// resource under watch), each without its kind (its slot) and with the four statuses in
    /// one byte: 192 bytes a resource, where whole conditions and the id took 272.
    struct Record: Sendable, Hashable {
        var ready: Condition
        var synced: Condition
        var drifted: Condition
        var failed: Condition
        // In this order the one-byte fields pack behind the optional date's tag byte.
        var revision: String?
        var lastReconciled: Date?
        /// Two bits per kind, in ``ResourceCondition/Kind/allCases`` order: 0 unknown, 1 false, 2 true.
        var statuses: UInt8 = 0
        var declared: Bool
    }

    /// A condition without its kind and status (``Record`` holds those).
    struct Condition: Sendable, Hashable {
        var reason: ConditionReason
        var message: String
        var lastTransitionTime: Date
    }

    public var lastReconciled: Date? {
        get { record.lastReconciled }
        set { record.lastReconciled = newValue }
    }

    /// Whether the manifests declare it (false: managed, waiting to be pruned).
    public var declared: Bool {
        get { record.declared }
        set { record.declared = newValue }
    }

    /// The source revision (git commit) in force when it was last reconciled; nil for files.
    public var revision: String? {
        get { record.revision }
        set { record.revision = newValue }
    }

    public init(id: ResourceID, declared: Bool, at now: Date) {
        let pending = Condition(reason: .pending, message: "not reconciled yet", lastTransitionTime: now)
        self.init(id: id, record: Record(ready: pending, synced: pending, drifted: pending, failed: pending, declared: declared))
    }

    init(id: ResourceID, record: Record) {
        self.id = id
        self.record = record
    }

    public private(set) subscript(kind: ResourceCondition.Kind) -> ResourceCondition {
        get {
            let condition = switch kind {
            case .ready: record.ready
            case .synced: record.synced
            case .drifted: record.drifted
            case .failed: record.failed
            }
            return ResourceCondition(kind: kind, status: status(of: kind), reason: condition.reason, message: condition.message, lastTransitionTime: condition.lastTransitionTime)
        }
        set {
            let condition = Condition(reason: newValue.reason, message: newValue.message, lastTransitionTime: newValue.lastTransitionTime)
            switch kind {
            case .ready: record.ready = condition
            case .synced: record.synced = condition
            case .drifted: record.drifted = condition
            case .failed: record.failed = condition
            }
            let shift = Self.shift(of: kind)
            let code: UInt8 = switch newValue.status { case nil: 0; case false?: 1; case true?: 2 }
            record.statuses = record.statuses & ~(3 << shift) | code << shift
        }
    }

    private func status(of kind: ResourceCondition.Kind) -> Bool? {
        switch record.statuses >> Self.shift(of: kind) & 3 {
        case 1: false
        case 2: true
        default: nil
        }
    }

    private static func shift(of kind: ResourceCondition.Kind) -> UInt8 {
        switch kind {
        case .ready: 0
        case .synced: 2
        case .drifted: 4
        case .failed: 6
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
        guard self.status(of: kind) != status else { return }
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
    public func holds(_ kind: ResourceCondition.Kind) -> Bool { status(of: kind) == true }
}
