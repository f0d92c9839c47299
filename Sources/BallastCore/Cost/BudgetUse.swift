/// How much of one budget a plan uses, before and after it, and whether the plan breaks it.
///
/// The one rule for "over budget": a plan breaks a limit when, counting its changes but not its
/// heals, the total after the plan is over the limit *and* above the total before. A plan that
/// only lowers an estate already over its limit, or heals drift back to what was declared
/// (reasons `drifted` and `vanished`), never breaks it.
public struct BudgetUse: Sendable, Hashable {
    /// One limit's figures: money in the budget's currency, or carbon in kilograms.
    public struct Figures: Sendable, Hashable {
        public var limit: Double
        public var before: Double
        /// After the whole plan, heals included.
        public var after: Double
        /// After the plan's changes only: what the limit is checked against.
        public var afterChanges: Double

        /// Amounts compare to the cent (and kilograms to the gram): float noise never breaks a limit.
        static let tolerance = 0.005

        public var breaks: Bool { afterChanges > limit + Self.tolerance && afterChanges > before + Self.tolerance }
        public var overrun: Double { afterChanges - limit }
    }

    public var budget: Budget
    public var money: Figures?
    public var carbonKg: Figures?
    /// Resources in scope priced in another currency than the budget's: not counted.
    public var otherCurrency: Int
    /// Resources in scope without a price: not counted.
    public var unpriced: Int

    /// Whether the plan takes the budget over a limit.
    public var breaks: Bool { money?.breaks == true || carbonKg?.breaks == true }
    /// Whether applying must be refused (or, in watch mode, the change held).
    public var blocks: Bool { breaks && budget.enforce == .block }

    /// `budget 'payments' (limit €100.00/mo): €120.50 after this plan, €20.50 over`.
    public var overrunMessage: String {
        var parts: [String] = []
        if let money, money.breaks, let currency = budget.currency {
            parts.append("\(MoneyText.amount(money.afterChanges, currency: currency)) a month against a limit of \(MoneyText.amount(money.limit, currency: currency)), \(MoneyText.amount(money.overrun, currency: currency)) over")
        }
        if let carbon = carbonKg, carbon.breaks {
            parts.append("\(MoneyText.carbon(grams: carbon.afterChanges * 1000)) a month against a limit of \(MoneyText.carbon(grams: carbon.limit * 1000)), \(MoneyText.carbon(grams: carbon.overrun * 1000)) over")
        }
        return "budget '\(TerminalText.safe(budget.name))': " + parts.joined(separator: "; ")
    }

    /// Each budget's use by the actions of a plan, sorted by budget name. `labels` gives each
    /// resource's labels: as declared, or for one being deleted as last applied.
    public static func evaluate(_ budgets: [Budget], actions: [PlannedAction], sites: [String: Site], labels: (ResourceID) -> StringMap?) -> [BudgetUse] {
        guard !budgets.isEmpty else { return [] }
        var uses = budgets.sorted { $0.name < $1.name }.map { budget in
            BudgetUse(
                budget: budget,
                money: budget.monthly.map { Figures(limit: $0, before: 0, after: 0, afterChanges: 0) },
                carbonKg: budget.carbonKg.map { Figures(limit: $0, before: 0, after: 0, afterChanges: 0) },
                otherCurrency: 0, unpriced: 0)
        }
        for action in actions {
            guard let cost = action.cost, let site = sites[action.id.site] else { continue }
            let resourceLabels = labels(action.id)
            let heal = action.reason.passesBudgets
            for index in uses.indices where uses[index].budget.covers(site: site, labels: resourceLabels) {
                uses[index].add(cost, heal: heal)
            }
        }
        return uses
    }

    private mutating func add(_ change: CostChange, heal: Bool) {
        if change.isUnpriced { unpriced += 1 }
        let before = change.before?.cost
        let after = change.after?.cost
        // A heal is checked as if it had not happened: its side before stands for after.
        let counted = heal ? before : after
        if money != nil, let currency = budget.currency {
            if [before, after].contains(where: { $0 != nil && $0?.currency != currency }) { otherCurrency += 1 }
            func amount(_ cost: ResourceCost?) -> Double { cost?.currency == currency ? cost!.monthly : 0 }
            money!.before += amount(before)
            money!.after += amount(after)
            money!.afterChanges += amount(counted)
        }
        if carbonKg != nil {
            func kilograms(_ cost: ResourceCost?) -> Double { (cost?.carbonGrams ?? 0) / 1000 }
            carbonKg!.before += kilograms(before)
            carbonKg!.after += kilograms(after)
            carbonKg!.afterChanges += kilograms(counted)
        }
    }
}
