/// Which resources watch mode holds back because their change would take a blocking budget
/// over its limit: the controller's side of the rule ``BudgetUse`` states for plans. Pure.
///
/// The manifests now declared are weighed against the declarations in force. When, for a
/// blocking budget, the declared total is over the limit and above the total in force, every
/// resource in its scope whose declared cost went up (new ones included) is held: it is not
/// created or changed, and keeps its declaration in force. Resources whose cost did not go up
/// go ahead. Nothing is held for a budget the manifests keep within its limit, or one they
/// bring down.
public enum BudgetHolds {
    /// Why one resource is held.
    public struct Hold: Sendable, Hashable {
        public var id: ResourceID
        /// The budget that holds it (the first by name, when several do).
        public var budget: String
        /// `budget 'eu-cloud': €106.21 a month against a limit of €100.00, €6.21 over`.
        public var message: String
    }

    /// The holds for `declared`, given the spec in force for each resource (`inForce`: what
    /// the previous manifests declared, or at start-up what was last applied) and, for one no
    /// longer declared, its labels then (`inForceLabels`). Empty without blocking budgets.
    public static func compute(declared: DesiredState, inForce: [ResourceID: Fields], inForceLabels: (ResourceID) -> StringMap? = { _ in nil }, catalog: SchemaCatalog) -> [ResourceID: Hold] {
        let blocking = declared.budgets.filter { $0.enforce == .block }
        guard !blocking.isEmpty, !declared.priceBooks.isEmpty else { return [:] }
        let estimator = CostEstimator(sites: declared.sites, priceBooks: declared.priceBooks, catalog: catalog)
        // What each declared resource costs now and as in force; then what in force but no
        // longer declared costs (it counts before, and nothing after).
        var changes: [(id: ResourceID, labels: StringMap?, change: CostChange)] = []
        changes.reserveCapacity(declared.resources.count)
        var declaredIDs = Set<ResourceID>()
        for resource in declared.resources {
            declaredIDs.insert(resource.id)
            // A failover replacement is a heal: no budget holds it, and it does not count.
            if resource.standsInFor != nil, inForce[resource.id] == nil { continue }
            let now = estimator.estimate(resource.id, spec: resource.spec, annotations: resource.annotations)
            let before = inForce[resource.id].map { estimator.estimate(resource.id, spec: $0, annotations: resource.annotations) }
            changes.append((resource.id, resource.labels, CostChange(before: before, after: now)))
        }
        for (id, spec) in inForce where !declaredIDs.contains(id) {
            changes.append((id, inForceLabels(id), CostChange(before: estimator.estimate(id, spec: spec), after: nil)))
        }
        let actions = changes.map { item in
            var action = PlannedAction(id: item.id, action: .update, reason: .changed, layer: 0, observedRevision: nil)
            action.cost = item.change
            return action
        }
        let labels = Dictionary(changes.compactMap { item in item.labels.map { (item.id, $0) } }, uniquingKeysWith: { first, _ in first })
        var holds: [ResourceID: Hold] = [:]
        for budget in blocking.sorted(by: { $0.name < $1.name }) {
            guard let use = BudgetUse.evaluate([budget], actions: actions, sites: declared.sites, labels: { labels[$0] }).first, use.breaks else { continue }
            for item in changes where item.change.after != nil {
                guard let site = declared.sites[item.id.site], budget.covers(site: site, labels: item.labels) else { continue }
                if rises(item.change, under: budget), holds[item.id] == nil {
                    holds[item.id] = Hold(id: item.id, budget: budget.name, message: use.overrunMessage)
                }
            }
        }
        return holds
    }

    /// Whether the change raises what the resource counts against the budget.
    static func rises(_ change: CostChange, under budget: Budget) -> Bool {
        let tolerance = BudgetUse.Figures.tolerance
        let before = change.before?.cost
        let after = change.after?.cost
        if budget.monthly != nil, let currency = budget.currency {
            let old = before?.currency == currency ? before!.monthly : 0
            let new = after?.currency == currency ? after!.monthly : 0
            if new > old + tolerance { return true }
        }
        if budget.carbonKg != nil, (after?.carbonGrams ?? 0) / 1000 > (before?.carbonGrams ?? 0) / 1000 + tolerance { return true }
        return false
    }
}
