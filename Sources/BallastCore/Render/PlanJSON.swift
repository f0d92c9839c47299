/// The versioned JSON form of a plan: what `plan -o json` prints and `plan --out` saves.
///
/// The format is documented in docs/cli.md. It never holds secret values.
public enum PlanJSON {
    public static func encode(_ plan: Plan) -> Value {
        var root: [String: Value] = [
            "formatVersion": .int(Plan.formatVersion),
            "inputs": .list(plan.inputs.map(Value.string)),
            "inputDigest": .string(plan.inputDigest),
            "secretsDigest": .string(plan.secretsDigest),
            "summary": .map(Fields([
                "create": .int(plan.count(.create)), "update": .int(plan.count(.update)),
                "replace": .int(plan.count(.replace)), "delete": .int(plan.count(.delete)), "noop": .int(plan.count(.noop)),
            ])),
            "actions": .list(plan.actions.map(encode)),
            "drift": .list(plan.drift.map { report in
                .map(Fields(["id": .string(report.id.description), "missing": .bool(report.missing), "changes": .list(report.changes.map(encode))]))
            }),
            "unknown": .list(plan.unknown.map { .map(Fields(["id": .string($0.id.description), "reason": .string($0.reason)])) }),
            "agentManaged": .list(plan.agentManaged.map { .map(Fields(["id": .string($0.id.description), "agent": .string($0.reason)])) }),
            "waiting": .list(plan.waiting.map { .map(Fields(["id": .string($0.id.description), "reason": .string($0.reason)])) }),
            "warnings": .list(plan.warnings.map(Value.string)),
        ]
        root["hasChanges"] = .bool(plan.hasChanges)
        root["policyChanges"] = .list(plan.policyChanges.map { .string($0.description) })
        root["massDeletion"] = plan.massDeletion.map { mass in
            .map(Fields([
                "ids": .list(mass.ids.map { .string($0.description) }), "recent": .int(mass.recent), "limit": .int(mass.limit),
                "managed": .int(mass.managed), "rule": .string(mass.rule), "digest": .string(mass.digest),
            ]))
        } ?? .null
        root["cost"] = plan.costTotals.map(encode) ?? .null
        root["budgets"] = .list(plan.budgets.map(encode))
        return .map(Fields(root))
    }

    static func encode(_ use: BudgetUse) -> Value {
        func figures(_ figures: BudgetUse.Figures?, _ round: (Double) -> Double) -> Value {
            guard let figures else { return .null }
            return .map(Fields([
                "limit": .number(round(figures.limit)), "before": .number(round(figures.before)), "after": .number(round(figures.after)),
                "afterChanges": .number(round(figures.afterChanges)), "breaks": .bool(figures.breaks),
            ]))
        }
        return .map(Fields([
            "name": .string(use.budget.name), "enforce": .string(use.budget.enforce.rawValue),
            "currency": use.budget.currency.map(Value.string) ?? .null,
            "monthly": figures(use.money, cents), "carbonKgPerMonth": figures(use.carbonKg) { grams($0 * 1000) },
            "otherCurrency": .int(use.otherCurrency), "unpriced": .int(use.unpriced),
            "breaks": .bool(use.breaks), "blocks": .bool(use.blocks),
        ]))
    }

    /// The plan's totals: per currency, carbon in kilograms, and the unpriced count.
    public static func encode(_ totals: CostTotals) -> Value {
        .map(Fields([
            "monthly": .list(totals.money.map { money in
                .map(Fields([
                    "currency": .string(money.currency), "before": .number(cents(money.before)),
                    "after": .number(cents(money.after)), "delta": .number(cents(money.delta)),
                ]))
            }),
            "carbonKgPerMonth": .map(Fields([
                "before": .number(grams(totals.carbonBeforeGrams)), "after": .number(grams(totals.carbonAfterGrams)),
                "delta": .number(grams(totals.carbonDeltaGrams)),
            ])),
            "unpriced": .int(totals.unpriced),
            "carbonUnknown": .int(totals.carbonUnknown),
        ]))
    }

    /// One side of an action's cost: the estimate, or why there is none.
    public static func encode(_ estimate: CostEstimate?) -> Value {
        switch estimate {
        case nil: .null
        case .unpriced(let reason)?: .map(Fields(["unpriced": .string(reason)]))
        case .priced(let cost)?:
            .map(Fields([
                "currency": .string(cost.currency), "monthly": .number(cents(cost.monthly)),
                "energyKWhPerMonth": .number(rounded(cost.energyKWh, places: 4)),
                "carbonKgPerMonth": cost.carbonGrams.map { .number(grams($0)) } ?? .null,
                "priceBook": .string(cost.priceBook),
            ]))
        }
    }

    static func encode(_ change: CostChange) -> Value {
        var fields: [String: Value] = ["before": encode(change.before), "after": encode(change.after)]
        fields["monthlyDelta"] = change.monthlyDelta.map { .number(cents($0.amount)) } ?? .null
        fields["carbonKgDelta"] = change.carbonDeltaGrams.map { .number(grams($0)) } ?? .null
        return .map(Fields(fields))
    }

