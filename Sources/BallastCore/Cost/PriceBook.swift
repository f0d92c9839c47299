/// A `kind: PriceBook` document: what resources cost on the sites it covers, and the power
/// they draw, as data in terms of each kind's own spec fields.
///
/// Every figure is declared; none is built in. A resource whose site no price book covers, or
/// whose kind its price book does not list, is *unpriced*, never $0.
public struct PriceBook: Sendable, Hashable {
    /// The number of hours in a month when a price book does not say: 730, the mean
    /// month (365 days × 24 hours ÷ 12), as the clouds' price lists use.
    public static let defaultHoursPerMonth = 730.0

    public var name: String
    public var location: SourceLocation?
    public var scope: SiteScope
    /// An ISO 4217 code such as `EUR` or `USD`. Amounts in different currencies are never added.
    public var currency: String
    public var hoursPerMonth: Double
    /// Sorted by (provider, kind).
    public var models: [PriceModel]
    /// Where each site `scope.sites` names is written, for the error when it is not declared.
    public var siteLocations: [String: SourceLocation] = [:]

    public init(name: String, location: SourceLocation? = nil, scope: SiteScope, currency: String, hoursPerMonth: Double = Self.defaultHoursPerMonth, models: [PriceModel]) {
        self.name = name
        self.location = location
        self.scope = scope
        self.currency = currency
        self.hoursPerMonth = hoursPerMonth
        self.models = models.sorted { ($0.provider, $0.kind) < ($1.provider, $1.kind) }
    }

    /// The model for a provider's kind, if this book lists it.
    public func model(provider: String, kind: String) -> PriceModel? {
        models.first { $0.provider == provider && $0.kind == kind }
    }
}

/// The sites a price book or budget covers: named, or chosen by their labels.
public struct SiteScope: Sendable, Hashable {
    public var sites: [String]?
    public var matchLabels: StringMap?

    public init(sites: [String]? = nil, matchLabels: StringMap? = nil) {
        self.sites = sites
        self.matchLabels = matchLabels
    }

    /// Every site, when neither names nor labels are given.
    public var coversEverySite: Bool { sites == nil && matchLabels == nil }

    public func covers(_ site: Site) -> Bool {
        if let sites, !sites.contains(site.name) { return false }
        if let matchLabels, !site.labels.matches(matchLabels) { return false }
        return true
    }

    /// How specific the scope is: a named site beats a label selector, which beats every site.
    public var specificity: Int { sites != nil ? 2 : matchLabels != nil ? 1 : 0 }
}

/// The price and power of one provider's kind: the sum of its terms, times its multipliers.
///
///     monthly cost  = Π multipliers × Σ quantity × (perHour × hoursPerMonth + perMonth)
///     energy (kWh)  = Π multipliers × Σ quantity × (watts × hoursPerMonth ÷ 1000 + kWhPerMonth)
///     embodied (kg) = Π multipliers × Σ quantity × embodiedKgPerMonth
public struct PriceModel: Sendable, Hashable {
    public var provider: String
    public var kind: String
    public var terms: [PriceTerm]
    public var multipliers: [PriceMultiplier]
    /// Usage estimates for the kind's resources, by name (`storedGb`): used where a resource
    /// declares none of its own.
    public var usage: [String: Double]
    public var location: SourceLocation?

    public init(provider: String, kind: String, terms: [PriceTerm], multipliers: [PriceMultiplier] = [], usage: [String: Double] = [:], location: SourceLocation? = nil) {
        self.provider = provider
        self.kind = kind
        self.terms = terms
        self.multipliers = multipliers
        self.usage = usage
        self.location = location
    }
}

/// One line of a price model: a quantity taken from the spec, priced and powered per unit.
public struct PriceTerm: Sendable, Hashable {
    public var name: String
    public var quantity: PriceQuantity
    /// Price per unit and hour, charged for every hour of the month.
    public var perHour: PriceRate?
    /// Price per unit and month.
    public var perMonth: PriceRate?
    /// Power drawn per unit, in watts, all month long (for example watts per vCPU at an
    /// assumed utilisation).
    public var watts: PriceRate?
    /// Energy per unit and month, in kWh (for example storage per GB-month).
    public var kWhPerMonth: PriceRate?
    /// Embodied emissions per unit and month, in kgCO2e: the hardware's manufacturing emissions
    /// amortised over its life and shared by what runs on it (Cloud Carbon Footprint's embodied
    /// emissions). Counted whatever the site's grid.
    public var embodiedKgPerMonth: PriceRate?

    public init(name: String, quantity: PriceQuantity = .one, perHour: PriceRate? = nil, perMonth: PriceRate? = nil, watts: PriceRate? = nil, kWhPerMonth: PriceRate? = nil) {
        self.name = name
        self.quantity = quantity
        self.perHour = perHour
        self.perMonth = perMonth
        self.watts = watts
        self.kWhPerMonth = kWhPerMonth
    }
}

/// How many units a term counts for one resource.
public enum PriceQuantity: Sendable, Hashable {
    /// One: a flat price per resource.
    case one
    /// A numeric field's value; through a list (`disks[].sizeGb`), the sum over its items.
    case field(PriceFieldPath)
    /// A quantity chosen by a string field's value (`size: small` → 2 vCPU).
    case lookup(PriceFieldPath, [String: Double])
    /// A usage estimate by name (`storedGb`, `requestsPerMonth`): the resource's annotation
    /// `usage.ballast.dev/NAME`, else the model's `usage` entry.
    case usage(String)
}

/// A rate: one figure, or one per value of a string field (`storageClass`, `engine`).
public enum PriceRate: Sendable, Hashable {
    case flat(Double)
    case by(PriceFieldPath, [String: Double])
}

/// A factor the whole model is multiplied by.
public enum PriceMultiplier: Sendable, Hashable {
    /// A numeric field's value (`count`, `replicas`).
    case field(PriceFieldPath)
    /// `factor` when a bool field is true, 1 otherwise (`highAvailability: true` → × 2).
    case whenTrue(PriceFieldPath, factor: Double)
}
