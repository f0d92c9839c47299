/// A `kind: Budget` document: a monthly limit on what the resources in its scope cost, emit,
/// or both, and what happens to a change that would take them over it.
public struct Budget: Sendable, Hashable {
    public enum Enforcement: String, Sendable, Hashable, CaseIterable {
        /// `apply` refuses the change (unless `--allow-over-budget`); watch mode holds it.
        case block
        /// The plan says so; nothing is held.
        case warn
    }

    public var name: String
    public var location: SourceLocation?
    /// The sites whose resources count (every site when it names none).
    public var sites: SiteScope
    /// The labels a resource must carry to count (every resource when nil).
    public var matchLabels: StringMap?
    /// A monthly limit in `currency`; resources priced in another currency do not count.
    public var monthly: Double?
    public var currency: String?
    /// A monthly limit in kilograms of CO2e.
    public var carbonKg: Double?
    public var enforce: Enforcement
    /// Where the sites `sites` names are written, for the error when one is not declared.
    public var siteLocations: [String: SourceLocation] = [:]

    public init(name: String, location: SourceLocation? = nil, sites: SiteScope = SiteScope(), matchLabels: StringMap? = nil, monthly: Double? = nil, currency: String? = nil, carbonKg: Double? = nil, enforce: Enforcement = .block) {
        self.name = name
        self.location = location
        self.sites = sites
        self.matchLabels = matchLabels
        self.monthly = monthly
        self.currency = currency
        self.carbonKg = carbonKg
        self.enforce = enforce
    }

    /// Whether a resource on `site` with `labels` counts against the budget. A resource whose
    /// labels are not known (one being deleted, which the manifests no longer declare) counts
    /// only for a budget that selects no labels.
    public func covers(site: Site, labels: StringMap?) -> Bool {
        guard sites.covers(site) else { return false }
        guard let matchLabels else { return true }
        guard let labels else { return false }
        return labels.matches(matchLabels)
    }
}
