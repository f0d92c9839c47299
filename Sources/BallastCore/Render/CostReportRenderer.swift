/// `ballast cost` output: a table for people, or versioned JSON.
public enum CostReportRenderer {
    /// How many unpriced resources the text lists by name; the JSON lists them all.
    static let unpricedListed = 20

    public static func text(_ report: CostReport) -> String {
        var out = ""
        let heading = report.grouping.description.uppercased()
        var table: [[String]] = [[heading, "RESOURCES", "MONTHLY", "CARBON/MO"]]
        for row in report.rows {
            table.append([TerminalText.safe(row.group), String(row.resources), MoneyText.amount(row.monthly, currency: row.currency), row.carbonGrams.map { MoneyText.carbon(grams: $0) } ?? "unknown"])
        }
        let widths = (0..<4).map { column in table.map { $0[column].count }.max() ?? 0 }
        for (index, line) in table.enumerated() {
            let cells = line.enumerated().map { column, cell in
                column == 0 ? cell + String(repeating: " ", count: widths[column] - cell.count)
                    : String(repeating: " ", count: widths[column] - cell.count) + cell
            }
            out += cells.joined(separator: "  ") + "\n"
            if index == 0 && report.rows.isEmpty { out += "(no priced resources)\n" }
        }
        out += "\n"
        let amounts = report.totals.map { MoneyText.amount($0.monthly, currency: $0.currency) }
        var total = "Total: " + (amounts.isEmpty ? "nothing priced" : amounts.joined(separator: " + ") + " a month")
        total += "; carbon \(MoneyText.carbon(grams: report.carbonGrams))/mo"
        if report.carbonUnknown > 0 { total += " (\(report.carbonUnknown) resource\(report.carbonUnknown == 1 ? "" : "s") on sites without carbon data)" }
        out += total + ".\n"
        if !report.unpriced.isEmpty {
            out += "\n\(report.unpriced.count) of \(report.resourceCount) resource\(report.resourceCount == 1 ? "" : "s") unpriced (not in the totals):\n"
            for item in report.unpriced.prefix(unpricedListed) {
                out += "  \(item.id)  \(TerminalText.safe(item.reason))\n"
            }
            if report.unpriced.count > unpricedListed { out += "  … and \(report.unpriced.count - unpricedListed) more (-o json lists them all)\n" }
        }
        return out
    }

    public static func json(_ report: CostReport) -> Value {
        .map(Fields([
            "formatVersion": .int(1),
            "groupedBy": .string(report.grouping.description),
            "groups": .list(report.rows.map { row in
                .map(Fields([
                    "group": .string(row.group), "currency": .string(row.currency), "resources": .int(row.resources),
                    "monthly": .number(PlanJSON.cents(row.monthly)),
                    "carbonKgPerMonth": row.carbonGrams.map { .number(PlanJSON.grams($0)) } ?? .null,
                ]))
            }),
            "totals": .list(report.totals.map { .map(Fields(["currency": .string($0.currency), "monthly": .number(PlanJSON.cents($0.monthly))])) }),
            "carbonKgPerMonth": .number(PlanJSON.grams(report.carbonGrams)),
            "carbonUnknown": .int(report.carbonUnknown),
            "unpriced": .list(report.unpriced.map { .map(Fields(["id": .string($0.id.description), "reason": .string($0.reason)])) }),
            "resources": .int(report.resourceCount),
        ]))
    }
}
