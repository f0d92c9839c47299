import BallastCore
import Foundation

/// A journal event as JSON (`ballast events -o json` and the daemon's `/v1/events`).
public enum JournalEventJSON {
    public static func encode(_ event: JournalEvent) -> Value {
        var fields = Fields([
            "sequence": .int(Int(event.sequence)),
            "run": .string(event.runID),
            "id": .string(event.id.description),
            "action": .string(event.action.rawValue),
            "startedAt": .string(Timestamp.string(event.startedAt)),
            "status": .string(event.outcome?.status.rawValue ?? "unfinished"),
            "attempts": .int(event.outcome?.attempts ?? 0),
            "error": event.outcome?.error.map(Value.string) ?? .null,
            "finishedAt": event.outcome.map { .string(Timestamp.string($0.at)) } ?? .null,
        ])
        // Only from a versioned source (git): entries from files keep their earlier shape.
        if let revision = event.revision { fields["revision"] = .string(revision) }
        if let approval = event.approval { fields["approval"] = .string(approval) }
        return .map(fields)
    }
}
