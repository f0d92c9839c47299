/// The monthly totals of a set of resources before and after a change: one pair per
/// currency (amounts in different currencies are never added), carbon in grams, and how many
/// resources have no price.
public struct CostTotals: Sendable, Hashable {
    public struct Money: Sendable, Hashable {
        public var currency: String
        public var before: Double
        public var after: Double

        public var delta: Double { after - before }
    }

    /// Sorted by currency.
    public var money: [Money]
    public var carbonBeforeGrams: Double
    public var carbonAfterGrams: Double
    /// Resources (on either side of the change) that have no price.
    public var unpriced: Int
    /// Priced resources whose site declares no carbon data: their carbon is not in the totals.
    public var carbonUnknown: Int

    public var carbonDeltaGrams: Double { carbonAfterGrams - carbonBeforeGrams }

    /// Totals over the changes, each counted on the side where it exists.
    public init(_ changes: some Sequence<CostChange>) {
        var money: [String: Money] = [:]
        var carbonBefore = 0.0
        var carbonAfter = 0.0
        var unpriced = 0
        var carbonUnknown = 0
        for change in changes {
            if change.isUnpriced { unpriced += 1 }
            var carbonMissing = false
            if let cost = change.before?.cost {
                money[cost.currency, default: Money(currency: cost.currency, before: 0, after: 0)].before += cost.monthly
                if let grams = cost.carbonGrams { carbonBefore += grams } else { carbonMissing = true }
            }
            if let cost = change.after?.cost {
                money[cost.currency, default: Money(currency: cost.currency, before: 0, after: 0)].after += cost.monthly
                if let grams = cost.carbonGrams { carbonAfter += grams } else { carbonMissing = true }
            }
            if carbonMissing { carbonUnknown += 1 }
        }
        self.money = money.values.sorted { $0.currency < $1.currency }
        carbonBeforeGrams = carbonBefore
        carbonAfterGrams = carbonAfter
        self.unpriced = unpriced
        self.carbonUnknown = carbonUnknown
    }

    /// `Cost: +€412.50/mo (€1,204.00 → €1,616.50); carbon +18.2 kgCO2e/mo; 3 resources unpriced`.
    public var summaryLine: String {
        var parts: [String] = []
        let amounts = money.map { "\(MoneyText.amount($0.delta, currency: $0.currency, signed: true))/mo (\(MoneyText.amount($0.before, currency: $0.currency)) → \(MoneyText.amount($0.after, currency: $0.currency)))" }
        parts.append("Cost: " + (amounts.isEmpty ? "nothing priced" : amounts.joined(separator: ", ")))
        var carbon = "carbon \(MoneyText.carbon(grams: carbonDeltaGrams, signed: true))/mo"
        if carbonUnknown > 0 { carbon += " (\(carbonUnknown) resource\(carbonUnknown == 1 ? "" : "s") on sites without carbon data)" }
        parts.append(carbon)
        if unpriced > 0 { parts.append("\(unpriced) resource\(unpriced == 1 ? "" : "s") unpriced") }
        return parts.joined(separator: "; ")
    }
}
