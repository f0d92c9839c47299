import BallastCore
import BallastProviders

/// The simulated infrastructure: every resource that exists on every sim site.
public struct SimWorld: Sendable, Hashable {
    /// One resource as the simulated service holds it.
    ///
    /// A record read from the world's files keeps its spec and outputs as the JSON text the
    /// files hold, parsed only when read: a parsed spec takes about three times the bytes of
    /// its text, and a world of a million records is read whole by every process that observes
    /// it. A record written through ``SimWorldStore/mutate(_:)`` is kept as it was given.
    public struct Record: Sendable, Hashable {
        public var id: ResourceID
        /// The world serial of the record's last change.
        public var revision: Int
        @EncodedFields public var spec: Fields
        @EncodedFields public var outputs: Fields

        public init(id: ResourceID, spec: Fields, outputs: Fields, revision: Int) {
            self.init(id: id, spec: EncodedFields(spec), outputs: EncodedFields(outputs), revision: revision)
        }

        init(id: ResourceID, spec: EncodedFields, outputs: EncodedFields, revision: Int) {
            self.id = id
            self.revision = revision
            _spec = spec
            _outputs = outputs
        }

        public var observed: Observed {
            Observed(id: id, spec: $spec, outputs: $outputs, revision: String(revision))
        }

        /// The outputs' and the spec's JSON text.
        var json: (outputs: String, spec: String) { ($outputs.json, $spec.json) }

        /// A record read from a journal or snapshot line, its spec and outputs kept as their
        /// text; nil when either is not an object. A missing one is empty.
        init?(id: ResourceID, revision: Int, outputsJSON: UnsafeBufferPointer<UInt8>?, specJSON: UnsafeBufferPointer<UInt8>?) {
            func kept(_ json: UnsafeBufferPointer<UInt8>?) -> EncodedFields? {
                guard let json else { return EncodedFields(Fields()) }
                return EncodedFields(json: json)
            }
            guard let spec = kept(specJSON), let outputs = kept(outputsJSON) else { return nil }
            self.init(id: id, spec: spec, outputs: outputs, revision: revision)
        }
    }

    public var records = ResourceTable<Record>()
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
    /// The journal line, without its newline.
    ///
    /// The world keeps a put's record as it was given, not as this text: a record put through
    /// ``SimWorldStore/mutate(_:)`` holds the spec its caller planned, which shares its storage
    /// with the caller's desired state, so keeping it costs nothing, while text would be a
    /// second copy of every spec in an `apply` (65 MiB more at 100k resources). Records read
    /// back from the files are kept as text.
    func encoded(serial: Int) -> String {
        switch self {
        case .put(let record):
            let (outputs, spec) = record.json
            // The keys in order, as JSONText writes a map.
            return "{\"id\":" + JSONText.quote(record.id.description) + ",\"op\":\"put\",\"outputs\":" + outputs
                + ",\"serial\":\(serial),\"spec\":" + spec + "}"
        case .remove(let id):
            return JSONText.string(.map(Fields(["op": .string("remove"), "id": .string(id.description), "serial": .int(serial)])))
        case .outage(let site, let on):
            return JSONText.string(.map(Fields(["op": .string("outage"), "site": .string(site), "on": on.map(Value.bool) ?? .null, "serial": .int(serial)])))
        }
    }

    /// Reads a journal line; nil when it is not one.
    static func decode(line: UnsafeBufferPointer<UInt8>) -> (change: SimWorld.Change, serial: Int)? {
        guard let members = try? JSONValueParser.memberRanges(line) else { return nil }
        func member(_ key: String) -> UnsafeBufferPointer<UInt8>? {
            members.first { $0.key == key }.map { UnsafeBufferPointer(rebasing: line[$0.range]) }
        }
        func value(_ key: String) -> Value? { member(key).flatMap { try? JSONValueParser.parse($0) } }
        guard let op = value("op")?.stringValue, let serial = value("serial")?.intValue else { return nil }
        switch op {
        case "put":
            guard let id = value("id")?.stringValue.flatMap(ResourceID.init(parsing:)),
                  let record = SimWorld.Record(id: id, revision: serial, outputsJSON: member("outputs"), specJSON: member("spec"))
            else { return nil }
            return (.put(record), serial)
        case "remove":
            guard let id = value("id")?.stringValue.flatMap(ResourceID.init(parsing:)) else { return nil }
            return (.remove(id), serial)
        case "outage":
            guard let site = value("site")?.stringValue else { return nil }
            return (.outage(site: site, on: value("on")?.boolValue), serial)
        default:
            return nil
        }
    }
}
