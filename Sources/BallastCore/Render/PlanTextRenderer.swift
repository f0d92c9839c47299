/// Renders a plan for people, in the style Terraform users know, grouped by site.
public struct PlanTextRenderer: Sendable {
    public var style: TerminalStyle
    public var sites: [String: Site]

    public init(style: TerminalStyle = .plain, sites: [String: Site]) {
        self.style = style
        self.sites = sites
    }

    public func render(_ plan: Plan) -> String {
        var out = ""
        let changing = plan.actions.filter { $0.action.changesSomething }
        if changing.isEmpty && plan.policyChanges.isEmpty {
            let managed = plan.actions.count
            out += "No changes. The infrastructure matches the manifests (\(managed) resource\(managed == 1 ? "" : "s") up to date).\n"
            if let totals = plan.costTotals { out += totals.summaryLine + "\n" }
        } else {
            out += "Ballast will perform the following actions:\n"
            for (site, actions) in Self.groupBySite(changing) {
                out += "\n" + style.bold(siteHeading(site)) + "\n"
                for action in actions { out += render(action) }
            }
            if !plan.policyChanges.isEmpty {
                out += "\nPolicy changed (recorded, nothing else to do):\n"
                for id in plan.policyChanges { out += "  " + style.yellow("~ \(id)") + "  " + style.dim("(policy changed)") + "\n" }
            }
            out += "\n" + style.bold(plan.summaryLine) + "\n"
            if let totals = plan.costTotals { out += style.bold(totals.summaryLine) + "\n" }
        }
        if !plan.budgets.isEmpty {
            out += "\nBudgets (monthly):\n"
            for use in plan.budgets { out += budgetLine(use) }
        }
        if let mass = plan.massDeletion {
            out += "\n" + style.red("Deletion budget exceeded: \(mass.message).") + "\n"
            out += "  These deletions need an explicit approval (digest \(mass.digest)).\n"
        }
        if !plan.drift.isEmpty {
            out += "\nDrift on observe-only resources (reported, never acted on):\n"
            for report in plan.drift {
                if report.missing {
                    out += "  " + style.yellow("! \(report.id)") + "  (missing)\n"
                } else {
                    out += "  " + style.yellow("! \(report.id)") + "  (drifted)\n"
                    out += changes(report.changes, action: .update)
                }
            }
        }
        if !plan.agentManaged.isEmpty {
            out += "\nManaged by the agents of pull sites (planned and applied there, not here):\n"
            for resource in plan.agentManaged {
                out += "  ~ \(resource.id)  (\(TerminalText.safe(resource.reason)))\n"
            }
        }
        if !plan.waiting.isEmpty {
            out += "\nWaiting for pull sites' agents to report outputs (nothing planned):\n"
            for resource in plan.waiting {
                out += "  * \(resource.id)  (\(TerminalText.safe(resource.reason)))\n"
            }
        }
        if !plan.unknown.isEmpty {
            out += "\nUnknown (site not observed, nothing planned):\n"
            for resource in plan.unknown {
                out += "  ? \(resource.id)  (\(TerminalText.safe(resource.reason)))\n"
            }
        }
        return out
    }

    private func siteHeading(_ name: String) -> String {
        guard let site = sites[name] else { return "site \(name)" }
        return "site \(name) (\(site.siteClass.rawValue), \(site.provider))"
    }

    static func groupBySite(_ actions: [PlannedAction]) -> [(String, [PlannedAction])] {
        Dictionary(grouping: actions, by: \.id.site).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private func render(_ action: PlannedAction) -> String {
        var note = action.reason.text
        if let placement = action.placement {
            if action.action == .create { note += "; placed: \(TerminalText.safe(placement))" }
            if action.action == .delete { note += ": \(TerminalText.safe(placement))" }
        }
        if action.action == .replace {
            note = "replace: \(action.forcedBy.joined(separator: ", ")) cannot change in place"
        }
        var out = "  " + style.action(action.action, "\(action.action.symbol) \(action.id)") + "  " + style.dim("(\(note))") + Self.costNote(action.cost) + "\n"
        out += changes(action.changes, action: action.action)
        return out
    }

    /// `  payments  €66.51 → €80.00 of €100.00 (block)`, and what breaks it.
    private func budgetLine(_ use: BudgetUse) -> String {
        var figures: [String] = []
        if let money = use.money, let currency = use.budget.currency {
            figures.append("\(MoneyText.amount(money.before, currency: currency)) → \(MoneyText.amount(money.after, currency: currency)) of \(MoneyText.amount(money.limit, currency: currency))")
        }
        if let carbon = use.carbonKg {
            figures.append("\(MoneyText.carbon(grams: carbon.before * 1000)) → \(MoneyText.carbon(grams: carbon.after * 1000)) of \(MoneyText.carbon(grams: carbon.limit * 1000))")
        }
        var notes: [String] = []
        if use.otherCurrency > 0 { notes.append("\(use.otherCurrency) in another currency not counted") }
        if use.unpriced > 0 { notes.append("\(use.unpriced) unpriced not counted") }
        var line = "  \(TerminalText.safe(use.budget.name))  " + figures.joined(separator: "; ") + "  (\(use.budget.enforce.rawValue)\(notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")))\n"
        if use.breaks {
            let verdict = use.blocks ? "over budget: apply refuses this plan unless --allow-over-budget" : "over budget (warn only)"
            line += "    " + (use.blocks ? style.red(verdict) : style.yellow(verdict)) + ": " + use.overrunMessage + "\n"
        }
        return line
    }

    /// `  +€61.32/mo`, `  (unpriced: no price book covering site 'x' lists sim Bucket)`.
    static func costNote(_ cost: CostChange?) -> String {
        guard let cost else { return "" }
        if cost.isUnpriced {
            let reason: String
            switch cost.after ?? cost.before {
            case .unpriced(let text)?: reason = text
            default: reason = "no price"
            }
            return "  unpriced: \(TerminalText.safe(reason))"
        }
        guard let delta = cost.monthlyDelta else { return "" }
        return "  \(MoneyText.amount(delta.amount, currency: delta.currency, signed: true))/mo"
    }

    private func changes(_ changes: [FieldChange], action: Action) -> String {
        guard !changes.isEmpty else { return "" }
        let width = min(changes.map(\.path.count).max() ?? 0, 40)
        var out = ""
        for change in changes {
            let path = TerminalText.safe(change.path)
            let label = path + ":" + String(repeating: " ", count: max(0, width - path.count))
            if action != .create, !change.sensitive, !change.afterUnknown,
               case .string(let before)? = change.before, case .string(let after)? = change.after,
               before.contains("\n") || after.contains("\n"),
               let diff = UnifiedDiff.lines(before: before, after: after) {
                // Multi-line text (a file's content): a unified diff, not two long strings.
                out += "      \(label) (text changed)\(change.forcesReplacement ? style.magenta("  # forces replacement") : "")\n"
                for line in diff { out += "        " + TerminalText.safe(line) + "\n" }
                continue
            }
            var line: String
            if action == .create {
                line = "\(label) \(ValueFormatter.after(change))"
            } else {
                line = "\(label) \(ValueFormatter.before(change)) → \(ValueFormatter.after(change))"
            }
            if change.forcesReplacement { line += style.magenta("  # forces replacement") }
            out += "      " + line + "\n"
        }
        return out
    }
}
