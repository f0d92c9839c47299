/// The schema of one resource kind: its spec fields and its outputs.
public struct KindSchema: Sendable, Hashable {
    public var kind: String
    public var fields: [FieldSchema]
    /// Output fields the provider reports after create (ids, addresses); always computed.
    public var outputs: [FieldSchema]
    public var summary: String
    /// Stateless: an instance can be made on another site and lose nothing (a workload, an
    /// edge function, a DNS record). Only such kinds may fail over; a database or bucket moved
    /// elsewhere would come back empty.
    public var relocatable: Bool

    public init(kind: String, summary: String = "", fields: [FieldSchema], outputs: [FieldSchema] = [], relocatable: Bool = false) {
        self.relocatable = relocatable
        self.kind = kind
        self.summary = summary
        self.fields = fields
        self.outputs = outputs
    }

    public func field(_ name: String) -> FieldSchema? {
        fields.first { $0.name == name }
    }

    /// The schema of the field at a dotted path (`backups.retentionDays`), through objects,
    /// lists and maps.
    public func field(atPath path: String) -> FieldSchema? {
        var fields = self.fields
        var found: FieldSchema?
        for component in path.split(separator: ".") {
            let name = component.split(separator: "[").first.map(String.init) ?? String(component)
            if let current = found, case .map = current.type { continue }
            guard let field = fields.first(where: { $0.name == name }) else { return found.flatMap { if case .map = $0.type { $0 } else { nil } } }
            found = field
            var type = field.type
            while case .list(let element) = type { type = element }
            if case .object(let nested) = type { fields = nested } else { fields = [] }
        }
        return found
    }
}

/// Everything a provider serves: its kinds and the `spec.config` of the sites that use it.
public struct ProviderSchema: Sendable, Hashable {
    public var provider: String
    public var kinds: [KindSchema]
    public var siteConfig: [FieldSchema]
    /// Markdown for people: how the provider names things, finds credentials, fails.
    public var documentation: String

    public init(provider: String, kinds: [KindSchema], siteConfig: [FieldSchema] = [], documentation: String = "") {
        self.provider = provider
        self.kinds = kinds
        self.siteConfig = siteConfig
        self.documentation = documentation
    }

    public func kind(_ name: String) -> KindSchema? {
        kinds.first { $0.kind == name }
    }
}

/// The schemas of every registered provider, as validation sees them.
public struct SchemaCatalog: Sendable, Hashable {
    public private(set) var providers: [String: ProviderSchema]

    public init(_ schemas: [ProviderSchema]) {
        providers = Dictionary(schemas.map { ($0.provider, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public var providerNames: [String] { providers.keys.sorted() }

    /// Every kind any provider serves, sorted.
    public var allKinds: [String] { Set(providers.values.flatMap { $0.kinds.map(\.kind) }).sorted() }
}
