/// Phase two of validation: the checks that span documents.
///
/// Duplicate ids, sites and their providers, placement, specs whose provider depends on the
/// site, references and `dependsOn`, and the dependency graph. Every problem is collected.
public struct ManifestValidator: Sendable {
    public let catalog: SchemaCatalog
    /// How many cores placement, edges and resources are worked out on; 1 keeps to the
    /// calling thread. The result does not depend on it.
    public var parallelism: Int

    public init(catalog: SchemaCatalog, parallelism: Int = System.activeProcessorCount) {
        self.catalog = catalog
        self.parallelism = max(1, parallelism)
    }

    /// `Kind/name`, without building the string.
    struct UnplacedKey: Hashable {
        var kind: String
        var name: String

        var text: String { "\(kind)/\(name)" }

        /// Whether `manifest` declares this `Kind/name`.
        func names(_ manifest: ResourceManifest) -> Bool {
            manifest.kind == kind && manifest.name.value == name
        }
    }

    /// One (manifest, site) node: 12 bytes. Its id is made when needed from its manifest and
    /// site, instead of being held (48 bytes more) by each of 100k nodes.
    private struct Placed {
        private var manifestIndex: Int32
        private var siteIndex: Int32
        private var specIndex: Int32

        init(manifest: Int, site: Int, spec: Int) {
            manifestIndex = Int32(manifest)
            siteIndex = Int32(site)
            specIndex = Int32(spec)
        }

        var manifest: Int { Int(manifestIndex) }
        /// Index into the sorted site names.
        var site: Int { Int(siteIndex) }
        /// Index into the specs validated here (one per manifest and provider), or `ownSpec`.
        var spec: Int { Int(specIndex) }
    }

    /// The placed nodes with what their ids are made of.
    private struct Nodes: Sendable {
        let placed: [Placed]
        let manifests: [ResourceManifest]
        let siteNames: [String]

        func id(_ node: Int) -> ResourceID {
            let manifest = manifests[placed[node].manifest]
            return ResourceID(kind: manifest.kind, name: manifest.name.value, site: siteNames[placed[node].site])
        }

        func site(_ node: Int) -> String { siteNames[placed[node].site] }

        /// Whether `a` sorts before `b` by id, without making either id.
        func precedes(_ a: Int, _ b: Int) -> Bool {
            let (left, right) = (placed[a], placed[b])
            if left.manifest != right.manifest {
                let (first, second) = (manifests[left.manifest], manifests[right.manifest])
                // Distinct manifests differ in kind or name: duplicates were left out.
                if first.kind != second.kind { return first.kind < second.kind }
                return first.name.value < second.name.value
            }
            return left.site < right.site
        }
    }

    /// For each manifest, the range of its nodes. Nodes are appended manifest by manifest, so
    /// the ranges follow one another and one end is kept per manifest (4 bytes, not 16).
    private struct NodeRanges {
        private var ends: [UInt32] = []

        init(capacity: Int) {
            ends.reserveCapacity(capacity)
        }

        subscript(manifest: Int) -> Range<Int> {
            (manifest == 0 ? 0 : Int(ends[manifest - 1]))..<Int(ends[manifest])
        }

        /// Adds the next manifest, whose nodes run from the previous one's end to `end`.
        mutating func append(endingAt end: Int) {
            precondition(end <= Int(UInt32.max) && end >= Int(ends.last ?? 0), "node ranges follow one another")
            ends.append(UInt32(end))
        }
    }

    /// `Placed.spec` of a node whose spec is the one its manifest was decoded with.
    private static let ownSpec = -1

    private static func spec(_ index: Int, of manifest: ResourceManifest, in specs: [ValidatedSpec]) -> ValidatedSpec {
        if index == ownSpec, case .validated(let spec) = manifest.spec { return spec }
        return specs[index]
    }

    public func validate(_ documents: [ManifestDocument], diagnostics: inout [Diagnostic]) -> DesiredState? {
        validate(chunks: [documents], diagnostics: &diagnostics)
    }

