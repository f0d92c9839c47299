/// Turns desired state, observed state and the inventory into a ``Plan``. Pure.
public struct Planner: Sendable {
    public var catalog: SchemaCatalog
    /// How many cores a layer is planned on; 1 plans on the calling thread.
    public var parallelism: Int

    public init(catalog: SchemaCatalog, parallelism: Int = System.activeProcessorCount) {
        self.catalog = catalog
        self.parallelism = max(1, parallelism)
    }

    public struct Input: Sendable {
        public var desired: DesiredState
        public var observation: Observation
        public var inventory: Inventory
        public var secrets: [ReferenceExpression: String]
        public var inputs: [String]
        public var inputDigest: String
        /// Keys the digest of the secrets, so that a plan cannot confirm a guessed value.
        public var secretsKey: [UInt8]
        /// Checked against the deletions that pruning makes; nil checks nothing.
        public var budget: DeletionBudget?
        /// Whether the manifests are trusted to be complete (see ``DeletionRule/Candidate/sourceSettled``).
        public var sourceSettled: Bool
        /// Managed resources no manifest read declares whose recorded manifest still exists
        /// outside the paths read, each with that file (``ManifestScope``): kept, and an error.
        public var manifestsNotGiven: [ResourceID: ManifestScope.LeftOut]
        /// Whether managed resources no manifest declares are considered for pruning at all:
        /// false for `destroy PATHS`, which deletes what the paths declare and nothing else, so
        /// that what other files declare (and their holds) does not concern it.
        public var prunes: Bool

        public init(desired: DesiredState, observation: Observation, inventory: Inventory, secrets: [ReferenceExpression: String], inputs: [String], inputDigest: String, secretsKey: [UInt8] = [], budget: DeletionBudget? = nil, sourceSettled: Bool = true, manifestsNotGiven: [ResourceID: ManifestScope.LeftOut] = [:], prunes: Bool = true) {
            self.desired = desired
            self.observation = observation
            self.inventory = inventory
            self.secrets = secrets
            self.inputs = inputs
            self.inputDigest = inputDigest
            self.secretsKey = secretsKey
            self.budget = budget
            self.sourceSettled = sourceSettled
            self.manifestsNotGiven = manifestsNotGiven
            self.prunes = prunes
        }
    }

    /// What planning one stretch of resources produced, merged in order afterwards.
    private struct Slice: Sendable {
        var actions: [PlannedAction] = []
        var drift: [DriftReport] = []
        var unknown: [UnknownResource] = []
        var agentManaged: [UnknownResource] = []
        var waiting: [UnknownResource] = []
        var diagnostics: [Diagnostic] = []
        /// Resources whose outputs will not be known when applying (created, replaced, or on
        /// a site that could not be observed).
        var outputsUnknown: [ResourceID] = []
        /// Resources that need no action but whose recorded policy differs from the manifest.
        var policyChanges: [ResourceID] = []
        /// The resolved spec and the observed one of the resource just planned, for its cost.
        var pricedSpec: Fields?
        var observedSpec: Fields?
    }

