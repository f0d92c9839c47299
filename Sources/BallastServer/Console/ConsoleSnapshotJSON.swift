import BallastCore
import BallastEngine
import Foundation

/// A replica's share of a console page as JSON (`GET /v1/console?local=1`), for the replica that
/// renders the page: the rows of its page, how many match in all, and its sites with their
/// counts and costs. The one place that writes and reads this shape.
enum ConsoleSnapshotJSON {
    static func encode(_ snapshot: ConsoleSnapshot) -> Value {
        .map(Fields([
            "formatVersion": .int(1),
            "total": .int(snapshot.total),
            "offset": .int(snapshot.offset),
            "rows": .list(snapshot.rows.map { row in
                guard case .map(var fields) = row.status.json else { return row.status.json }
                fields["labels"] = .map(Fields(row.labels.map { ($0.key, Value.string($0.value)) }))
                return .map(fields)
            }),
            "sites": .list(snapshot.sites.map { row in
                guard case .map(var fields) = StatusJSON.site(row.status) else { return .null }
                fields["resources"] = .int(row.resources)
                fields["counts"] = .map(Fields(Dictionary(uniqueKeysWithValues: row.counts.map { ($0.key.rawValue, Value.int($0.value)) })))
                fields["cost"] = .list(row.cost.map { cost in
                    .map(Fields([
                        "currency": .string(cost.currency), "monthly": .number(cost.monthly), "resources": .int(cost.resources),
                        "carbonGrams": cost.carbonGrams.map(Value.number) ?? .null,
                    ]))
                })
                return .map(fields)
            }),
        ]))
    }

    /// The rows, total and sites of another replica's answer; nil when it is not one.
    static func decode(_ value: Value) -> (total: Int, rows: [ConsoleSnapshot.Row], sites: [ConsoleSnapshot.SiteRow])? {
        guard case .map(let document) = value, let total = document["total"]?.intValue,
              case .list(let rowValues)? = document["rows"], case .list(let siteValues)? = document["sites"] else { return nil }
        var rows: [ConsoleSnapshot.Row] = []
        for value in rowValues {
            guard let status = ResourceStatus.decode(value), case .map(let fields) = value else { return nil }
            var labels: StringMap = [:]
            if case .map(let map)? = fields["labels"] { labels = StringMap(map.map { ($0.key, $0.value.stringValue ?? "") }) }
            rows.append(ConsoleSnapshot.Row(status: status, labels: labels))
        }
        var sites: [ConsoleSnapshot.SiteRow] = []
        for value in siteValues {
            guard let status = StatusJSON.decodeSite(value), case .map(let fields) = value else { return nil }
            var counts: [ResourceCondition.Kind: Int] = [:]
            if case .map(let map)? = fields["counts"] {
                for entry in map { if let kind = ResourceCondition.Kind(rawValue: entry.key), let count = entry.value.intValue { counts[kind] = count } }
            }
            var cost: [CostReport.Row] = []
            if case .list(let items)? = fields["cost"] {
                for case .map(let item) in items {
                    guard let currency = item["currency"]?.stringValue, let monthly = item["monthly"]?.doubleValue else { continue }
                    cost.append(CostReport.Row(
                        group: status.name, currency: currency, resources: item["resources"]?.intValue ?? 0, monthly: monthly, carbonGrams: item["carbonGrams"]?.doubleValue))
                }
            }
            sites.append(ConsoleSnapshot.SiteRow(status: status, resources: fields["resources"]?.intValue ?? 0, counts: counts, cost: cost))
        }
        return (total, rows, sites)
    }
}