    /// Validates documents kept in chunks (as the parallel loader makes them); each chunk is
    /// released as soon as its documents have been taken over.
    ///
    /// - Parameter sourceDirectories: by file index, the directory each resource's
    ///   ``DesiredResource/sourceDirectory`` is set to (nil for standard input).
    /// - Parameter manifestFiles: by file index, each resource's ``DesiredResource/manifest``.
    public func validate(chunks: consuming [[ManifestDocument]], sourceDirectories: [String?] = [], manifestFiles: [String?] = [], diagnostics: inout [Diagnostic]) -> DesiredState? {
        let sites = collectSites(chunks, diagnostics: &diagnostics)
        let estate = collectEstate(chunks, diagnostics: &diagnostics)
        let priceBooks = collectPriceBooks(chunks, sites: sites, diagnostics: &diagnostics)
        let budgets = collectBudgets(chunks, sites: sites, diagnostics: &diagnostics)
        if priceBooks.isEmpty, let first = budgets.first {
            diagnostics.append(.warning("Budget '\(first.name)' counts nothing: no PriceBook is declared, so no resource has a cost or carbon", at: first.location))
        }
        let policyDefaults = estate?.policyDefaults ?? PolicyDefaults()
        let defaultPreventDestroyAt = estate?.preventDestroyAt
        let schemas = SiteSchemas(sites: sites, catalog: catalog)
        let siteNames = sites.keys.sorted()
        let siteIndex = Dictionary(uniqueKeysWithValues: siteNames.enumerated().map { ($1, $0) })
        let total = chunks.reduce(0) { $0 + $1.count }
        var manifestIndex = IndexTable(capacity: total)
        var ordered: [ResourceManifest] = []
        ordered.reserveCapacity(total)
        for chunk in chunks.indices {
            for case .resource(let manifest) in chunks[chunk] {
                let key = UnplacedKey(kind: manifest.kind, name: manifest.name.value)
                let hash = key.hashValue
                if let first = manifestIndex.first(hash: hash, where: { key.names(ordered[$0]) }) {
                    diagnostics.append(.error("duplicate resource '\(key.text)'", at: manifest.name.location, notes: [.init("'\(key.text)' was first defined here", at: ordered[first].name.location)]))
                    continue
                }
                manifestIndex.add(ordered.count, hash: hash)
                ordered.append(manifest)
            }
            chunks[chunk] = []
        }
        var declared = Declared(table: manifestIndex, manifests: ordered)

        // Placement and specs: one node per (manifest, site), stretches of manifests on every
        // core, merged in manifest order.
        let slices = ParallelSlices.map(ordered.indices, maximumSlices: parallelism * 2) { [ordered, declared] range in
            var slice = PlacementSlice()
            for index in range {
                place(ordered[index], index: index, schemas: schemas, sites: sites, siteNames: siteNames, siteIndex: siteIndex, declared: declared, into: &slice)
            }
            return slice
        }
        var placed: [Placed] = []
        placed.reserveCapacity(ordered.count)
        // Only specs validated here, against a site's provider: most manifests' specs were
        // validated when they were decoded, and their nodes point at those (`ownSpec`).
        var validatedSpecs: [ValidatedSpec] = []
        // By manifest index: its nodes, which are appended together.
        var placements = NodeRanges(capacity: ordered.count)
        for slice in slices {
            let nodeOffset = placed.count
            let specOffset = validatedSpecs.count
            placed.append(contentsOf: slice.placed.lazy.map { Placed(manifest: $0.manifest, site: $0.site, spec: $0.spec == Self.ownSpec ? $0.spec : $0.spec + specOffset) })
            validatedSpecs.append(contentsOf: slice.specs)
            for range in slice.ranges { placements.append(endingAt: range.upperBound + nodeOffset) }
            diagnostics.append(contentsOf: slice.diagnostics)
        }

        var nodes = Nodes(placed: placed, manifests: ordered, siteNames: siteNames)
        placed = []
        let countPlacements = countPlacements(ordered, nodes: nodes, placements: placements, schemas: schemas, diagnostics: &diagnostics)

        // References and dependencies, as edges between placed nodes: resolved on every core,
        // added to the graph in node order.
        let edgeSlices = ParallelSlices.map(nodes.placed.indices, maximumSlices: parallelism * 2) { [nodes, validatedSpecs, placements, declared] range in
            var slice = EdgeSlice()
            for index in range {
                let manifest = nodes.manifests[nodes.placed[index].manifest]
                resolveEdges(of: index, nodes: nodes, manifest: manifest, spec: Self.spec(nodes.placed[index].spec, of: manifest, in: validatedSpecs),
                             placements: placements, declared: declared, sites: sites, into: &slice)
            }
            return slice
        }
        var graph = GraphBuilder(count: nodes.placed.count) { [nodes] in nodes.id($0) }
        var dependencies: [[ResourceID]] = []
        dependencies.reserveCapacity(nodes.placed.count)
        var referenceTargets: [[String: ResourceID]] = []
        referenceTargets.reserveCapacity(nodes.placed.count)
        for slice in edgeSlices {
            dependencies.append(contentsOf: slice.dependencies)
            referenceTargets.append(contentsOf: slice.referenceTargets)
            for edge in slice.edges { graph.addEdge(from: edge.from, to: edge.to, at: edge.location) }
            diagnostics.append(contentsOf: slice.diagnostics)
        }
        for manifest in ordered {
            for path in manifest.policy.ignoreChanges where !ignorePathExists(path, manifest: manifest) {
                diagnostics.append(.warning("ignoreChanges entry '\(path)' names no field of \(manifest.kind)", at: manifest.location))
            }
        }
        guard let layers = graph.layers(diagnostics: &diagnostics) else { return nil }
        if diagnostics.contains(where: { $0.severity == .error }) { return nil }
        // Release what building the resources no longer needs before their array is made.
        graph = GraphBuilder()
        manifestIndex = IndexTable(capacity: 0)
        declared = Declared(table: manifestIndex, manifests: [])

        // Where each node goes in (layer, id) order; indices are sorted, not the resources.
        var position = [Int32](repeating: 0, count: nodes.placed.count)
        for (offset, index) in Self.order(nodes, layers: layers).enumerated() { position[index] = Int32(offset) }
        // The manifests are released one by one below: nothing else may hold their array.
        let placedNodes = nodes.placed
        nodes = Nodes(placed: [], manifests: [], siteNames: [])
        // Resources are built manifest by manifest, straight into their sorted places, and each
        // manifest is released as soon as its resources hold what they share with it: the
        // manifests and the resources are never all in memory at once.
        let count = placedNodes.count
        let resources = [DesiredResource](unsafeUninitializedCapacity: count) { buffer, initialized in
            nonisolated(unsafe) let output = buffer
            ordered.withUnsafeMutableBufferPointer { manifests in
                nonisolated(unsafe) let manifests = manifests
                let released = ResourceManifest.released
                _ = ParallelSlices.map(manifests.indices, maximumSlices: parallelism * 2) { [placedNodes, validatedSpecs, dependencies, referenceTargets, placements, position] range in
                    for index in range {
                        let manifest = manifests[index]
                        let file = Int(manifest.location.file)
                        for node in placements[index] {
                            let spec = Self.spec(placedNodes[node].spec, of: manifest, in: validatedSpecs)
                            let id = ResourceID(kind: manifest.kind, name: manifest.name.value, site: siteNames[placedNodes[node].site])
                            var resource = DesiredResource(
                                id: id, labels: manifest.labels, annotations: manifest.annotations, spec: spec.fields, policy: policyDefaults.applied(to: manifest.policy, written: manifest.policyWritten),
                                dependencies: dependencies[node], layer: layers[node],
                                sensitivePaths: spec.sensitivePaths, templatePaths: spec.templatePaths,
                                referenceTargets: referenceTargets[node], location: manifest.location)
                            if file < sourceDirectories.count { resource.sourceDirectory = sourceDirectories[file] }
                            if file < manifestFiles.count { resource.manifest = manifestFiles[file] }
                            for reference in spec.references where resource.fieldLocations[reference.path] == nil {
                                resource.fieldLocations[reference.path] = reference.location
                            }
                            resource.fieldLocations.merge(spec.fileFieldLocations) { first, _ in first }
                            if let location = manifest.preventDestroyLocation ?? (manifest.policyWritten.contains(.preventDestroy) ? nil : defaultPreventDestroyAt), resource.policy.preventDestroy {
                                resource.fieldLocations["policy.preventDestroy"] = location
                            }
                            (output.baseAddress! + Int(position[node])).initialize(to: resource)
                        }
                        manifests[index] = released
                    }
                }
            }
            initialized = count
        }
        var state = DesiredState(sites: sites, resources: resources, priceBooks: priceBooks, budgets: budgets)
        state.countPlacements = countPlacements
        return state
    }

