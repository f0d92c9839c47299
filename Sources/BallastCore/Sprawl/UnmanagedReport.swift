/// What exists on the sites that neither the manifests declare nor the inventory manages:
/// the sprawl `ballast unmanaged` reports, with what each costs where a price book applies.
/// Pure; everything is sorted.
public struct UnmanagedReport: Sendable {
    public struct Entry: Sendable, Hashable {
        public var id: ResourceID
        public var observed: Observed
        /// Nil when no price book covers any site.
        public var cost: CostEstimate?
    }

    /// A site whose resources could not be listed, and why.
    public struct Unlisted: Sendable, Hashable {
        public var site: String
        public var reason: String
    }

    public var entries: [Entry]
    public var ignored: Int
    public var unlisted: [Unlisted]

    /// - Parameters:
    ///   - listed: by site, what its provider listed.
    ///   - unlisted: sites not listed (the provider cannot list, the site is a pull site or
    ///     could not be reached), with the reason.
    public init(listed: [String: [Observed]], unlisted: [String: String], declared: Set<ResourceID>, managed: Set<ResourceID>, ignore: IgnoreList, estimator: CostEstimator?) {
        var entries: [Entry] = []
        var ignored = 0
        for site in listed.keys.sorted() {
            for observed in listed[site] ?? [] where !declared.contains(observed.id) && !managed.contains(observed.id) {
                if ignore.ignores(observed.id) {
                    ignored += 1
                    continue
                }
                entries.append(Entry(id: observed.id, observed: observed, cost: estimator.map { $0.estimate(observed.id, spec: observed.spec) }))
            }
        }
        self.entries = entries.sorted { $0.id < $1.id }
        self.ignored = ignored
        self.unlisted = unlisted.sorted { $0.key < $1.key }.map { Unlisted(site: $0.key, reason: $0.value) }
    }

    /// The monthly totals of what is unmanaged, per currency, and how many have no price.
    public var totals: CostTotals? {
        guard entries.contains(where: { $0.cost != nil }) else { return nil }
        return CostTotals(entries.compactMap { $0.cost.map { CostChange(before: nil, after: $0) } })
    }
}
