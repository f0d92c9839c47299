/// Phase one of validation: decodes one YAML document into a ``ManifestDocument``.
///
/// Pure and per document, so it runs on the thread that parsed the document. It checks the
/// envelope (apiVersion, kind, metadata, policy), names and, when only one provider serves
/// the kind, the spec; everything that needs other documents is left to ``ManifestValidator``.
public struct ManifestDecoder: Sendable {
    public static let apiVersion = "ballast.dev/v1"
    static let envelopeKeys = ["apiVersion", "kind", "metadata", "spec", "policy"]
    static let metadataKeys = ["name", "site", "labels", "annotations", "dependsOn"]
    static let policyKeys = ["preventDestroy", "ignoreChanges", "deletion", "management", "selfHeal", "prune"]
    static let siteSpecKeys = ["class", "provider", "config", "mode", "carbon"]
    /// The policy settings an `Estate` gives defaults for (`ignoreChanges` names a kind's fields).
    static let defaultPolicyKeys = ["preventDestroy", "deletion", "management", "selfHeal", "prune"]
    static let placementKeys = ["sites", "selector", "failover", "failoverAfter", "failback", "count", "prefer"]
    /// The maps whose values are text exactly as written (``YAMLParser/textMaps``): labels and
    /// annotations, and the selectors that match labels.
    public static let textMaps = [["metadata", "labels"], ["metadata", "annotations"], ["spec", "placement", "selector", "matchLabels"]]

    public let catalog: SchemaCatalog
    /// For each kind, the one provider serving it (kinds served by several are absent).
    private let soleProvider: [String: ProviderSchema]
    private let allKinds: [String]
    /// Whether a kind no provider here serves is decoded as written rather than refused: set
    /// when some site's provider is a plugin this machine does not have (only pull sites' agents
    /// do). Such a resource is then checked where it is placed: a site of that plugin takes it
    /// unvalidated, any other site refuses the kind.
    public let acceptsUnknownKinds: Bool

    public init(catalog: SchemaCatalog, acceptsUnknownKinds: Bool = false) {
        self.catalog = catalog
        self.acceptsUnknownKinds = acceptsUnknownKinds
        var servers: [String: [ProviderSchema]] = [:]
        for schema in catalog.providers.values {
            for kind in schema.kinds { servers[kind.kind, default: []].append(schema) }
        }
        soleProvider = servers.compactMapValues { $0.count == 1 ? $0[0] : nil }
        allKinds = catalog.allKinds
    }

    /// What the documents of one chunk share while they are decoded: one copy of each
    /// distinct label set. Label sets repeat across an estate (a team's, an app's), and each
    /// copy is an allocation of its own. Used on one thread at a time.
    ///
    /// The same goes for the maps and lists nested in specs (tags, env, disks, routes): each
    /// is shared with an equal one decoded earlier.
    public struct Session {
        /// Past this many distinct label sets or nested values, new ones are no longer kept
        /// (they are not repeating much).
        static let maximumShared = 4096
        private var labelSets: Set<StringMap> = []
        private var nestedValues: Set<Value> = []

        public init() {}

        /// `labels`, or an equal set decoded earlier in this session.
        mutating func shared(_ labels: StringMap) -> StringMap {
            if labels.isEmpty { return labels }
            return Self.shared(labels, in: &labelSets)
        }

        /// Replaces each map and list directly inside `spec` with an equal one decoded earlier
        /// in this session, when there is one.
        mutating func shareNestedValues(in spec: inout ValidatedSpec) {
            spec.fields.updateValues { value in
                switch value {
                case .map(let fields) where !fields.isEmpty: value = Self.shared(value, in: &nestedValues)
                case .list(let items) where !items.isEmpty: value = Self.shared(value, in: &nestedValues)
                default: break
                }
            }
        }

        private static func shared<Element: Hashable>(_ element: Element, in set: inout Set<Element>) -> Element {
            if set.count < maximumShared { return set.insert(element).memberAfterInsert }
            return set.firstIndex(of: element).map { set[$0] } ?? element
        }
    }

