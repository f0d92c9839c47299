/// The monthly cost and carbon of a desired estate, grouped: what `ballast cost` prints.
/// Pure; rows, groups and unpriced resources are sorted.
public struct CostReport: Sendable {
    /// What resources are grouped by.
    public enum Grouping: Sendable, Hashable, CustomStringConvertible {
        case site
        case kind
        /// A label's value; resources without the label form the group `(none)`.
        case label(String)

        /// `site`, `kind` or `label:KEY`.
        public init?(_ text: String) {
            switch text {
            case "site": self = .site
            case "kind": self = .kind
            default:
                guard text.hasPrefix("label:"), text.count > 6 else { return nil }
                self = .label(String(text.dropFirst(6)))
            }
        }

        public var description: String {
            switch self {
            case .site: "site"
            case .kind: "kind"
            case .label(let key): "label:\(key)"
            }
        }

        /// The group label a resource falls into.
        func group(of resource: DesiredResource) -> String {
            switch self {
            case .site: resource.id.site
            case .kind: resource.id.kind
            case .label(let key): resource.labels[key] ?? CostReport.noLabel
            }
        }
    }

    /// The group of resources that lack the grouping label.
    public static let noLabel = "(none)"

    /// One group's total in one currency.
    public struct Row: Sendable, Hashable {
        public var group: String
        public var currency: String
        public var resources: Int
        public var monthly: Double
        /// Nil when no resource of the row knows its carbon.
        public var carbonGrams: Double?

        public init(group: String, currency: String, resources: Int, monthly: Double, carbonGrams: Double?) {
            self.group = group
            self.currency = currency
            self.resources = resources
            self.monthly = monthly
            self.carbonGrams = carbonGrams
        }
    }

    public struct Unpriced: Sendable, Hashable {
        public var id: ResourceID
        public var reason: String
    }

    public var grouping: Grouping
    /// Sorted by (group, currency).
    public var rows: [Row]
    /// Sorted by currency: the estate's total in each.
    public var totals: [(currency: String, monthly: Double)]
    public var carbonGrams: Double
    /// Priced resources on sites that declare no carbon data.
    public var carbonUnknown: Int
    /// Sorted by id.
    public var unpriced: [Unpriced]
    public var resourceCount: Int

    public init(desired: DesiredState, catalog: SchemaCatalog, by grouping: Grouping) {
        let estimator = CostEstimator(sites: desired.sites, priceBooks: desired.priceBooks, catalog: catalog)
        var rows: [String: Row] = [:]
        var totals: [String: Double] = [:]
        var carbon = 0.0
        var carbonUnknown = 0
        var unpriced: [Unpriced] = []
        for resource in desired.resources {
            switch estimator.estimate(resource.id, spec: resource.spec, annotations: resource.annotations) {
            case .unpriced(let reason):
                unpriced.append(Unpriced(id: resource.id, reason: reason))
            case .priced(let cost):
                let group = grouping.group(of: resource)
                let key = group + "\u{0}" + cost.currency
                var row = rows[key] ?? Row(group: group, currency: cost.currency, resources: 0, monthly: 0, carbonGrams: nil)
                row.resources += 1
                row.monthly += cost.monthly
                if let grams = cost.carbonGrams {
                    row.carbonGrams = (row.carbonGrams ?? 0) + grams
                    carbon += grams
                } else {
                    carbonUnknown += 1
                }
                rows[key] = row
                totals[cost.currency, default: 0] += cost.monthly
            }
        }
        self.grouping = grouping
        self.rows = rows.values.sorted { ($0.group, $0.currency) < ($1.group, $1.currency) }
        self.totals = totals.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        carbonGrams = carbon
        self.carbonUnknown = carbonUnknown
        self.unpriced = unpriced.sorted { $0.id < $1.id }
        resourceCount = desired.resources.count
    }
}
