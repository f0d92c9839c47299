import BallastCore
import BallastState
import Foundation

/// Makes the CloudEvents 1.0 events (structured mode, one JSON object) that Ballast writes to
/// its outbox for the event sinks: one place that decides each event's type, subject and data.
///
/// Data never carries a value from a spec or an output (they may be secrets): field paths,
/// actions, statuses and already redacted messages only.
public struct EventAnnouncer: Sendable {
    /// The CloudEvents `source` of every event, such as `urn:ballast:HOST`.
    public var source: String
    /// A new event id; ids are stored with the event, so a redelivery keeps its id.
    public var newID: @Sendable () -> String
    /// Called after events were written, to wake the delivery (``EventDelivery/wake``).
    public var written: @Sendable () -> Void

    public init(source: String, newID: @escaping @Sendable () -> String = { UUID().uuidString.lowercased() }, written: @escaping @Sendable () -> Void = {}) {
        self.source = source
        self.newID = newID
        self.written = written
    }

    /// One event.
    public func event(_ type: BallastEventType, subject: String, time: Date, data: Fields) -> OutboxEvent {
        let id = newID()
        let object = Fields([
            "specversion": .string("1.0"),
            "id": .string(id),
            "source": .string(source),
            "type": .string(type.rawValue),
            "subject": .string(subject),
            "time": .string(Timestamp.string(time, fractionalSeconds: true)),
            "datacontenttype": .string("application/json"),
            "data": .map(data),
        ] as [String: Value])
        return OutboxEvent(id: id, subject: subject, body: JSONText.string(.map(object)))
    }

    /// The events that report a journal outcome, in the order they happened: a heal is the
    /// drift found, then the action that healed it.
    public func outcome(_ intent: JournalIntent, sequence: Int64, outcome: JournalOutcome, planned: PlannedAction? = nil) -> [OutboxEvent] {
        var events: [OutboxEvent] = []
        if let planned, planned.reason.undoesDrift {
            events.append(drifted(intent.id, changes: planned.changes, missing: planned.reason == .vanished, at: intent.at))
        }
        let type: BallastEventType
        switch outcome.status {
        case .succeeded, .adopted:
            switch intent.action {
            case .create: type = .created
            case .update, .noop: type = .updated
            case .replace: type = .replaced
            case .delete: type = planned?.reason == .orphaned ? .forgotten : .deleted
            }
        case .failed: type = .failed
        case .skipped: type = .skipped
        case .abandoned: type = .abandoned
        }
        var data = Self.resource(intent.id)
        data["action"] = .string(intent.action.rawValue)
        data["status"] = .string(outcome.status.rawValue)
        data["attempts"] = .int(outcome.attempts)
        data["journalSequence"] = .int(Int(sequence))
        data["runId"] = .string(intent.runID)
        if let reason = planned?.reason { data["reason"] = .string(reason.rawValue) }
        if let error = outcome.error { data["error"] = .string(error) }
        if let revision = intent.revision { data["revision"] = .string(revision) }
        events.append(event(type, subject: intent.id.description, time: outcome.at, data: data))
        return events
    }

    /// Drift found on a resource: which fields differ (never their values), or that it is gone.
    public func drifted(_ id: ResourceID, changes: [FieldChange], missing: Bool, at time: Date) -> OutboxEvent {
        var data = Self.resource(id)
        data["missing"] = .bool(missing)
        data["fields"] = .list(changes.map(\.path).sorted().map(Value.string))
        return event(.drifted, subject: id.description, time: time, data: data)
    }

    /// A site's circuit opened (`up` false) or closed.
    public func site(_ name: String, up: Bool, reason: String?, at time: Date) -> OutboxEvent {
        var data = Fields(["site": .string(name)])
        if let reason { data["reason"] = .string(reason) }
        return event(up ? .siteUp : .siteDown, subject: "site/\(name)", time: time, data: data)
    }

    /// A source revision put in force (`held` false) or held because it does not validate.
    public func source(revision: SourceRevision?, held: Bool, resources: Int, diagnostics: [String] = [], at time: Date) -> OutboxEvent {
        var data = Fields(["resources": .int(resources)])
        if let revision { data["revision"] = .string(revision.commit) }
        if !diagnostics.isEmpty { data["diagnostics"] = .list(diagnostics.map(Value.string)) }
        return event(held ? .sourceHeld : .sourceApplied, subject: revision.map { "source/\($0.commit)" } ?? "source/files", time: time, data: data)
    }

    /// Removals held over the deletion budget, with the digest that approves them.
    public func deletionsHeld(_ ids: [ResourceID], limit: Int, digest: String, at time: Date) -> OutboxEvent {
        let data = Fields([
            "count": .int(ids.count), "limit": .int(limit), "digest": .string(digest),
            "resources": .list(ids.map(\.description).sorted().map(Value.string)),
        ] as [String: Value])
        return event(.deletionsHeld, subject: "deletions/\(digest)", time: time, data: data)
    }

    /// An instance moved off a failed site, or back (`data.direction`).
    public func placementMoved(_ move: FailoverReport.Move, at time: Date) -> OutboxEvent {
        let data = Fields([
            "direction": .string(move.direction.rawValue), "manifest": .string(move.manifest),
            "from": .string(move.from), "to": .string(move.to),
        ] as [String: Value])
        return event(.placementMoved, subject: "placement/\(move.manifest)", time: time, data: data)
    }

    /// The resources a blocking budget holds back now (none: it released them), and why.
    public func budgetHeld(_ budget: String, ids: [ResourceID], message: String?, at time: Date) -> OutboxEvent {
        let data = Fields([
            "budget": .string(budget), "count": .int(ids.count), "message": message.map(Value.string) ?? .null,
            "resources": .list(ids.map(\.description).sorted().map(Value.string)),
        ] as [String: Value])
        return event(.budgetHeld, subject: "budget/\(budget)", time: time, data: data)
    }

    private static func resource(_ id: ResourceID) -> Fields {
        Fields(["id": .string(id.description), "kind": .string(id.kind), "name": .string(id.name), "site": .string(id.site)] as [String: Value])
    }
}