    public func decode(_ root: YAMLNode, diagnostics: inout [Diagnostic]) -> ManifestDocument? {
        var session = Session()
        return decode(root, session: &session, diagnostics: &diagnostics)
    }

    /// Decodes one document, sharing what repeats with the other documents of `session`.
    public func decode(_ root: YAMLNode, session: inout Session, diagnostics: inout [Diagnostic]) -> ManifestDocument? {
        guard case .mapping(let entries) = root.value else {
            diagnostics.append(.error("a manifest must be a mapping with apiVersion, kind, metadata and spec; found \(root.typeName)", at: root.location))
            return nil
        }
        let fields = FieldReader(entries: entries, owner: root.location)
        fields.rejectUnknown(Self.envelopeKeys, context: "the manifest", diagnostics: &diagnostics)

        if let apiVersion = fields.string("apiVersion", diagnostics: &diagnostics) {
            if apiVersion.value != Self.apiVersion {
                diagnostics.append(.error("unsupported apiVersion '\(apiVersion.value)'; expected '\(Self.apiVersion)'", at: apiVersion.location))
            }
        } else if fields["apiVersion"] == nil {
            diagnostics.append(.error("missing required field 'apiVersion' (expected '\(Self.apiVersion)')", at: root.location))
        }
        guard let kind = fields.string("kind", diagnostics: &diagnostics) else {
            if fields["kind"] == nil { diagnostics.append(.error("missing required field 'kind'", at: root.location)) }
            return nil
        }
        guard let metadataEntry = fields["metadata"] else {
            diagnostics.append(.error("missing required field 'metadata'", at: root.location))
            return nil
        }
        guard case .mapping(let metadataEntries) = metadataEntry.value.value else {
            diagnostics.append(.error("'metadata' must be a mapping, found \(metadataEntry.value.typeName)", at: metadataEntry.value.location))
            return nil
        }
        let metadata = FieldReader(entries: metadataEntries, owner: metadataEntry.value.location)
        metadata.rejectUnknown(Self.metadataKeys, context: "metadata", diagnostics: &diagnostics)
        guard let name = metadata.string("name", diagnostics: &diagnostics) else {
            if metadata["name"] == nil { diagnostics.append(.error("missing required field 'metadata.name'", at: metadataEntry.value.location)) }
            return nil
        }
        NameRules.checkName(name, diagnostics: &diagnostics)
        let labels = session.shared(metadata.labels("labels", diagnostics: &diagnostics))
        let annotations = metadata.stringMap("annotations", diagnostics: &diagnostics)

        if kind.value == "Site" {
            return decodeSite(root: root, name: name, labels: labels, fields: fields, metadata: metadata, diagnostics: &diagnostics)
        }
        if kind.value == "Estate" {
            return decodeEstate(root: root, name: name, fields: fields, metadata: metadata, diagnostics: &diagnostics)
        }
        if kind.value == "PriceBook" {
            return PriceBookDecoder(catalog: catalog).decode(root: root, name: name, fields: fields, metadata: metadata, diagnostics: &diagnostics).map(ManifestDocument.priceBook)
        }
        if kind.value == "Budget" {
            return BudgetDecoder().decode(root: root, name: name, fields: fields, metadata: metadata, diagnostics: &diagnostics).map(ManifestDocument.budget)
        }
        guard acceptsUnknownKinds || allKinds.contains(kind.value) else {
            diagnostics.append(.error("unknown kind '\(kind.value)'\(Suggestion.hint(for: kind.value, among: allKinds + ["Site", "Estate", "PriceBook", "Budget"]))", at: kind.location))
            return nil
        }
        let site = metadata.string("site", diagnostics: &diagnostics)
        let dependsOn = metadata.stringList("dependsOn", diagnostics: &diagnostics)
        for dependency in dependsOn where !NameRules.isReferenceTarget(dependency.value) {
            diagnostics.append(.error("dependsOn entry '\(dependency.value)' must be Kind/name or Kind/name@site", at: dependency.location))
        }
        let (policy, policyWritten) = decodePolicy(fields["policy"], keys: Self.policyKeys, context: "policy", diagnostics: &diagnostics)
        let preventDestroyAt = fields["policy"]?.value.mappingEntries?.first { $0.key == "preventDestroy" }?.value.location
        let specNode = fields["spec"]?.value
        let placement = decodePlacement(specNode, diagnostics: &diagnostics)

        let spec: SpecSource
        if let provider = soleProvider[kind.value], let schema = provider.kind(kind.value) {
            var validated = SpecValidator.validate(
                specNode, fields: schema.fields, context: "the \(kind.value) spec", ownerLocation: root.location,
                reservedKeys: ["placement"], outputs: schema.outputs.map(\.name), diagnostics: &diagnostics)
            session.shareNestedValues(in: &validated)
            spec = .validated(validated)
        } else {
            spec = .raw(RawSpec(specNode))
        }
        return .resource(ResourceManifest(
            kind: kind.value, name: name, location: root.location, site: site, labels: labels, annotations: annotations,
            dependsOn: dependsOn.filter { NameRules.isReferenceTarget($0.value) }, placement: placement, spec: spec, policy: policy, policyWritten: policyWritten, preventDestroyAt: policy.preventDestroy ? preventDestroyAt : nil))
    }