    /// Amounts to the cent and carbon to the gram, so that sums print without float noise.
    static func cents(_ amount: Double) -> Double { rounded(amount, places: 2) }
    static func grams(_ grams: Double) -> Double { rounded(grams / 1000, places: 3) }

    static func rounded(_ value: Double, places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let result = (value * scale).rounded(.toNearestOrAwayFromZero) / scale
        return result == 0 ? 0 : result
    }

    public static func encode(_ action: PlannedAction) -> Value {
        var fields: [String: Value] = [
            "id": .string(action.id.description),
            "kind": .string(action.id.kind),
            "name": .string(action.id.name),
            "site": .string(action.id.site),
            "action": .string(action.action.rawValue),
            "reason": .string(action.reason.rawValue),
            "layer": .int(action.layer),
            "observedRevision": action.observedRevision.map(Value.string) ?? .null,
            "changes": .list(action.changes.map(encode)),
        ]
        if !action.forcedBy.isEmpty { fields["forcedBy"] = .list(action.forcedBy.map(Value.string)) }
        if let cost = action.cost { fields["cost"] = encode(cost) }
        if let placement = action.placement { fields["placement"] = .string(placement) }
        return .map(Fields(fields))
    }

    static func encode(_ change: FieldChange) -> Value {
        .map(Fields([
            "path": .string(change.path),
            "before": change.before == nil ? .null : change.sensitive ? .string(ValueFormatter.sensitive) : change.before!,
            "after": change.afterUnknown ? .string(ValueFormatter.knownAfterApply) : change.sensitive ? .string(ValueFormatter.sensitive) : (change.after ?? .null),
            "sensitive": .bool(change.sensitive),
            "afterUnknown": .bool(change.afterUnknown),
            "forcesReplacement": .bool(change.forcesReplacement),
        ]))
    }

    public struct DecodingFailure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Reads a saved plan back; fails on another format version or a malformed file.
    public static func decode(_ value: Value) throws(DecodingFailure) -> Plan {
        guard case .map(let root) = value else { throw DecodingFailure(description: "a plan file must hold a JSON object") }
        guard let version = root["formatVersion"]?.intValue else { throw DecodingFailure(description: "not a Ballast plan file (no formatVersion)") }
        guard (Plan.oldestReadableFormatVersion...Plan.formatVersion).contains(version) else {
            throw DecodingFailure(description: "plan format version \(version) is not supported (this Ballast reads versions \(Plan.oldestReadableFormatVersion) to \(Plan.formatVersion))")
        }
        func string(_ fields: Fields, _ key: String) throws(DecodingFailure) -> String {
            guard let text = fields[key]?.stringValue else { throw DecodingFailure(description: "plan file: '\(key)' is missing or not a string") }
            return text
        }
        func list(_ fields: Fields, _ key: String) -> [Value] {
            if case .list(let items)? = fields[key] { return items }
            return []
        }
        var actions: [PlannedAction] = []
        for item in list(root, "actions") {
            guard case .map(let fields) = item else { throw DecodingFailure(description: "plan file: an action is not an object") }
            let idText = try string(fields, "id")
            guard let id = ResourceID(parsing: idText),
                  let action = Action(rawValue: try string(fields, "action")),
                  let reason = ActionReason(rawValue: try string(fields, "reason")) else {
                throw DecodingFailure(description: "plan file: action '\(idText)' is malformed")
            }
            actions.append(PlannedAction(
                id: id, action: action, reason: reason, changes: [], layer: fields["layer"]?.intValue ?? 0,
                observedRevision: fields["observedRevision"]?.stringValue,
                forcedBy: list(fields, "forcedBy").compactMap(\.stringValue)))
        }
        var plan = Plan(
            inputs: list(root, "inputs").compactMap(\.stringValue),
            inputDigest: try string(root, "inputDigest"),
            secretsDigest: try string(root, "secretsDigest"),
            actions: actions,
            warnings: list(root, "warnings").compactMap(\.stringValue))
        plan.policyChanges = try list(root, "policyChanges").map { item throws(DecodingFailure) in
            guard let text = item.stringValue, let id = ResourceID(parsing: text) else { throw DecodingFailure(description: "plan file: a policy change is not a resource id") }
            return id
        }
        if case .map(let mass)? = root["massDeletion"] {
            let ids = list(mass, "ids").compactMap { $0.stringValue.flatMap(ResourceID.init(parsing:)) }
            plan.massDeletion = MassDeletion(
                ids: ids, recent: mass["recent"]?.intValue ?? 0, limit: mass["limit"]?.intValue ?? 0,
                managed: mass["managed"]?.intValue ?? 0, rule: mass["rule"]?.stringValue ?? "")
        }
        return plan
    }
}