    /// What resolving the edges of a stretch of nodes produced, in node order.
    private struct EdgeSlice: Sendable {
        /// Each node's dependencies, sorted.
        var dependencies: [[ResourceID]] = []
        var referenceTargets: [[String: ResourceID]] = []
        var edges: [(from: Int, to: Int, location: SourceLocation)] = []
        var diagnostics: [Diagnostic] = []
    }

    /// One node's `dependsOn` and output references, as edges to other nodes.
    private func resolveEdges(
        of index: Int, nodes: Nodes, manifest: ResourceManifest, spec: ValidatedSpec, placements: NodeRanges,
        declared: Declared, sites: [String: Site], into slice: inout EdgeSlice
    ) {
        let id = nodes.id(index)
        var dependencies: [Int] = []
        var referenceTargets: [String: ResourceID] = [:]
        for dependency in manifest.dependsOn {
            for target in resolveDependency(dependency, from: id, nodes: nodes, placements: placements, declared: declared, diagnostics: &slice.diagnostics) where target != index {
                slice.edges.append((index, target, dependency.location))
                if !dependencies.contains(target) { dependencies.append(target) }
            }
        }
        for reference in spec.references {
            guard case let .output(kind, name, site, field) = reference.expression else { continue }
            let key = "\(kind)/\(name)" + (site.map { "@" + $0 } ?? "")
            guard let target = resolveReference(key, UnplacedKey(kind: kind, name: name), site: site, field: field, from: id, at: reference.location, nodes: nodes, placements: placements, declared: declared, sites: sites, diagnostics: &slice.diagnostics) else { continue }
            referenceTargets[key] = nodes.id(target)
            slice.edges.append((index, target, reference.location))
            if !dependencies.contains(target) { dependencies.append(target) }
        }
        slice.dependencies.append(dependencies.isEmpty ? [] : dependencies.map(nodes.id).sorted())
        slice.referenceTargets.append(referenceTargets)
    }

