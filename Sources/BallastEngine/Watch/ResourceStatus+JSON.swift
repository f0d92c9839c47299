import BallastCore
import Foundation

/// A resource's status as JSON: what `/v1/resources` serves and what an edge agent reports.
/// The one place that writes and reads this shape.
extension ResourceStatus {
    /// As `/v1/resources` lists it: id, kind, name, site, declared, lastReconciled, the four
    /// conditions, and the revision when there is one.
    public var json: Value {
        var fields = Fields([
            "id": .string(id.description),
            "kind": .string(id.kind),
            "name": .string(id.name),
            "site": .string(id.site),
            "declared": .bool(declared),
            "lastReconciled": lastReconciled.map { .string(Timestamp.string($0, fractionalSeconds: true)) } ?? .null,
            "conditions": .list(ResourceCondition.Kind.allCases.map { kind in
                let condition = self[kind]
                return .map(Fields([
                    "type": .string(kind.rawValue),
                    "status": .string(condition.statusText),
                    "reason": .string(condition.reason.rawValue),
                    "message": .string(condition.message),
                    "lastTransitionTime": .string(Timestamp.string(condition.lastTransitionTime, fractionalSeconds: true)),
                ]))
            }),
        ])
        if let revision { fields["revision"] = .string(revision) }
        return .map(fields)
    }

    /// A status read back from its ``json`` (an agent's report); nil when it is not one.
    public static func decode(_ value: Value) -> ResourceStatus? {
        guard case .map(let fields) = value, let text = fields["id"]?.stringValue, let id = ResourceID(parsing: text),
              case .list(let conditions)? = fields["conditions"] else { return nil }
        var status = ResourceStatus(id: id, declared: fields["declared"]?.boolValue ?? true, at: Date())
        status.lastReconciled = fields["lastReconciled"]?.stringValue.flatMap(Timestamp.parse)
        status.revision = fields["revision"]?.stringValue
        for case .map(let condition) in conditions {
            guard let type = condition["type"]?.stringValue, let kind = ResourceCondition.Kind(rawValue: type),
                  let reason = condition["reason"]?.stringValue, let time = condition["lastTransitionTime"]?.stringValue.flatMap(Timestamp.parse) else { return nil }
            let value: Bool? = switch condition["status"]?.stringValue {
            case "True": true
            case "False": false
            default: nil
            }
            status.set(kind, value, reason: ConditionReason(rawValue: reason), message: condition["message"]?.stringValue ?? "", at: time)
        }
        return status
    }
}