    private func decodeSite(root: YAMLNode, name: Located<String>, labels: StringMap, fields: FieldReader, metadata: FieldReader, diagnostics: inout [Diagnostic]) -> ManifestDocument? {
        for key in ["site", "dependsOn"] {
            if let entry = metadata[key] { diagnostics.append(.error("'metadata.\(key)' does not apply to a Site", at: entry.keyLocation)) }
        }
        if let entry = fields["policy"] { diagnostics.append(.error("'policy' does not apply to a Site", at: entry.keyLocation)) }
        guard let specEntry = fields["spec"] else {
            diagnostics.append(.error("missing required field 'spec' (a Site needs spec.class and spec.provider)", at: root.location))
            return nil
        }
        guard case .mapping(let specEntries) = specEntry.value.value else {
            diagnostics.append(.error("'spec' must be a mapping, found \(specEntry.value.typeName)", at: specEntry.value.location))
            return nil
        }
        let spec = FieldReader(entries: specEntries, owner: specEntry.value.location)
        spec.rejectUnknown(Self.siteSpecKeys, context: "the Site spec", diagnostics: &diagnostics)
        var siteClass: Site.SiteClass?
        if let text = spec.string("class", diagnostics: &diagnostics) {
            siteClass = Site.SiteClass(rawValue: text.value)
            if siteClass == nil {
                let allowed = Site.SiteClass.allCases.map(\.rawValue)
                diagnostics.append(.error("'\(text.value)' is not a site class: expected one of \(allowed.joined(separator: ", "))\(Suggestion.hint(for: text.value, among: allowed))", at: text.location))
            }
        } else if spec["class"] == nil {
            diagnostics.append(.error("missing required field 'spec.class' (cloud, datacenter or edge)", at: specEntry.value.location))
        }
        let provider = spec.string("provider", diagnostics: &diagnostics)
        if provider == nil, spec["provider"] == nil {
            diagnostics.append(.error("missing required field 'spec.provider'", at: specEntry.value.location))
        }
        if let provider, catalog.providers[provider.value] == nil, !provider.value.hasPrefix("plugin:") {
            diagnostics.append(.error("unknown provider '\(provider.value)'\(Suggestion.hint(for: provider.value, among: catalog.providerNames))", at: provider.location))
        }
        var mode = Site.Mode.push
        if let text = spec.string("mode", diagnostics: &diagnostics) {
            if let parsed = Site.Mode(rawValue: text.value) {
                mode = parsed
            } else {
                let allowed = Site.Mode.allCases.map(\.rawValue)
                diagnostics.append(.error("'\(text.value)' is not a site mode: expected push (the hub calls the provider) or pull (the site's agent does)\(Suggestion.hint(for: text.value, among: allowed))", at: text.location))
            }
        }
        var carbon: SiteCarbon?
        if let carbonFields = PriceBookDecoder.mapping(spec["carbon"], named: "carbon", owner: specEntry.value.location, required: nil, diagnostics: &diagnostics) {
            carbonFields.rejectUnknown(["gridIntensity", "pue"], context: "the Site's carbon", diagnostics: &diagnostics)
            let intensity = carbonFields.number("gridIntensity", in: 0...10_000, diagnostics: &diagnostics)
            if intensity == nil, carbonFields["gridIntensity"] == nil {
                diagnostics.append(.error("missing required field 'gridIntensity' (gCO2e per kWh) in the Site's carbon", at: carbonFields.owner))
            }
            let pue = carbonFields.number("pue", in: 1...10, diagnostics: &diagnostics) ?? 1
            carbon = intensity.map { SiteCarbon(gridIntensity: $0, pue: pue) }
        }
        guard let provider else { return nil }
        // A bad class has its error above; the site still takes part in the checks across
        // documents (a duplicate name is its own mistake), and nothing is planned from it.
        return .site(SiteManifest(name: name, location: root.location, siteClass: siteClass ?? .cloud, provider: provider, labels: labels, config: spec["config"]?.value, mode: mode, carbon: carbon))
    }

