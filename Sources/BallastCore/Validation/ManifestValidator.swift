/// Phase two of validation: the checks that span documents.
///
/// Duplicate ids, sites and their providers, placement, specs whose provider depends on the
/// site, references and `dependsOn`, and the dependency graph. Every problem is collected.
public struct ManifestValidator: Sendable {
    public let catalog: SchemaCatalog

    public init(catalog: SchemaCatalog) {
        self.catalog = catalog
    }

    public func validate(_ documents: [ManifestDocument], diagnostics: inout [Diagnostic]) -> DesiredState? {
        let sites = collectSites(documents, diagnostics: &diagnostics)
        var manifests: [String: ResourceManifest] = [:]
        var ordered: [ResourceManifest] = []
        for case .resource(let manifest) in documents {
            if let first = manifests[manifest.unplacedID] {
                diagnostics.append(.error("duplicate resource '\(manifest.unplacedID)'", at: manifest.name.location, notes: [.init("'\(manifest.unplacedID)' was first defined here", at: first.name.location)]))
                continue
            }
            manifests[manifest.unplacedID] = manifest
            ordered.append(manifest)
        }

        // Placement and specs.
        var placed: [(manifest: ResourceManifest, id: ResourceID, spec: ValidatedSpec)] = []
        var placements: [String: [ResourceID]] = [:]
        for manifest in ordered {
            let siteNames = place(manifest, sites: sites, diagnostics: &diagnostics)
            if siteNames.isEmpty {
                checkTargetsExist(manifest, manifests: manifests, diagnostics: &diagnostics)
            }
            var specsByProvider: [String: ValidatedSpec] = [:]
            for siteName in siteNames {
                guard let site = sites[siteName.value] else { continue }
                guard let spec = spec(for: manifest, on: site, at: siteName.location, cache: &specsByProvider, diagnostics: &diagnostics) else { continue }
                let id = ResourceID(kind: manifest.kind.value, name: manifest.name.value, site: site.name)
                placements[manifest.unplacedID, default: []].append(id)
                placed.append((manifest, id, spec))
            }
        }

        // References and dependencies.
        var graph = GraphBuilder()
        var resources: [DesiredResource] = []
        resources.reserveCapacity(placed.count)
        for (manifest, id, spec) in placed {
            graph.add(id)
            var targets: [String: ResourceID] = [:]
            var dependencies = Set<ResourceID>()
            for dependency in manifest.dependsOn {
                for target in resolveDependency(dependency, from: id, placements: placements, manifests: manifests, diagnostics: &diagnostics) {
                    dependencies.insert(target)
                    graph.addEdge(from: id, to: target, at: dependency.location)
                }
            }
            for reference in spec.references {
                guard case let .output(kind, name, site, field) = reference.expression else { continue }
                let key = "\(kind)/\(name)" + (site.map { "@" + $0 } ?? "")
                guard let target = resolveReference(key, kind: kind, name: name, site: site, field: field, from: id, at: reference.location, placements: placements, manifests: manifests, sites: sites, diagnostics: &diagnostics) else { continue }
                targets[key] = target
                dependencies.insert(target)
                graph.addEdge(from: id, to: target, at: reference.location)
            }
            resources.append(DesiredResource(
                id: id, labels: manifest.labels, annotations: manifest.annotations, spec: spec.fields, policy: manifest.policy,
                dependencies: dependencies.sorted(), sensitivePaths: spec.sensitivePaths, templatePaths: spec.templatePaths,
                referenceTargets: targets, location: manifest.location))
        }
        for manifest in ordered {
            for path in manifest.policy.ignoreChanges where !ignorePathExists(path, manifest: manifest, sites: sites) {
                diagnostics.append(.warning("ignoreChanges entry '\(path)' names no field of \(manifest.kind.value)", at: manifest.location))
            }
        }
        guard let built = graph.build(diagnostics: &diagnostics) else { return nil }
        if diagnostics.contains(where: { $0.severity == .error }) { return nil }
        let byID = Dictionary(uniqueKeysWithValues: resources.map { ($0.id, $0) })
        let sorted = built.order.compactMap { byID[$0] }
        return DesiredState(sites: sites, resources: sorted, graph: built)
    }

