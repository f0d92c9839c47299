/// Turns desired state, observed state and the inventory into a ``Plan``. Pure.
public struct Planner: Sendable {
    public var catalog: SchemaCatalog

    public init(catalog: SchemaCatalog) {
        self.catalog = catalog
    }

    public struct Input: Sendable {
        public var desired: DesiredState
        public var observation: Observation
        public var inventory: [ResourceID: InventoryEntry]
        public var secrets: [ReferenceExpression: String]
        public var inputs: [String]
        public var inputDigest: String

        public init(desired: DesiredState, observation: Observation, inventory: [ResourceID: InventoryEntry], secrets: [ReferenceExpression: String], inputs: [String], inputDigest: String) {
            self.desired = desired
            self.observation = observation
            self.inventory = inventory
            self.secrets = secrets
            self.inputs = inputs
            self.inputDigest = inputDigest
        }
    }

    /// The plan, and errors that forbid it (such as `preventDestroy`).
    public func plan(_ input: Input) -> (plan: Plan, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var actions: [PlannedAction] = []
        actions.reserveCapacity(input.desired.resources.count)
        var drift: [DriftReport] = []
        var unknown: [UnknownResource] = []
        var warnings: [String] = []
        let resolver = SpecResolver(secrets: input.secrets)
        // Outputs are known for resources that exist and keep existing.
        var knownOutputs: [ResourceID: Fields] = [:]
        for (id, observed) in input.observation.resources { knownOutputs[id] = observed.outputs }

        for resource in input.desired.resources {
            let id = resource.id
            let layer = resource.layer
            if let reason = input.observation.unavailableSites[id.site] {
                unknown.append(UnknownResource(id: id, reason: reason))
                knownOutputs[id] = nil
                continue
            }
            let site = input.desired.sites[id.site]
            let schema = site.flatMap { catalog.providers[$0.provider]?.kind(id.kind) }
            let observed = input.observation.resources[id]
            let (spec, unknownPaths) = resolver.resolve(resource) { knownOutputs[$0] }
            var diff = SpecDiff(schema: schema, resource: resource)

            if resource.policy.management == .observe {
                let changes = observed.map { diff.changes(desired: spec, observed: $0.spec, unknown: unknownPaths) } ?? []
                if observed == nil || !changes.isEmpty {
                    drift.append(DriftReport(id: id, missing: observed == nil, changes: changes))
                }
                actions.append(PlannedAction(id: id, action: .noop, reason: .upToDate, layer: layer, observedRevision: observed?.revision))
                continue
            }
            guard let observed else {
                let changes = diff.changes(desired: spec, observed: nil, unknown: unknownPaths)
                let reason: ActionReason = input.inventory[id] == nil ? .new : .vanished
                actions.append(PlannedAction(id: id, action: .create, reason: reason, changes: changes, layer: layer, observedRevision: nil))
                knownOutputs[id] = nil
                continue
            }
            let changes = diff.changes(desired: spec, observed: observed.spec, unknown: unknownPaths)
            if changes.isEmpty {
                actions.append(PlannedAction(id: id, action: .noop, reason: .upToDate, layer: layer, observedRevision: observed.revision))
                continue
            }
            let forcedBy = changes.filter(\.forcesReplacement).map(\.path)
            let unchangedManifest = input.inventory[id].map { $0.specDigest == SpecDigest.digest(resource.spec) } ?? false
            if !forcedBy.isEmpty {
                if resource.policy.preventDestroy {
                    diagnostics.append(.error("\(id) must be replaced (\(forcedBy.joined(separator: ", ")) cannot change in place), but policy.preventDestroy is set; revert the change or lift the policy", at: resource.location))
                }
                actions.append(PlannedAction(id: id, action: .replace, reason: .immutableFieldChanged, changes: changes, layer: layer, observedRevision: observed.revision, forcedBy: forcedBy))
                knownOutputs[id] = nil
            } else {
                let reason: ActionReason = changes.allSatisfy(\.afterUnknown) ? .dependencyChanged : unchangedManifest ? .drifted : .changed
                actions.append(PlannedAction(id: id, action: .update, reason: reason, changes: changes, layer: layer, observedRevision: observed.revision))
            }
        }

        // Deletes: managed resources no longer declared.
        let declared = Set(input.desired.resources.map(\.id))
        for entry in input.inventory.values.sorted(by: { $0.id < $1.id }) where !declared.contains(entry.id) {
            let id = entry.id
            if let reason = input.observation.unavailableSites[id.site] {
                unknown.append(UnknownResource(id: id, reason: reason))
                continue
            }
            guard input.desired.sites[id.site] != nil else {
                warnings.append("\(id) is managed but its site '\(id.site)' is no longer declared: it cannot be deleted or observed; declare the site again to delete it, or run 'ballast forget \(id)' to stop managing it")
                continue
            }
            let observed = input.observation.resources[id]
            if entry.deletion == .orphan {
                actions.append(PlannedAction(id: id, action: .delete, reason: .orphaned, layer: 0, observedRevision: observed?.revision))
                continue
            }
            guard observed != nil else {
                // Already gone: only the inventory entry is left to forget.
                actions.append(PlannedAction(id: id, action: .delete, reason: .vanished, layer: 0, observedRevision: nil))
                continue
            }
            if entry.preventDestroy {
                diagnostics.append(.error("\(id) is no longer declared, but it was applied with policy.preventDestroy; declare it again, or apply it once without preventDestroy before removing it", at: nil))
            }
            actions.append(PlannedAction(id: id, action: .delete, reason: .notDeclared, layer: 0, observedRevision: observed?.revision))
        }
        for (site, reason) in input.observation.unavailableSites.sorted(by: { $0.key < $1.key }) {
            warnings.append("site '\(site)' could not be observed (\(reason)); its resources are unknown and not planned")
        }
        actions.sort { ($0.layer, $0.id) < ($1.layer, $1.id) }
        let plan = Plan(
            inputs: input.inputs, inputDigest: input.inputDigest, secretsDigest: Self.secretsDigest(input.secrets),
            actions: actions, drift: drift, unknown: unknown.sorted { $0.id < $1.id }, warnings: warnings)
        return (plan, diagnostics)
    }

    static func secretsDigest(_ secrets: [ReferenceExpression: String]) -> String {
        let lines = secrets.map { "\($0.key.description)=\($0.value)" }.sorted().joined(separator: "\n")
        return SpecDigest.digest(lines)
    }
}