    /// What placing a stretch of manifests produced, in manifest order.
    private struct PlacementSlice: Sendable {
        var placed: [Placed] = []
        /// `Placed.spec` indexes this slice's specs until the slices are merged.
        var specs: [ValidatedSpec] = []
        /// For each manifest of the stretch, its nodes in this slice's `placed`.
        var ranges: [Range<Int>] = []
        var diagnostics: [Diagnostic] = []
    }

    /// Places one manifest on its sites and picks (validating when needed) its spec for each.
    private func place(
        _ manifest: ResourceManifest, index: Int, schemas: SiteSchemas, sites: [String: Site], siteNames: [String], siteIndex: [String: Int],
        declared: Declared, into slice: inout PlacementSlice
    ) {
        var specs = SpecCache()
        let first = slice.placed.count
        func add(_ siteName: Located<String>, _ site: SiteSchemas.Entry) {
            guard let spec = spec(for: manifest, on: site, at: siteName.location, cache: &specs, validated: &slice.specs, diagnostics: &slice.diagnostics) else { return }
            checkConfinement(manifest, spec: Self.spec(spec, of: manifest, in: slice.specs), site: site, diagnostics: &slice.diagnostics)
            slice.placed.append(Placed(manifest: index, site: siteIndex[site.site.name]!, spec: spec))
        }
        if manifest.placement == nil, let siteName = manifest.site, let site = schemas[siteName.value] {
            // The common case, one named site, without building a list of one.
            add(siteName, site)
        } else {
            let chosen = place(manifest, sites: sites, siteNames: siteNames, diagnostics: &slice.diagnostics)
            if chosen.isEmpty { checkTargetsExist(manifest, declared: declared, diagnostics: &slice.diagnostics) }
            for siteName in chosen {
                if let site = schemas[siteName.value] { add(siteName, site) }
            }
        }
        slice.ranges.append(first..<slice.placed.count)
        // Every site's provider has now validated a spec kept as YAML: the tree can go.
        if case .raw(let raw) = manifest.spec { raw.release() }
    }