    private func collectSites(_ documents: [ManifestDocument], diagnostics: inout [Diagnostic]) -> [String: Site] {
        var sites: [String: Site] = [:]
        for case .site(let manifest) in documents {
            if let first = sites[manifest.name.value] {
                diagnostics.append(.error("duplicate site '\(manifest.name.value)'", at: manifest.name.location, notes: [.init("site '\(manifest.name.value)' was first defined here", at: first.location)]))
                continue
            }
            var config = Fields()
            if let schema = catalog.providers[manifest.provider.value] {
                config = SpecValidator.validate(manifest.config, fields: schema.siteConfig, context: "the \(manifest.provider.value) site config", ownerLocation: manifest.location, allowsReferences: false, diagnostics: &diagnostics).fields
            } else if let node = manifest.config {
                config = Self.plainFields(node)
            }
            sites[manifest.name.value] = Site(name: manifest.name.value, siteClass: manifest.siteClass, provider: manifest.provider.value, labels: manifest.labels, config: config, location: manifest.location)
        }
        return sites
    }

    /// Converts an unchecked YAML mapping (a plugin's config) to fields.
    static func plainFields(_ node: YAMLNode) -> Fields {
        if case .map(let fields) = plainValue(node) { return fields }
        return Fields()
    }

    static func plainValue(_ node: YAMLNode) -> Value {
        switch node.value {
        case .null: .null
        case .bool(let bool): .bool(bool)
        case .int(let int): .int(int)
        case .double(let double): .number(double)
        case .string(let string): .string(string)
        case .sequence(let items): .list(items.map(plainValue))
        case .mapping(let entries): .map(Fields(entries.map { ($0.key, plainValue($0.value)) }))
        }
    }

    /// The sites one manifest is placed on, each with where it was chosen.
    private func place(_ manifest: ResourceManifest, sites: [String: Site], diagnostics: inout [Diagnostic]) -> [Located<String>] {
        let siteNames = sites.keys.sorted()
        switch (manifest.site, manifest.placement) {
        case (nil, nil):
            diagnostics.append(.error("'\(manifest.unplacedID)' has no site: set metadata.site or spec.placement", at: manifest.name.location))
            return []
        case (_?, let placement?):
            diagnostics.append(.error("'\(manifest.unplacedID)' sets both metadata.site and spec.placement; use one", at: placement.location))
            return []
        case (let site?, nil):
            guard sites[site.value] != nil else {
                diagnostics.append(.error("unknown site '\(site.value)'\(Suggestion.hint(for: site.value, among: siteNames))", at: site.location))
                return []
            }
            return [site]
        case (nil, let placement?):
            if let listed = placement.sites {
                var result: [Located<String>] = []
                for site in listed {
                    if sites[site.value] == nil {
                        diagnostics.append(.error("unknown site '\(site.value)'\(Suggestion.hint(for: site.value, among: siteNames))", at: site.location))
                    } else if !result.contains(where: { $0.value == site.value }) {
                        result.append(site)
                    }
                }
                if listed.isEmpty {
                    diagnostics.append(.error("'spec.placement.sites' is empty", at: placement.location))
                }
                return result
            }
            guard let matchLabels = placement.matchLabels else { return [] }
            let matched = siteNames.filter { name in
                matchLabels.allSatisfy { sites[name]!.labels[$0.key] == $0.value }
            }
            if matched.isEmpty {
                let selector = matchLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                diagnostics.append(.error("placement selector {\(selector)} matches no site", at: placement.location))
            }
            return matched.map { Located($0, at: placement.location) }
        }
    }

    /// The spec validated against the schema of the site's provider.
    private func spec(for manifest: ResourceManifest, on site: Site, at location: SourceLocation, cache: inout [String: ValidatedSpec], diagnostics: inout [Diagnostic]) -> ValidatedSpec? {
        if site.provider.hasPrefix("plugin:"), catalog.providers[site.provider] == nil {
            // Plugins declare their schema at run time; their specs are checked when they load.
            if case .raw(let node) = manifest.spec {
                return ValidatedSpec(fields: node.map(Self.plainFields) ?? Fields(), sensitivePaths: [], references: [], templatePaths: [])
            }
        }
        guard let provider = catalog.providers[site.provider] else { return nil }
        guard let schema = provider.kind(manifest.kind.value) else {
            let served = provider.kinds.map(\.kind).sorted().joined(separator: ", ")
            diagnostics.append(.error("provider '\(site.provider)' of site '\(site.name)' does not serve kind \(manifest.kind.value) (it serves \(served))", at: location))
            return nil
        }
        if let cached = cache[provider.provider] { return cached }
        let validated: ValidatedSpec
        switch manifest.spec {
        case .validated(let validatedProvider, let spec) where validatedProvider == provider.provider:
            validated = spec
        case .validated:
            return nil
        case .raw(let node):
            validated = SpecValidator.validate(node, fields: schema.fields, context: "the \(manifest.kind.value) spec", ownerLocation: manifest.location, reservedKeys: ["placement"], diagnostics: &diagnostics)
        }
        cache[provider.provider] = validated
        return validated
    }

