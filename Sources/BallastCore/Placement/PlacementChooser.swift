/// Chooses the sites of manifests placed with `spec.placement.count`. Pure: the same
/// manifests, existing instances and price books give the same choice.
///
/// - Existing instances stay: an instance already on a candidate site (in the inventory) is
///   kept before any other, so neither a preference nor a newly matching site ever moves one.
///   When `count` goes down, the kept ones are those the preference ranks first.
/// - New instances take the candidates the preference ranks first: `cheapest` by the monthly
///   price of this spec on each site, `greenest` by its monthly carbon, `spread` by how many
///   resources each site holds already (counting instances chosen for earlier manifests), and
///   without a preference by site name. Ties, and sites with no figure (ranked last), go by
///   site name.
///
/// The decisions are not stored apart: the inventory records where instances exist, and is
/// this stage's input, never read by it.
public enum PlacementChooser {
    /// `desired` with only the chosen instances, their notes (``DesiredState/placementNotes``),
    /// and errors for resources that refer to an instance that was not chosen.
    public static func choose(_ desired: DesiredState, existing: Set<ResourceID>, catalog: SchemaCatalog) -> (desired: DesiredState, diagnostics: [Diagnostic]) {
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
        var dropped = Set<ResourceID>()
        var notes: [ResourceID: String] = [:]
        for key in desired.countPlacements.keys.sorted() {
            guard let placement = desired.countPlacements[key], let instances = candidates[key] else { continue }
            let ranked = instances.map { resource in (resource, rank(resource, placement.prefer, estimator: estimator, load: load)) }
                .sorted { ($0.1.group, $0.1.currency, $0.1.value, $0.0.id.site) < ($1.1.group, $1.1.currency, $1.1.value, $1.0.id.site) }
            let kept = ranked.filter { existing.contains($0.0.id) }.prefix(placement.count)
            let added = ranked.filter { !existing.contains($0.0.id) }.prefix(placement.count - kept.count)
            let chosen = Set((kept + added).map(\.0.id))
            let of = "\(placement.count) of \(instances.count) matching site\(instances.count == 1 ? "" : "s")"
            for (resource, _) in kept { notes[resource.id] = "kept: it exists here (\(of))" }
            for (resource, rank) in added {
                notes[resource.id] = "\(placement.prefer.map(\.rawValue) ?? "first by name"): \(of)\(rank.figure.map { ", \($0)" } ?? "")"
                load[resource.id.site, default: 0] += 1
            }
            for resource in instances where !chosen.contains(resource.id) { dropped.insert(resource.id) }
        }
        var diagnostics: [Diagnostic] = []
        var result = desired
        result.resources = desired.resources.filter { !dropped.contains($0.id) }
        for resource in result.resources {
            for dependency in resource.dependencies where dropped.contains(dependency) {
                let reference = resource.referenceTargets.filter { $0.value == dependency }.keys.min() ?? dependency.description
                diagnostics.append(.error("\(resource.id) refers to \(reference) on site '\(dependency.site)', but placement did not choose that site for \(dependency.kind)/\(dependency.name); refer to it by its site (\(dependency.kind)/\(dependency.name)@SITE) on one that is chosen", at: resource.location))
            }
        }
        result.placementNotes = notes
        return (result, diagnostics)
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