    /// Indices of the nodes in (layer, id) order: bucketed by layer, then each layer sorted by id.
    private static func order(_ nodes: Nodes, layers: [Int]) -> [Int] {
        var byLayer: [[Int]] = Array(repeating: [], count: (layers.max() ?? -1) + 1)
        for index in nodes.placed.indices { byLayer[layers[index]].append(index) }
        var order: [Int] = []
        order.reserveCapacity(nodes.placed.count)
        for var layer in byLayer {
            layer.sort(by: nodes.precedes)
            order.append(contentsOf: layer)
        }
        return order
    }

    /// One manifest's validated specs by provider (a manifest placed on sites of different
    /// providers is validated once per provider); the first is held without allocating.
    struct SpecCache {
        private var first: (provider: String, spec: Int)?
        private var rest: [(provider: String, spec: Int)] = []

        subscript(provider: String) -> Int? {
            get {
                if let first, first.provider == provider { return first.spec }
                return rest.first { $0.provider == provider }?.spec
            }
            set {
                guard let newValue else { return }
                if first == nil { first = (provider, newValue) } else { rest.append((provider, newValue)) }
            }
        }
    }

    /// The declared `Kind/name`s, with suggestions for near misses.
    struct Declared {
        let table: IndexTable
        /// The manifests the table indexes, each `Kind/name` once.
        let manifests: [ResourceManifest]

        /// The position in `manifests` of the manifest declaring `key`.
        func index(of key: UnplacedKey) -> Int? {
            table.first(hash: key.hashValue) { key.names(manifests[$0]) }
        }

        func contains(_ key: UnplacedKey) -> Bool { index(of: key) != nil }

        func hint(for key: UnplacedKey) -> String {
            Suggestion.hint(for: key.text, among: manifests.map { "\($0.kind)/\($0.name.value)" }.sorted())
        }
    }

    /// The estate's one `Estate` document, if any; each further one is an error.
    private func collectEstate(_ chunks: [[ManifestDocument]], diagnostics: inout [Diagnostic]) -> EstateManifest? {
        var estate: EstateManifest?
        for case .estate(let manifest) in chunks.joined() {
            if let first = estate {
                diagnostics.append(.error("a second Estate document '\(manifest.name.value)': an estate has one", at: manifest.location, notes: [.init("the Estate '\(first.name.value)' is defined here", at: first.location)]))
                continue
            }
            estate = manifest
        }
        return estate
    }

    /// The price books, sorted by name: unique names, declared sites, and no two equally
    /// specific books pricing one kind on one site.
    private func collectPriceBooks(_ chunks: [[ManifestDocument]], sites: [String: Site], diagnostics: inout [Diagnostic]) -> [PriceBook] {
        let books = Self.uniquelyNamed(
            chunks.joined().compactMap { if case .priceBook(let book) = $0 { book } else { nil } }, kind: "PriceBook",
            sites: sites, diagnostics: &diagnostics) { ($0.name, $0.location, $0.scope, $0.siteLocations) }
        for conflict in CostEstimator(sites: sites, priceBooks: books, catalog: catalog).conflicts {
            diagnostics.append(.error("PriceBooks \(conflict.books.map { "'\($0)'" }.joined(separator: " and ")) both price \(conflict.provider) \(conflict.kind) on site '\(conflict.site)': name the site in one of them, or narrow a selector", at: conflict.location))
        }
        return books
    }

