import BallastCore
import BallastProviders

/// The simulated infrastructure: every resource that exists on every sim site.
public struct SimWorld: Sendable, Hashable {
    public struct Record: Sendable, Hashable {
        public var id: ResourceID
        public var spec: Fields
        public var outputs: Fields
        /// The world serial of the record's last change.
        public var revision: Int

        public var observed: Observed {
            Observed(id: id, spec: spec, outputs: outputs, revision: String(revision))
        }
    }

    public var records: [ResourceID: Record] = [:]
    /// Outages switched on or off by `ballast sim outage`, overriding the site config.
    public var outages: [String: Bool] = [:]
    /// Increases with every change.
    public var serial = 0

    public init() {}

    /// One change to the world, as the journal records it.
    public enum Change: Sendable, Hashable {
        case put(Record)
        case remove(ResourceID)
        case outage(site: String, on: Bool?)
    }

    public mutating func apply(_ change: Change, serial: Int) {
        self.serial = max(self.serial, serial)
        switch change {
        case .put(var record):
            record.revision = serial
            records[record.id] = record
        case .remove(let id):
            records[id] = nil
        case .outage(let site, let on):
            outages[site] = on
        }
    }
}

extension SimWorld.Change {
    func encoded(serial: Int) -> String {
        var fields: [String: Value] = ["serial": .int(serial)]
        switch self {
        case .put(let record):
            fields["op"] = .string("put")
            fields["id"] = .string(record.id.description)
            fields["spec"] = .map(record.spec)
            fields["outputs"] = .map(record.outputs)
        case .remove(let id):
            fields["op"] = .string("remove")
            fields["id"] = .string(id.description)
        case .outage(let site, let on):
            fields["op"] = .string("outage")
            fields["site"] = .string(site)
            fields["on"] = on.map(Value.bool) ?? .null
        }
        return JSONText.string(.map(Fields(fields)))
    }

    static func decode(_ value: Value) -> (change: SimWorld.Change, serial: Int)? {
        guard case .map(let fields) = value, let op = fields["op"]?.stringValue, let serial = fields["serial"]?.intValue else { return nil }
        switch op {
        case "put":
            guard let id = fields["id"]?.stringValue.flatMap(ResourceID.init(parsing:)) else { return nil }
            let record = SimWorld.Record(id: id, spec: fields["spec"]?.fieldsValue ?? Fields(), outputs: fields["outputs"]?.fieldsValue ?? Fields(), revision: serial)
            return (.put(record), serial)
        case "remove":
            guard let id = fields["id"]?.stringValue.flatMap(ResourceID.init(parsing:)) else { return nil }
            return (.remove(id), serial)
        case "outage":
            guard let site = fields["site"]?.stringValue else { return nil }
            return (.outage(site: site, on: fields["on"]?.boolValue), serial)
        default:
            return nil
        }
    }
}