    /// The plan, and errors that forbid it (such as `preventDestroy`).
    ///
    /// Resources are planned one dependency layer at a time, each layer on every core: a
    /// resource reads only the outputs of resources in earlier layers.
    public func plan(_ input: Input) -> (plan: Plan, diagnostics: [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        var actions: [PlannedAction] = []
        actions.reserveCapacity(input.desired.resources.count)
        var drift: [DriftReport] = []
        var unknown: [UnknownResource] = []
        var agentManaged: [UnknownResource] = []
        var waiting: [UnknownResource] = []
        var waitingIDs = Set<ResourceID>()
        var warnings: [String] = []
        let schemas = SiteSchemas(sites: input.desired.sites, catalog: catalog)
        let resolver = SpecResolver(secrets: input.secrets)
        let costs = CostEstimator(sites: input.desired.sites, priceBooks: input.desired.priceBooks, catalog: catalog)
        let pricing = costs.hasPrices ? costs : nil
        let resources = input.desired.resources
        var outputsUnknown = Set<ResourceID>()
        var policyChanges: [ResourceID] = []
        var layerStart = 0
        while layerStart < resources.count {
            var layerEnd = layerStart + 1
            while layerEnd < resources.count && resources[layerEnd].layer == resources[layerStart].layer { layerEnd += 1 }
            let unknownSoFar = outputsUnknown
            let waitingSoFar = waitingIDs
            let slices = ParallelSlices.map(layerStart..<layerEnd, maximumSlices: parallelism * 2) { range in
                var slice = Slice()
                for index in range {
                    planResource(resources[index], input: input, schemas: schemas, resolver: resolver, pricing: pricing, outputsUnknown: unknownSoFar, waiting: waitingSoFar, into: &slice)
                }
                return slice
            }
            for slice in slices {
                actions.append(contentsOf: slice.actions)
                drift.append(contentsOf: slice.drift)
                unknown.append(contentsOf: slice.unknown)
                agentManaged.append(contentsOf: slice.agentManaged)
                waiting.append(contentsOf: slice.waiting)
                waitingIDs.formUnion(slice.waiting.map(\.id))
                diagnostics.append(contentsOf: slice.diagnostics)
                outputsUnknown.formUnion(slice.outputsUnknown)
                policyChanges.append(contentsOf: slice.policyChanges)
            }
            layerStart = layerEnd
        }

        // Deletes: managed resources no longer declared, as the deletion rule allows.
        var deletes: [PlannedAction] = []
        var pruned: [ResourceID] = []
        for id in input.prunes ? Self.undeclared(input.inventory, declared: input.desired.resources, parallelism: parallelism) : [] {
            guard let entry = input.inventory[id] else { continue }
            let observed = input.observation.resources[id]
            let verdict = DeletionRule.decide(.init(
                id: id, request: .prune, recorded: entry.recordedPolicy, sites: input.desired.sites,
                siteUnavailable: input.observation.unavailableSites[id.site], exists: observed != nil, sourceSettled: input.sourceSettled,
                manifestNotGiven: input.manifestsNotGiven[id]))
            switch verdict {
            case .delete(var reason), .forget(var reason):
                if verdict.deletesInTheWorld { pruned.append(id) }
                if reason == .notDeclared, input.desired.retiredInstances[id] != nil { reason = .relocated }
                var delete = PlannedAction(id: id, action: .delete, reason: reason, layer: 0, observedRevision: observed?.revision)
                delete.cost = pricing.map { pricing in CostChange(before: observed.map { pricing.estimate(id, spec: $0.spec) }, after: nil) }
                deletes.append(delete)
            case .keep(let hold):
                switch hold {
                case .siteUnavailable(let reason): unknown.append(UnknownResource(id: id, reason: reason))
                case .preventDestroy, .manifestNotGiven: diagnostics.append(.error(hold.message(for: id, request: .prune), at: nil))
                case .siteUndeclared, .pruneDisabled, .sourceUnsettled: warnings.append(hold.message(for: id, request: .prune))
                case .declared, .managedByAgent: break
                }
            }
        }
        for (site, reason) in input.observation.unavailableSites.sorted(by: { $0.key < $1.key }) {
            warnings.append("site '\(site)' could not be observed (\(reason)); its resources are unknown and not planned")
        }
        // The desired resources are already in (layer, id) order, and so their actions; the
        // deletes (layer 0, by id) are merged in rather than everything sorted again.
        if !deletes.isEmpty || !actions.indices.dropFirst().allSatisfy({ (actions[$0 - 1].layer, actions[$0 - 1].id) < (actions[$0].layer, actions[$0].id) }) {
            actions.append(contentsOf: deletes)
            actions.sort { ($0.layer, $0.id) < ($1.layer, $1.id) }
        }
        var plan = Plan(
            inputs: input.inputs, inputDigest: input.inputDigest, secretsDigest: Self.secretsDigest(input.secrets, key: input.secretsKey),
            actions: actions, drift: drift, unknown: unknown.sorted { $0.id < $1.id }, warnings: warnings)
        plan.policyChanges = policyChanges.sorted()
        plan.agentManaged = agentManaged.sorted { $0.id < $1.id }
        plan.waiting = waiting.sorted { $0.id < $1.id }
        plan.massDeletion = input.budget?.check(pruned, managed: input.inventory.count)
        if !input.desired.placementNotes.isEmpty || !input.desired.retiredInstances.isEmpty {
            for index in plan.actions.indices {
                let id = plan.actions[index].id
                if let note = input.desired.placementNotes[id] ?? input.desired.retiredInstances[id] { plan.actions[index].placement = note }
            }
        }
        if pricing != nil, !input.desired.budgets.isEmpty {
            var labels: [ResourceID: StringMap] = [:]
            if input.desired.budgets.contains(where: { $0.matchLabels != nil }) {
                labels.reserveCapacity(resources.count)
                for resource in resources { labels[resource.id] = resource.labels }
                // A deletion counts against a label-scoped budget by the labels last applied.
                for action in plan.actions where action.action == .delete && labels[action.id] == nil {
                    if let entry = input.inventory[action.id] { labels[action.id] = entry.labels }
                }
            }
            plan.budgets = BudgetUse.evaluate(input.desired.budgets, actions: plan.actions, sites: input.desired.sites) { labels[$0] }
        }
        return (plan, diagnostics)
    }

    private func planResource(_ resource: DesiredResource, input: Input, schemas: SiteSchemas, resolver: SpecResolver, pricing: CostEstimator?, outputsUnknown: Set<ResourceID>, waiting: Set<ResourceID>, into slice: inout Slice) {
        let first = slice.actions.count
        planAction(resource, input: input, schemas: schemas, resolver: resolver, outputsUnknown: outputsUnknown, waiting: waiting, into: &slice)
        guard let pricing, slice.actions.count > first, let spec = slice.pricedSpec else { return }
        let index = slice.actions.count - 1
        let action = slice.actions[index]
        var after = action.action == .delete ? nil : pricing.estimate(resource.id, spec: spec, annotations: resource.annotations)
        var before: CostEstimate?
        switch action.action {
        case .create: before = nil
        case .noop: before = after
            // An observe-only resource that does not exist costs nothing on either side.
            if resource.policy.management == .observe, slice.observedSpec == nil { (before, after) = (nil, nil) }
        case .update, .replace, .delete: before = slice.observedSpec.map { pricing.estimate(resource.id, spec: $0, annotations: resource.annotations) }
        }
        slice.actions[index].cost = CostChange(before: before, after: after)
    }

    private func planAction(_ resource: DesiredResource, input: Input, schemas: SiteSchemas, resolver: SpecResolver, outputsUnknown: Set<ResourceID>, waiting: Set<ResourceID>, into slice: inout Slice) {
        slice.pricedSpec = nil
        slice.observedSpec = nil
        let id = resource.id
        let layer = resource.layer
        let observation = input.observation
        if let agent = observation.agentSites[id.site] {
            let reported = observation.agentReported[id].map { "; reported \($0)" } ?? ""
            slice.agentManaged.append(UnknownResource(id: id, reason: agent + reported))
            if observation.reportedOutputs[id] == nil { slice.outputsUnknown.append(id) }
            return
        }
        if let reason = observation.unavailableSites[id.site] {
            slice.unknown.append(UnknownResource(id: id, reason: reason))
            slice.outputsUnknown.append(id)
            return
        }
        if !observation.agentSites.isEmpty, let awaited = AwaitedOutputs.awaited(by: resource, observation: observation, waiting: waiting) {
            slice.waiting.append(UnknownResource(id: id, reason: AwaitedOutputs.reason(awaited, observation: observation)))
            return
        }
        // Each looked up once: a lookup hashes the id and copies the entry out of the table.
        let entry = input.inventory[id]
        let schema = schemas[id.site]?.kinds[id.kind]
        let (spec, unknownPaths, typeProblems) = resolver.resolve(resource, schema: schema) {
            guard outputsUnknown.isEmpty || !outputsUnknown.contains($0) else { return nil }
            return observation.resources[$0]?.outputs ?? observation.reportedOutputs[$0]
        }
        if !typeProblems.isEmpty {
            for problem in typeProblems { slice.diagnostics.append(.error("\(id): \(problem.message)", at: resource.fieldLocations[problem.path] ?? resource.location)) }
            return
        }
        let observed = observation.resources[id].map { DigestedFields.completed($0, schema: schema, desired: spec, lastApplied: entry?.spec) }
        // Read once: an observed spec kept as text is parsed on each read.
        let observedSpec = observed?.spec
        var diff = SpecDiff(schema: schema, resource: resource)
        slice.pricedSpec = spec
        slice.observedSpec = observedSpec

        if resource.policy.management == .observe {
            let changes = observedSpec.map { diff.changes(desired: spec, observed: $0, unknown: unknownPaths) } ?? []
            if observed == nil || !changes.isEmpty {
                slice.drift.append(DriftReport(id: id, missing: observed == nil, changes: changes))
            }
            slice.actions.append(PlannedAction(id: id, action: .noop, reason: .upToDate, layer: layer, observedRevision: observed?.revision))
            return
        }
        guard let observed, let observedSpec else {
            let changes = diff.changes(desired: spec, observed: nil, unknown: unknownPaths)
            let reason: ActionReason = entry != nil ? .vanished : resource.standsInFor != nil ? .failover : .new
            slice.actions.append(PlannedAction(id: id, action: .create, reason: reason, changes: changes, layer: layer, observedRevision: nil))
            slice.outputsUnknown.append(id)
            return
        }
        let changes = diff.changes(desired: spec, observed: observedSpec, unknown: unknownPaths)
        if changes.isEmpty {
            slice.actions.append(PlannedAction(id: id, action: .noop, reason: .upToDate, layer: layer, observedRevision: observed.revision))
            if let entry, entry.recordedPolicy != RecordedPolicy(resource.policy) { slice.policyChanges.append(id) }
            return
        }
        let forcedBy = changes.filter(\.forcesReplacement).map(\.path)
        // The input last applied against the input now: the same means the world drifted; the
        // same spec with other secret values means a secret was rotated (AppliedInput).
        let applied = entry?.specDigest
        let current = applied == nil ? "" : AppliedInput.digest(resource, secrets: input.secrets, key: input.secretsKey)
        let unchangedManifest = applied == current
        let secretRotated = applied.map { !unchangedManifest && AppliedInput.specPart($0) == AppliedInput.specPart(current) } ?? false
        if !forcedBy.isEmpty {
            if resource.policy.preventDestroy {
                slice.diagnostics.append(.error("\(id) must be replaced (\(forcedBy.joined(separator: ", ")) cannot change in place), but policy.preventDestroy is set; revert the change or lift the policy", at: resource.fieldLocations["policy.preventDestroy"] ?? resource.location))
            }
            slice.actions.append(PlannedAction(id: id, action: .replace, reason: .immutableFieldChanged, changes: changes, layer: layer, observedRevision: observed.revision, forcedBy: forcedBy))
            slice.outputsUnknown.append(id)
        } else {
            let reason: ActionReason = changes.allSatisfy(\.afterUnknown) ? .dependencyChanged : unchangedManifest ? .drifted : secretRotated ? .secretChanged : .changed
            slice.actions.append(PlannedAction(id: id, action: .update, reason: reason, changes: changes, layer: layer, observedRevision: observed.revision))
        }
    }

    /// Managed resources the manifests no longer declare, sorted. Each declared id is looked
    /// up in the inventory (already hashed), on every core, reading the id in place rather than
    /// copying each resource out; a set of every declared id is built only when some managed
    /// resource is missing from the manifests.
    public static func undeclared(_ inventory: Inventory, declared resources: [DesiredResource], parallelism: Int = System.activeProcessorCount) -> [ResourceID] {
        guard !inventory.isEmpty else { return [] }
        let found = resources.withUnsafeBufferPointer { buffer in
            nonisolated(unsafe) let declared = buffer
            return ParallelSlices.map(0..<declared.count, minimumPerSlice: 8_192, maximumSlices: max(1, parallelism) * 2) { range in
                var found = 0
                for index in range where inventory.contains(declared[index].id) { found += 1 }
                return found
            }.reduce(0, +)
        }
        if found == inventory.count { return [] }
        let declared = Set(resources.map(\.id))
        return inventory.keys.filter { !declared.contains($0) }.sorted()
    }

    /// An HMAC of the resolved secret values under the state's plan key: it changes when a
    /// secret does, but without the key it cannot confirm a guessed value.
    public static func secretsDigest(_ secrets: [ReferenceExpression: String], key: [UInt8]) -> String {
        let lines = secrets.map { "\($0.key.description)=\($0.value)" }.sorted().joined(separator: "\n")
        return PlanSeal.authenticationCode(lines, key: key)
    }
}