    /// A `kind: Estate` document: `spec.policy` holds the estate's default policy.
    private func decodeEstate(root: YAMLNode, name: Located<String>, fields: FieldReader, metadata: FieldReader, diagnostics: inout [Diagnostic]) -> ManifestDocument? {
        for key in ["site", "dependsOn"] {
            if let entry = metadata[key] { diagnostics.append(.error("'metadata.\(key)' does not apply to an Estate", at: entry.keyLocation)) }
        }
        if let entry = fields["policy"] { diagnostics.append(.error("'policy' does not apply to an Estate; its default policy is 'spec.policy'", at: entry.keyLocation)) }
        var defaults = PolicyDefaults()
        var preventDestroyAt: SourceLocation?
        if let specEntry = fields["spec"] {
            switch specEntry.value.value {
            case .null: break
            case .mapping(let specEntries):
                let spec = FieldReader(entries: specEntries, owner: specEntry.value.location)
                spec.rejectUnknown(["policy"], context: "the Estate spec", diagnostics: &diagnostics)
                (defaults.values, defaults.given) = decodePolicy(spec["policy"], keys: Self.defaultPolicyKeys, context: "spec.policy", diagnostics: &diagnostics)
                preventDestroyAt = spec["policy"]?.value.mappingEntries?.first { $0.key == "preventDestroy" }?.value.location
            default:
                diagnostics.append(.error("'spec' must be a mapping, found \(specEntry.value.typeName)", at: specEntry.value.location))
            }
        }
        return .estate(EstateManifest(name: name, location: root.location, policyDefaults: defaults, preventDestroyAt: preventDestroyAt))
    }

    /// A policy block: the values written (the rest built-in) and which settings were written.
    private func decodePolicy(_ entry: YAMLEntry?, keys: [String], context: String, diagnostics: inout [Diagnostic]) -> (Policy, PolicyDefaults.Settings) {
        var policy = Policy()
        var written: PolicyDefaults.Settings = []
        guard let entry else { return (policy, written) }
        guard case .mapping(let entries) = entry.value.value else {
            if case .null = entry.value.value { return (policy, written) }
            diagnostics.append(.error("'\(context)' must be a mapping, found \(entry.value.typeName)", at: entry.value.location))
            return (policy, written)
        }
        let fields = FieldReader(entries: entries, owner: entry.value.location)
        fields.rejectUnknown(keys, context: context, diagnostics: &diagnostics)
        if let value = fields.bool("preventDestroy", diagnostics: &diagnostics) { policy.preventDestroy = value; written.insert(.preventDestroy) }
        if let value = fields.bool("selfHeal", diagnostics: &diagnostics) { policy.selfHeal = value; written.insert(.selfHeal) }
        if let value = fields.bool("prune", diagnostics: &diagnostics) { policy.prune = value; written.insert(.prune) }
        if let value = fields.enumeration("deletion", Policy.Deletion.self, diagnostics: &diagnostics) { policy.deletion = value; written.insert(.deletion) }
        if let value = fields.enumeration("management", Policy.Management.self, diagnostics: &diagnostics) { policy.management = value; written.insert(.management) }
        guard keys.contains("ignoreChanges") else { return (policy, written) }
        for path in fields.stringList("ignoreChanges", diagnostics: &diagnostics) {
            if path.value.hasPrefix("spec.") && path.value.count > 5 {
                policy.ignoreChanges.append(path.value)
            } else {
                diagnostics.append(.error("ignoreChanges entry '\(path.value)' must be a spec field path such as 'spec.sizeGb'", at: path.location))
            }
        }
        return (policy, written)
    }

