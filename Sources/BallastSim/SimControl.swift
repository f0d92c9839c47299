import BallastCore
import BallastProviders

/// Acts on the sim world as an outside force would: what `ballast sim …` does, for demos
/// and tests. Changes go straight to the world, never through Ballast's state.
public struct SimControl: Sendable {
    public let world: SimWorldStore

    public init(world: SimWorldStore) {
        self.world = world
    }

    public enum Failure: Error, Sendable, CustomStringConvertible {
        case noSuchResource(ResourceID)
        case badAssignment(String)
        case unknownField(ResourceID, String)

        public var description: String {
            switch self {
            case .noSuchResource(let id): "\(id) does not exist in the sim world (see 'ballast sim ls')"
            case .badAssignment(let text): "'\(text)' is not field=value"
            case .unknownField(let id, let field): "\(id.kind) has no field '\(field)'"
            }
        }
    }

    /// Every resource, sorted by id, with sensitive fields replaced by `(sensitive)`.
    public func list() async throws -> [Observed] {
        let snapshot = try await world.snapshot()
        return snapshot.records.values.sorted { $0.id < $1.id }.map { record in
            var observed = record.observed
            observed.spec = Self.redacted(record.spec, SimSchema.schema.kind(record.id.kind))
            return observed
        }
    }

    /// The outage overrides set by `sim outage`.
    public func outages() async throws -> [String: Bool] {
        try await world.snapshot().outages
    }

    static func redacted(_ spec: Fields, _ schema: KindSchema?) -> Fields {
        var result = spec
        for field in schema?.fields ?? [] where field.sensitive && result[field.name] != nil {
            result[field.name] = .string(ValueFormatter.sensitive)
        }
        return result
    }

    /// Changes fields of a resource out of band. Values are read as YAML scalars
    /// (`sizeGb=80` is an int, `name="80"` a string); dotted paths reach nested fields.
    public func drift(_ id: ResourceID, assignments: [String]) async throws -> Observed {
        var changes: [(String, Value)] = []
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
                throw Failure.badAssignment(assignment)
            }
            let path = String(assignment[..<equals])
            let text = String(assignment[assignment.index(after: equals)...])
            let schema = SimSchema.schema.kind(id.kind)
            if let schema, schema.field(atPath: path) == nil { throw Failure.unknownField(id, path) }
            changes.append((path, Self.parse(text)))
        }
        return try await world.mutate { (world) throws(ProviderError) in
            guard var record = world.records[id] else {
                throw ProviderError(.notFound, Failure.noSuchResource(id).description, id: id)
            }
            for (path, value) in changes {
                record.spec = Self.set(value, at: path, in: record.spec)
            }
            record.revision = world.serial + 1
            return ([.put(record)], record.observed)
        }
    }

    static func set(_ value: Value, at path: String, in spec: Fields) -> Fields {
        var components = path.split(separator: ".").map(String.init)
        guard let first = components.first else { return spec }
        var result = spec
        if components.count == 1 {
            result[first] = value
            return result
        }
        components.removeFirst()
        let nested = result[first]?.fieldsValue ?? Fields()
        result[first] = .map(set(value, at: components.joined(separator: "."), in: nested))
        return result
    }

    static func parse(_ text: String) -> Value {
        if text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first {
            return .string(String(text.dropFirst().dropLast()))
        }
        if text.hasPrefix("[") || text.hasPrefix("{"), let json = try? JSONValueParser.parse(text) { return json }
        switch ScalarResolver.resolve(text) {
        case .value(.null): return .null
        case .value(.bool(let bool)): return .bool(bool)
        case .value(.int(let int)): return .int(int)
        case .value(.double(let double)): return .number(double)
        default: return .string(text)
        }
    }

    /// Deletes a resource out of band.
    public func delete(_ id: ResourceID) async throws {
        try await world.mutate { (world) throws(ProviderError) in
            guard world.records[id] != nil else { throw ProviderError(.notFound, Failure.noSuchResource(id).description, id: id) }
            return ([.remove(id)], ())
        }
    }

    /// Switches an outage on or off for a site, overriding its config.
    public func setOutage(site: String, on: Bool) async throws {
        try await world.mutate { (_) throws(ProviderError) in ([.outage(site: site, on: on)], ()) }
    }
}