    /// Documents of one kind that are known by name (price books, budgets), sorted by name:
    /// a second document of a name, and a site named in a scope that is not declared, are errors.
    private static func uniquelyNamed<Document>(
        _ documents: [Document], kind: String, sites: [String: Site], diagnostics: inout [Diagnostic],
        _ describe: (Document) -> (name: String, location: SourceLocation?, scope: SiteScope, siteLocations: [String: SourceLocation])
    ) -> [Document] {
        var byName: [String: (Document, SourceLocation?)] = [:]
        for document in documents {
            let (name, location, scope, siteLocations) = describe(document)
            if let first = byName[name] {
                diagnostics.append(.error("duplicate \(kind) '\(name)'", at: location, notes: first.1.map { [.init("\(kind) '\(name)' was first defined here", at: $0)] } ?? []))
                continue
            }
            for site in scope.sites ?? [] where sites[site] == nil {
                diagnostics.append(.error("\(kind) '\(name)' names site '\(site)', which is not declared\(Suggestion.hint(for: site, among: sites.keys.sorted()))", at: siteLocations[site] ?? location))
            }
            byName[name] = (document, location)
        }
        return byName.sorted { $0.key < $1.key }.map(\.value.0)
    }

    /// The manifests placed with `count`, by `Kind/name`, with their candidate sites; and the
    /// check that a manifest asking to fail over is of a kind that can move.
    private func countPlacements(_ manifests: [ResourceManifest], nodes: Nodes, placements: NodeRanges, schemas: SiteSchemas, diagnostics: inout [Diagnostic]) -> [String: CountPlacement] {
        var result: [String: CountPlacement] = [:]
        for (index, manifest) in manifests.enumerated() {
            guard let placement = manifest.placement else { continue }
            let candidates = placements[index].map { nodes.site($0) }.sorted()
            if placement.failover {
                let fixed = Set(candidates.compactMap { site in schemas[site]?.kinds[manifest.kind].flatMap { $0.relocatable ? nil : schemas[site]?.site.provider } }).sorted()
                if !fixed.isEmpty {
                    diagnostics.append(.error("'\(manifest.unplacedID)' asks to fail over, but \(manifest.kind) is not relocatable (\(fixed.joined(separator: ", ")) would bring it back empty elsewhere, and references would silently point at the new one); only stateless kinds such as Workload, EdgeFunction and DNSRecord fail over", at: placement.failoverAt ?? placement.location))
                }
            }
            guard let count = placement.count else { continue }
            if count.value > candidates.count, !candidates.isEmpty {
                diagnostics.append(.error("'\(manifest.unplacedID)' asks for \(count.value) sites, but only \(candidates.count) match (\(candidates.joined(separator: ", ")))", at: count.location))
            }
            let failover = placement.failover ? CountPlacement.Failover(after: placement.failoverAfter, failback: placement.failback) : nil
            result["\(manifest.kind)/\(manifest.name.value)"] = CountPlacement(count: min(count.value, candidates.count), prefer: placement.prefer, candidates: candidates, failover: failover)
        }
        return result
    }

    /// The budgets, sorted by name: unique names, declared sites.
    private func collectBudgets(_ chunks: [[ManifestDocument]], sites: [String: Site], diagnostics: inout [Diagnostic]) -> [Budget] {
        Self.uniquelyNamed(
            chunks.joined().compactMap { if case .budget(let budget) = $0 { budget } else { nil } }, kind: "Budget",
            sites: sites, diagnostics: &diagnostics) { ($0.name, $0.location, $0.sites, $0.siteLocations) }
    }