    private func decodePlacement(_ spec: YAMLNode?, diagnostics: inout [Diagnostic]) -> PlacementSpec? {
        guard let entry = spec?["placement"] else { return nil }
        guard case .mapping(let entries) = entry.value.value else {
            diagnostics.append(.error("'spec.placement' must be a mapping with 'sites' or 'selector', found \(entry.value.typeName)", at: entry.value.location))
            return nil
        }
        let fields = FieldReader(entries: entries, owner: entry.value.location)
        fields.rejectUnknown(Self.placementKeys, context: "spec.placement", diagnostics: &diagnostics)
        var placement = PlacementSpec(location: entry.keyLocation, sites: nil, matchLabels: nil, failover: false, failoverAt: fields["failover"]?.keyLocation)
        if fields["sites"] != nil { placement.sites = fields.stringList("sites", diagnostics: &diagnostics) }
        placement.matchLabels = fields.selector("selector", context: "spec.placement.selector", diagnostics: &diagnostics)
        placement.failover = fields.bool("failover", diagnostics: &diagnostics) ?? false
        if let entry = fields["count"] {
            if case .int(let count) = entry.value.value, (1...10_000).contains(count) {
                placement.count = Located(count, at: entry.value.location)
            } else {
                diagnostics.append(.error("'spec.placement.count' must be a whole number from 1 to 10000, found \(entry.value.typeName)", at: entry.value.location))
            }
        }
        placement.prefer = fields.enumeration("prefer", CountPlacement.Preference.self, diagnostics: &diagnostics)
        if placement.prefer != nil, fields["count"] == nil, let entry = fields["prefer"] {
            diagnostics.append(.error("'spec.placement.prefer' chooses among the matching sites, so it needs 'count'", at: entry.keyLocation))
        }
        if placement.failover, fields["count"] == nil, let entry = fields["failover"] {
            diagnostics.append(.error("'spec.placement.failover' moves an instance to another of the matching sites, so it needs 'count' (how many of them run one)", at: entry.keyLocation))
        }
        if let entry = fields["failoverAfter"] {
            let written: Duration? = switch entry.value.value {
            case .string(let text): DurationText.parse(text)
            case .int(let seconds): (0...604_800).contains(seconds) ? .seconds(seconds) : nil
            default: nil
            }
            if let written, written >= .seconds(1), written <= .seconds(604_800) {
                placement.failoverAfter = written
            } else {
                diagnostics.append(.error("'spec.placement.failoverAfter' must be a duration from 1s to 168h such as '60s' or '5m', found \(entry.value.typeName)", at: entry.value.location))
            }
        }
        placement.failback = fields.enumeration("failback", CountPlacement.Failover.Failback.self, diagnostics: &diagnostics) ?? .auto
        for key in ["failoverAfter", "failback"] where !placement.failover {
            if let entry = fields[key] {
                diagnostics.append(.error("'spec.placement.\(key)' applies only with 'failover: true'", at: entry.keyLocation))
            }
        }
        if placement.sites == nil && placement.matchLabels == nil {
            diagnostics.append(.error("'spec.placement' needs 'sites' or 'selector.matchLabels'", at: entry.value.location))
        } else if placement.sites != nil && placement.matchLabels != nil {
            diagnostics.append(.error("'spec.placement' takes 'sites' or 'selector', not both", at: entry.value.location))
        }
        return placement
    }
}