    /// For a resource that could not be placed: its dependsOn and references must still name
    /// declared resources, so those mistakes are reported in the same run.
    private func checkTargetsExist(_ manifest: ResourceManifest, manifests: [String: ResourceManifest], diagnostics: inout [Diagnostic]) {
        let declared = manifests.keys.sorted()
        for dependency in manifest.dependsOn {
            let unplaced = String(dependency.value.split(separator: "@", maxSplits: 1)[0])
            if manifests[unplaced] == nil {
                diagnostics.append(.error("dependsOn names '\(unplaced)', which is not declared\(Suggestion.hint(for: unplaced, among: declared))", at: dependency.location))
            }
        }
        guard case .validated(_, let spec) = manifest.spec else { return }
        for reference in spec.references {
            guard case let .output(kind, name, _, _) = reference.expression, manifests["\(kind)/\(name)"] == nil else { continue }
            diagnostics.append(.error("reference to '\(kind)/\(name)', which is not declared\(Suggestion.hint(for: "\(kind)/\(name)", among: declared))", at: reference.location))
        }
    }

    /// `Kind/name` names the placement on the same site when there is one, else every placement.
    private func resolveDependency(_ dependency: Located<String>, from id: ResourceID, placements: [String: [ResourceID]], manifests: [String: ResourceManifest], diagnostics: inout [Diagnostic]) -> [ResourceID] {
        let text = dependency.value
        let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
        let unplaced = parts[0]
        guard manifests[unplaced] != nil else {
            diagnostics.append(.error("dependsOn names '\(unplaced)', which is not declared\(Suggestion.hint(for: unplaced, among: manifests.keys.sorted()))", at: dependency.location))
            return []
        }
        let candidates = placements[unplaced] ?? []
        if parts.count == 2 {
            guard let target = candidates.first(where: { $0.site == parts[1] }) else {
                diagnostics.append(.error("dependsOn names '\(text)', but '\(unplaced)' is not placed on site '\(parts[1])'", at: dependency.location))
                return []
            }
            return target == id ? [] : [target]
        }
        if let sameSite = candidates.first(where: { $0.site == id.site }) { return sameSite == id ? [] : [sameSite] }
        return candidates
    }

    private func resolveReference(
        _ key: String, kind: String, name: String, site: String?, field: String, from id: ResourceID, at location: SourceLocation,
        placements: [String: [ResourceID]], manifests: [String: ResourceManifest], sites: [String: Site], diagnostics: inout [Diagnostic]
    ) -> ResourceID? {
        let unplaced = "\(kind)/\(name)"
        guard manifests[unplaced] != nil else {
            diagnostics.append(.error("reference to '\(unplaced)', which is not declared\(Suggestion.hint(for: unplaced, among: manifests.keys.sorted()))", at: location))
            return nil
        }
        let candidates = placements[unplaced] ?? []
        let target: ResourceID?
        if let site {
            target = candidates.first { $0.site == site }
            if target == nil {
                diagnostics.append(.error("reference to '\(key)', but '\(unplaced)' is not placed on site '\(site)'", at: location))
                return nil
            }
        } else if let sameSite = candidates.first(where: { $0.site == id.site }) {
            target = sameSite
        } else if candidates.count == 1 {
            target = candidates[0]
        } else {
            if !candidates.isEmpty {
                let choices = candidates.map { "${\($0.unplaced)@\($0.site).outputs.\(field)}" }.joined(separator: ", ")
                diagnostics.append(.error("reference to '\(unplaced)' is ambiguous from site '\(id.site)': it is placed on \(candidates.count) sites; write one of \(choices)", at: location))
            }
            return nil
        }
        guard let target else { return nil }
        if target == id {
            diagnostics.append(.error("'\(id.unplaced)' refers to its own outputs", at: location))
            return nil
        }
        if let provider = sites[target.site].flatMap({ catalog.providers[$0.provider] }), let schema = provider.kind(kind), !schema.outputs.isEmpty {
            let outputs = schema.outputs.map(\.name)
            if !outputs.contains(field) {
                diagnostics.append(.error("\(kind) has no output '\(field)'\(Suggestion.hint(for: field, among: outputs)) (outputs: \(outputs.joined(separator: ", ")))", at: location))
                return nil
            }
        }
        return target
    }

    private func ignorePathExists(_ path: String, manifest: ResourceManifest, sites: [String: Site]) -> Bool {
        let specPath = String(path.dropFirst("spec.".count))
        let providers = Set(catalog.providers.values.filter { $0.kind(manifest.kind.value) != nil }.map(\.provider))
        if providers.isEmpty { return true }
        return providers.contains { catalog.providers[$0]?.kind(manifest.kind.value)?.field(atPath: specPath) != nil }
    }
}