    private func collectSites(_ chunks: [[ManifestDocument]], diagnostics: inout [Diagnostic]) -> [String: Site] {
        var sites: [String: Site] = [:]
        for case .site(let manifest) in chunks.joined() {
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
            sites[manifest.name.value] = Site(name: manifest.name.value, siteClass: manifest.siteClass, provider: manifest.provider.value, labels: manifest.labels, config: config, mode: manifest.mode, carbon: manifest.carbon, location: manifest.location)
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

    /// Paths that must stay inside a directory of the site's config (a host's root), lexically.
    private func checkConfinement(_ manifest: ResourceManifest, spec: ValidatedSpec, site entry: SiteSchemas.Entry, diagnostics: inout [Diagnostic]) {
        guard !entry.confinedFields.isEmpty, let fields = entry.confinedFields[manifest.kind] else { return }
        let site = entry.site
        for field in fields {
            guard let configField = field.confinedTo, case .string(let path)? = spec.fields[field.name],
                  !spec.templatePaths.contains(field.name), case .string(let root)? = site.config[configField] else { continue }
            if PathConfinement.resolve(path, under: root) == nil {
                diagnostics.append(.error(
                    "\(manifest.kind)/\(manifest.name.value)@\(site.name) spec.\(field.name) '\(path)' leaves the site's spec.config.\(configField) \(root)",
                    at: manifest.name.location, notes: site.location.map { [.init("site '\(site.name)' is declared here", at: $0)] } ?? []))
            }
        }
    }

    /// The sites one manifest is placed on, each with where it was chosen.
    private func place(_ manifest: ResourceManifest, sites: [String: Site], siteNames: [String], diagnostics: inout [Diagnostic]) -> [Located<String>] {
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
                sites[name]!.labels.matches(matchLabels)
            }
            if matched.isEmpty {
                let selector = matchLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                diagnostics.append(.error("placement selector {\(selector)} matches no site", at: placement.location))
            }
            return matched.map { Located($0, at: placement.location) }
        }
    }

    /// The index in `validated` of the spec validated against the schema of the site's provider.
    private func spec(for manifest: ResourceManifest, on entry: SiteSchemas.Entry, at location: SourceLocation, cache: inout SpecCache, validated specs: inout [ValidatedSpec], diagnostics: inout [Diagnostic]) -> Int? {
        let site = entry.site
        if entry.provider == nil, site.provider.hasPrefix("plugin:") {
            // Plugins declare their schema at run time; their specs are checked when they load.
            if case .raw(let raw) = manifest.spec {
                specs.append(ValidatedSpec(fields: raw.node.map(Self.plainFields) ?? Fields(), sensitivePaths: [], references: [], templatePaths: []))
                return specs.count - 1
            }
        }
        guard let provider = entry.provider else { return nil }
        guard let schema = entry.kinds[manifest.kind] else {
            let served = provider.kinds.map(\.kind).sorted().joined(separator: ", ")
            diagnostics.append(.error("provider '\(site.provider)' of site '\(site.name)' does not serve kind \(manifest.kind) (it serves \(served))", at: location))
            return nil
        }
        if let cached = cache[provider.provider] { return cached }
        let validated: ValidatedSpec
        switch manifest.spec {
        case .validated:
            // Validated against the schema of the kind's only provider, which this site's
            // provider (serving the kind) must be.
            cache[provider.provider] = Self.ownSpec
            return Self.ownSpec
        case .raw(let raw):
            validated = SpecValidator.validate(raw.node, fields: schema.fields, context: "the \(manifest.kind) spec", ownerLocation: manifest.location, reservedKeys: ["placement"], outputs: schema.outputs.map(\.name), diagnostics: &diagnostics)
        }
        specs.append(validated)
        cache[provider.provider] = specs.count - 1
        return specs.count - 1
    }

    /// For a resource that could not be placed: its dependsOn and references must still name
    /// declared resources, so those mistakes are reported in the same run.
    private func checkTargetsExist(_ manifest: ResourceManifest, declared: Declared, diagnostics: inout [Diagnostic]) {
        for dependency in manifest.dependsOn {
            guard let key = Self.unplacedKey(dependency.value), !declared.contains(key) else { continue }
            diagnostics.append(.error("dependsOn names '\(key.text)', which is not declared\(declared.hint(for: key))", at: dependency.location))
        }
        guard case .validated(let spec) = manifest.spec else { return }
        for reference in spec.references {
            guard case let .output(kind, name, _, _) = reference.expression else { continue }
            let key = UnplacedKey(kind: kind, name: name)
            guard !declared.contains(key) else { continue }
            diagnostics.append(.error("reference to '\(key.text)', which is not declared\(declared.hint(for: key))", at: reference.location))
        }
    }

