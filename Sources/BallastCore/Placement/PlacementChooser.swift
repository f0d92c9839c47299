/// Chooses the sites of manifests placed with `spec.placement.count`, and moves instances off
/// failed sites for those that fail over. Pure: the same manifests and ``PlacementFacts`` give
/// the same choice.
///
/// - Existing instances stay: an instance already on a candidate site (in the inventory) is
///   kept before any other, so neither a preference nor a newly matching site ever moves one.
///   When `count` goes down, the kept ones are those on available sites, then those the
///   preference ranks first.
/// - New instances take the available candidates the preference ranks first: `cheapest` by
///   the monthly price of this spec on each site, `greenest` by its monthly carbon, `spread`
///   by how many resources each site holds already (counting instances chosen for earlier
///   manifests), and without a preference by site name. Ties, and sites with no figure (ranked
///   last), go by site name.
/// - Failover (``FailoverSlots``): an instance whose site has been unavailable for
///   `failoverAfter` gets a replacement on the best available candidate; it stands in for that
///   site. When the site is back, `failback: auto` retires the replacement once the site has
///   been healthy for `failoverAfter` and its own instance is Ready; `manual` keeps the
///   replacement and retires the returning site's instance once the replacement is Ready.
///   With no candidate left, nothing moves and nothing is deleted: the instance is reported
///   in ``FailoverReport/impossible``.
/// - The last healthy instance of a manifest is never retired.
/// - References to an instance that failed over follow its replacement.
///
/// The decisions live with the instances: the inventory records where each exists and which
/// site a replacement stands in for. That is this stage's input, never read by it.
public enum PlacementChooser {
    /// `desired` with only the chosen instances, their notes (``DesiredState/placementNotes``),
    /// and errors for resources that refer to an instance that was not chosen. Every existing
    /// instance is taken as Ready on an available site.
    public static func choose(_ desired: DesiredState, existing: Set<ResourceID>, catalog: SchemaCatalog) -> (desired: DesiredState, diagnostics: [Diagnostic]) {
        choose(desired, facts: PlacementFacts(existing: Dictionary(uniqueKeysWithValues: existing.map { ($0, PlacementFacts.Instance()) })), catalog: catalog)
    }

    /// `desired` with only the chosen instances, given what `facts` says of the instances that
    /// exist and the sites that are down; ``DesiredState/failover`` says what failover decided.
    public static func choose(_ desired: DesiredState, facts: PlacementFacts, catalog: SchemaCatalog) -> (desired: DesiredState, diagnostics: [Diagnostic]) {
        guard !desired.countPlacements.isEmpty else { return (desired, []) }
        var candidates: [String: [DesiredResource]] = [:]
        var load: [String: Int] = [:]
        for resource in desired.resources {
            let key = "\(resource.id.kind)/\(resource.id.name)"
            if desired.countPlacements[key] != nil {
                candidates[key, default: []].append(resource)
            } else {
                load[resource.id.site, default: 0] += 1
            }
        }
        let estimator = CostEstimator(sites: desired.sites, priceBooks: desired.priceBooks, catalog: catalog)
        var choice = PlacementChoice()
        for key in desired.countPlacements.keys.sorted() {
            guard let placement = desired.countPlacements[key], let instances = candidates[key] else { continue }
            let ranked = instances.map { resource in Ranked(resource: resource, rank: rank(resource, placement.prefer, estimator: estimator, load: load)) }
                .sorted { ($0.rank.group, $0.rank.currency, $0.rank.value, $0.resource.id.site) < ($1.rank.group, $1.rank.currency, $1.rank.value, $1.resource.id.site) }
            var slots = FailoverSlots(key: key, placement: placement, ranked: ranked, facts: facts)
            slots.choose()
            for id in slots.added { load[id.site, default: 0] += 1 }
            choice.merge(slots, instances: instances)
        }
        return choice.apply(to: desired)
    }

    /// One candidate instance and where it ranks.
    struct Ranked {
        var resource: DesiredResource
        var rank: Rank
        var id: ResourceID { resource.id }
        var site: String { resource.id.site }
    }

    /// Where a candidate ranks: lower first; `figure` says why, for the plan.
    struct Rank {
        /// 0 for a site with a figure, 1 without (ranked last).
        var group = 0
        /// Prices in different currencies are never compared as amounts: a currency's sites
        /// come together, in the currencies' order.
        var currency = ""
        var value = 0.0
        var figure: String?
    }

    static func rank(_ resource: DesiredResource, _ preference: CountPlacement.Preference?, estimator: CostEstimator, load: [String: Int]) -> Rank {
        switch preference {
        case nil:
            return Rank()
        case .spread:
            let held = load[resource.id.site] ?? 0
            return Rank(value: Double(held), figure: "\(held) resource\(held == 1 ? "" : "s") on the site before")
        case .cheapest:
            guard let cost = estimator.estimate(resource.id, spec: resource.spec, annotations: resource.annotations).cost else {
                return Rank(group: 1, figure: "unpriced here")
            }
            return Rank(currency: cost.currency, value: cost.monthly, figure: MoneyText.amount(cost.monthly, currency: cost.currency) + "/mo here")
        case .greenest:
            guard let grams = estimator.estimate(resource.id, spec: resource.spec, annotations: resource.annotations).cost?.carbonGrams else {
                return Rank(group: 1, figure: "carbon unknown here")
            }
            return Rank(value: grams, figure: MoneyText.carbon(grams: grams) + "/mo here")
        }
    }
}
