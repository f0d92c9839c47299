/// What one resource costs a month, and the carbon it emits, by its price book.
public struct ResourceCost: Sendable, Hashable {
    public var currency: String
    /// The monthly price, in `currency`.
    public var monthly: Double
    /// The IT energy it draws a month, in kWh.
    public var energyKWh: Double
    /// Its monthly emissions in grams of CO2e; nil when its site declares no carbon data.
    public var carbonGrams: Double?
    /// The price book that priced it.
    public var priceBook: String

    public init(currency: String, monthly: Double, energyKWh: Double, carbonGrams: Double?, priceBook: String) {
        self.currency = currency
        self.monthly = monthly
        self.energyKWh = energyKWh
        self.carbonGrams = carbonGrams
        self.priceBook = priceBook
    }
}

/// A resource's price, or why it has none. Never a silent zero.
public enum CostEstimate: Sendable, Hashable {
    case priced(ResourceCost)
    /// No price book covers it, its book lists no model for its kind, or a value the model
    /// needs has no price (a `size` the book does not list, a usage estimate nobody gave).
    case unpriced(reason: String)

    public var cost: ResourceCost? {
        if case .priced(let cost) = self { return cost }
        return nil
    }
}

/// The monthly cost of one planned action: what the resource costs before and after it.
///
/// `before` is nil for a resource that does not exist yet, `after` for one being deleted.
public struct CostChange: Sendable, Hashable {
    public var before: CostEstimate?
    public var after: CostEstimate?

    public init(before: CostEstimate?, after: CostEstimate?) {
        self.before = before
        self.after = after
    }

    /// Whether a side that exists has no price.
    public var isUnpriced: Bool {
        if case .unpriced? = after { return true }
        if after == nil, case .unpriced? = before { return true }
        return false
    }

    /// The change in monthly price, when both sides that exist are priced in one currency.
    public var monthlyDelta: (currency: String, amount: Double)? {
        switch (before, after) {
        case (nil, .priced(let cost)?): (cost.currency, cost.monthly)
        case (.priced(let cost)?, nil): (cost.currency, -cost.monthly)
        case (.priced(let old)?, .priced(let new)?) where old.currency == new.currency: (new.currency, new.monthly - old.monthly)
        default: nil
        }
    }

    /// The change in monthly carbon, in grams, when both sides that exist know theirs.
    public var carbonDeltaGrams: Double? {
        // A side that does not exist emits nothing; an unpriced side, or one on a site without
        // carbon data, is unknown.
        func grams(_ side: CostEstimate?) -> Double?? {
            guard let side else { return .some(0) }
            return side.cost?.carbonGrams
        }
        guard before != nil || after != nil, case let old?? = grams(before), case let new?? = grams(after) else { return nil }
        return new - old
    }
}