    /// `Kind/name` or `Kind/name@site` without the site.
    static func unplacedKey(_ text: String) -> UnplacedKey? {
        let unplaced = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard let slash = unplaced.firstIndex(of: "/") else { return nil }
        return UnplacedKey(kind: String(unplaced[..<slash]), name: String(unplaced[unplaced.index(after: slash)...]))
    }

    /// `Kind/name` names the placement on the same site when there is one, else every placement.
    private func resolveDependency(_ dependency: Located<String>, from id: ResourceID, nodes: Nodes, placements: NodeRanges, declared: Declared, diagnostics: inout [Diagnostic]) -> [Int] {
        let text = dependency.value
        guard let key = Self.unplacedKey(text) else { return [] }
        guard let declaredIndex = declared.index(of: key) else {
            diagnostics.append(.error("dependsOn names '\(key.text)', which is not declared\(declared.hint(for: key))", at: dependency.location))
            return []
        }
        let candidates = placements[declaredIndex]
        if let at = text.firstIndex(of: "@") {
            let site = String(text[text.index(after: at)...])
            guard let target = candidates.first(where: { nodes.site($0) == site }) else {
                diagnostics.append(.error("dependsOn names '\(text)', but '\(key.text)' is not placed on site '\(site)'", at: dependency.location))
                return []
            }
            return [target]
        }
        if let sameSite = candidates.first(where: { nodes.site($0) == id.site }) { return [sameSite] }
        return Array(candidates)
    }

    private func resolveReference(
        _ written: String, _ key: UnplacedKey, site: String?, field: String, from id: ResourceID, at location: SourceLocation,
        nodes: Nodes, placements: NodeRanges, declared: Declared, sites: [String: Site], diagnostics: inout [Diagnostic]
    ) -> Int? {
        guard let declaredIndex = declared.index(of: key) else {
            diagnostics.append(.error("reference to '\(key.text)', which is not declared\(declared.hint(for: key))", at: location))
            return nil
        }
        let candidates = placements[declaredIndex]
        let target: Int
        if let site {
            guard let match = candidates.first(where: { nodes.site($0) == site }) else {
                diagnostics.append(.error("reference to '\(written)', but '\(key.text)' is not placed on site '\(site)'", at: location))
                return nil
            }
            target = match
        } else if let sameSite = candidates.first(where: { nodes.site($0) == id.site }) {
            target = sameSite
        } else if candidates.count == 1 {
            target = candidates.lowerBound
        } else {
            if !candidates.isEmpty {
                let choices = candidates.map { "${\(key.text)@\(nodes.site($0)).outputs.\(field)}" }.joined(separator: ", ")
                diagnostics.append(.error("reference to '\(key.text)' is ambiguous from site '\(id.site)': it is placed on \(candidates.count) sites; write one of \(choices)", at: location))
            }
            return nil
        }
        let targetID = nodes.id(target)
        if targetID == id {
            diagnostics.append(.error("'\(id.unplaced)' refers to its own outputs", at: location))
            return nil
        }
        if let provider = sites[targetID.site].flatMap({ catalog.providers[$0.provider] }), let schema = provider.kind(key.kind), !schema.outputs.isEmpty {
            let outputs = schema.outputs.map(\.name)
            if !outputs.contains(field) {
                diagnostics.append(.error("\(key.kind) has no output '\(field)'\(Suggestion.hint(for: field, among: outputs)) (outputs: \(outputs.joined(separator: ", ")))", at: location))
                return nil
            }
        }
        return target
    }

    private func ignorePathExists(_ path: String, manifest: ResourceManifest) -> Bool {
        let specPath = String(path.dropFirst("spec.".count))
        let providers = Set(catalog.providers.values.filter { $0.kind(manifest.kind) != nil }.map(\.provider))
        if providers.isEmpty { return true }
        return providers.contains { catalog.providers[$0]?.kind(manifest.kind)?.field(atPath: specPath) != nil }
    }
}
