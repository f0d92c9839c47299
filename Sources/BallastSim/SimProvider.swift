import BallastCore
import BallastProviders
import Crypto

/// The simulated provider: the embedded default adapter for examples, tests and benchmarks.
///
/// Its world persists in the state directory, so separate CLI runs see the same
/// infrastructure. Each site's `spec.config` sets `latencyMs` (added to every call),
/// `failureRate` (the chance that a create, update or delete fails with a retryable error)
/// and `outage` (every call fails as unavailable); `ballast sim outage` overrides the latter.
public struct SimProvider: Provider {
    public let name = SimSchema.providerName
    public let world: SimWorldStore
    private let random: @Sendable () -> Double
    private let sleep: @Sendable (Duration) async throws -> Void

    /// - Parameters:
    ///   - random: uniform numbers in 0..<1 for failure injection (tests pass a seeded source).
    ///   - sleep: how latency is waited out (tests pass a manual clock's sleep).
    public init(
        world: SimWorldStore,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.world = world
        self.random = random
        self.sleep = sleep
    }

    public func schema() -> ProviderSchema {
        SimSchema.schema
    }

    public func observe(_ ids: [ResourceID], site: Site) async throws(ProviderError) -> [ResourceID: Observed] {
        try await prepare(site, mutating: false)
        let (records, outages) = try await world.records(ids)
        try checkOutage(site, outages: outages)
        // Spec and outputs stay JSON text, parsed by whoever reads them. mapValues keeps the
        // records' hash table: no id is hashed again.
        return records.mapValues(\.observed)
    }

    public func list(site: Site) async throws(ProviderError) -> [Observed]? {
        try await prepare(site, mutating: false)
        let (records, outage) = try await world.records(on: site.name)
        try checkOutage(site, outages: [site.name: outage])
        return records.parallelMap(minimumPerSlice: 1_024) { $0.observed }
    }

    /// Lets go of the world read into memory: the next call reads the files again.
    public func releaseCaches() async {
        await world.forget()
    }

    public func create(_ resource: ResolvedResource, site: Site) async throws(ProviderError) -> Observed {
        try await prepare(site, mutating: true)
        let schema = SimSchema.schema.kind(resource.id.kind)
        return try await world.mutate { (world) throws(ProviderError) in
            try checkOutage(site, world)
            // Idempotent: the same spec already there is adopted, not created twice.
            if let existing = world.records[resource.id] {
                if existing.spec == Self.withDefaults(resource.spec, schema) { return ([], existing.observed) }
                throw ProviderError(.conflict, "\(resource.id) already exists with another spec", id: resource.id)
            }
            let record = SimWorld.Record(id: resource.id, spec: Self.withDefaults(resource.spec, schema), outputs: Self.outputs(for: resource.id, serial: world.serial + 1), revision: world.serial + 1)
            return ([.put(record)], record.observed)
        }
    }

    public func update(_ resource: ResolvedResource, current: Observed, site: Site) async throws(ProviderError) -> Observed {
        try await prepare(site, mutating: true)
        let schema = SimSchema.schema.kind(resource.id.kind)
        return try await world.mutate { (world) throws(ProviderError) in
            try checkOutage(site, world)
            guard var record = world.records[resource.id] else {
                throw ProviderError(.notFound, "\(resource.id) does not exist", id: resource.id)
            }
            let merged = Self.withDefaults(resource.spec, schema)
            let current = record.spec
            for field in schema?.fields ?? [] where field.immutable {
                if let old = current[field.name], let new = merged[field.name], !old.isEquivalent(to: new) {
                    throw ProviderError(.invalid, "\(field.name) of \(resource.id) cannot change in place", id: resource.id)
                }
            }
            record.spec = merged
            record.revision = world.serial + 1
            return ([.put(record)], record.observed)
        }
    }

    public func delete(_ id: ResourceID, site: Site) async throws(ProviderError) {
        try await prepare(site, mutating: true)
        try await world.mutate { (world) throws(ProviderError) in
            try checkOutage(site, world)
            return (world.records[id] == nil ? [] : [.remove(id)], ())
        }
    }

    /// Sim pushes changes: whatever process changes the world (`ballast sim …`, another
    /// Ballast), the ids on this site that changed arrive within milliseconds.
    public func changes(site: Site) -> AsyncStream<ResourceID>? {
        SimChangeFeed(world: world, site: site).stream()
    }

    // MARK: Simulation

    private func prepare(_ site: Site, mutating: Bool) async throws(ProviderError) {
        let latency = site.config["latencyMs"]?.intValue ?? 0
        if latency > 0 {
            do { try await sleep(.milliseconds(latency)) } catch {
                throw ProviderError(.unavailable, "the call to site \(site.name) was cancelled")
            }
        }
        if mutating, let rate = site.config["failureRate"]?.doubleValue, rate > 0, random() < rate {
            throw ProviderError(.unavailable, "injected failure on site \(site.name) (failureRate \(JSONText.number(rate)))")
        }
    }

    private func checkOutage(_ site: Site, _ world: SimWorld) throws(ProviderError) {
        try checkOutage(site, outages: world.outages)
    }

    private func checkOutage(_ site: Site, outages: [String: Bool]) throws(ProviderError) {
        let configured = site.config["outage"]?.boolValue ?? false
        if outages[site.name] ?? configured {
            throw ProviderError(.unavailable, "site \(site.name) is in outage")
        }
    }

    /// The spec as the simulated service stores it: schema defaults filled in.
    static func withDefaults(_ spec: Fields, _ schema: KindSchema?) -> Fields {
        var result = spec
        for field in schema?.fields ?? [] where result[field.name] == nil {
            if let value = field.defaultValue { result[field.name] = value }
        }
        return result
    }

    /// Outputs that look like a real service's and differ after a re-create.
    static func outputs(for id: ResourceID, serial: Int) -> Fields {
        let digest = Array(SHA256.hash(data: Array("\(id)#\(serial)".utf8)))
        let token = digest.prefix(4).map { String(format2: $0) }.joined()
        let ip = "10.\(digest[4] % 200 + 10).\(digest[5]).\(digest[6] % 250 + 2)"
        let host = "\(id.name).\(id.site).sim.ballast.internal"
        let prefix = String(id.kind.lowercased().prefix(3))
        var fields: [String: Value] = ["id": .string("\(prefix)-\(token)")]
        switch id.kind {
        case "Network": fields["networkId"] = .string("net-\(token)")
        case "Subnet": fields["subnetId"] = .string("subnet-\(token)")
        case "VirtualMachine": fields["ip"] = .string(ip)
        case "Database":
            fields["endpoint"] = .string("\(host):5432")
            fields["port"] = .int(5432)
        case "Bucket": fields["url"] = .string("https://\(id.name).\(id.site).storage.sim.ballast.internal")
        case "LoadBalancer":
            fields["address"] = .string(ip)
            fields["dnsName"] = .string("lb-\(token).\(id.site).sim.ballast.internal")
        case "DNSRecord": fields["fqdn"] = .string("\(id.name).\(id.site).dns.sim.ballast.internal")
        case "Workload": fields["endpoint"] = .string("http://\(host):8080")
        case "EdgeFunction": fields["url"] = .string("https://\(id.name).\(id.site).edge.sim.ballast.internal")
        default: break
        }
        return Fields(fields)
    }
}

extension String {
    /// Two lowercase hex digits.
    init(format2 byte: UInt8) {
        let hex = String(byte, radix: 16)
        self = byte < 16 ? "0" + hex : hex
    }
}
