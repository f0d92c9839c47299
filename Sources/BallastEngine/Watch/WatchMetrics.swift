import BallastCore
import CoreMetrics
import Foundation

/// The metrics watch mode exports, made from an injected factory (never the global one).
public struct WatchMetrics: Sendable {
    public static let results = ["up_to_date", "applied", "failed", "reported", "site_unavailable", "refused", "waiting", "held", "over_budget", "unknown"]

    private let reconciles: [String: Counter]
    private let reconcileDuration: CoreMetrics.Timer
    private let driftsDetected: Counter
    private let heals: Counter
    private let timeToHeal: CoreMetrics.Timer
    private let queueDepth: Gauge
    private let resources: [ResourceCondition.Kind: Gauge]
    private let manifestReloads: [String: Counter]
    private let factory: any MetricsFactory
    private let heldDeletions: Gauge
    private let overBudget: Gauge

    public init(factory: any MetricsFactory) {
        self.factory = factory
        heldDeletions = Gauge(label: "ballast_deletions_held", dimensions: [], factory: factory)
        overBudget = Gauge(label: "ballast_resources_over_budget", dimensions: [], factory: factory)
        reconciles = Dictionary(uniqueKeysWithValues: Self.results.map {
            ($0, Counter(label: "ballast_reconciles_total", dimensions: [("result", $0)], factory: factory))
        })
        reconcileDuration = Timer(label: "ballast_reconcile_duration_seconds", dimensions: [], preferredDisplayUnit: .seconds, factory: factory)
        driftsDetected = Counter(label: "ballast_drifts_detected_total", dimensions: [], factory: factory)
        heals = Counter(label: "ballast_heals_total", dimensions: [], factory: factory)
        timeToHeal = Timer(label: "ballast_time_to_heal_seconds", dimensions: [], preferredDisplayUnit: .seconds, factory: factory)
        queueDepth = Gauge(label: "ballast_queue_depth", dimensions: [], factory: factory)
        resources = Dictionary(uniqueKeysWithValues: ResourceCondition.Kind.allCases.map {
            ($0, Gauge(label: "ballast_resources", dimensions: [("condition", $0.rawValue)], factory: factory))
        })
        manifestReloads = Dictionary(uniqueKeysWithValues: ["applied", "invalid"].map {
            ($0, Counter(label: "ballast_manifest_reloads_total", dimensions: [("result", $0)], factory: factory))
        })
    }

    public func reconciled(result: String, duration: Duration) {
        reconciles[result]?.increment()
        reconcileDuration.recordNanoseconds(duration.nanoseconds)
    }

    public func driftDetected() { driftsDetected.increment() }

    /// Deletions held over the deletion budget, waiting for an approval.
    public func deletionsHeld(_ count: Int) { heldDeletions.record(count) }

    /// Resources whose change a blocking budget holds back (condition reason `OverBudget`).
    public func resourcesOverBudget(_ count: Int) { overBudget.record(count) }

    /// One instance moved by failover or back (`ballast_failovers_total{direction}`).
    public func failedOver(_ direction: FailoverReport.Move.Direction) {
        Counter(label: "ballast_failovers_total", dimensions: [("direction", direction.rawValue)], factory: factory).increment()
    }

    public func healed(after duration: Duration?) {
        heals.increment()
        if let duration { timeToHeal.recordNanoseconds(duration.nanoseconds) }
    }

    public func queue(depth: Int) { queueDepth.record(depth) }

    public func resources(_ counts: [ResourceCondition.Kind: Int]) {
        for (kind, gauge) in resources { gauge.record(counts[kind] ?? 0) }
    }

    public func site(_ name: String, up: Bool) {
        Gauge(label: "ballast_site_up", dimensions: [("site", name)], factory: factory).record(up ? 1 : 0)
    }

    /// Which replica owns each site (`ballast_site_owner_info`, 1 per current pair; a pair that
    /// ended reads 0), and how many declared sites no live replica owns.
    public func siteOwners(_ owners: [String: String], previous: [String: String], unowned: Int) {
        for (site, replica) in previous where owners[site] != replica {
            Gauge(label: "ballast_site_owner_info", dimensions: [("site", site), ("replica", replica)], factory: factory).record(0)
        }
        for (site, replica) in owners {
            Gauge(label: "ballast_site_owner_info", dimensions: [("site", site), ("replica", replica)], factory: factory).record(1)
        }
        Gauge(label: "ballast_unowned_sites", dimensions: [], factory: factory).record(unowned)
    }

    /// A pull site's agent: stale or not (`ballast_agent_stale{site}`), when it last reported
    /// (`ballast_agent_last_report_timestamp_seconds{site}`, Unix time, 0 before the first; the
    /// age is `time() -` it), and the generations published and applied
    /// (`ballast_agent_generation{site,which}`).
    public func agent(_ site: String, stale: Bool, lastReport: Date?, desired: Int64?, applied: Int64?) {
        Gauge(label: "ballast_agent_stale", dimensions: [("site", site)], factory: factory).record(stale ? 1 : 0)
        Gauge(label: "ballast_agent_last_report_timestamp_seconds", dimensions: [("site", site)], factory: factory).record(lastReport?.timeIntervalSince1970 ?? 0)
        Gauge(label: "ballast_agent_generation", dimensions: [("site", site), ("which", "desired")], factory: factory).record(desired ?? 0)
        Gauge(label: "ballast_agent_generation", dimensions: [("site", site), ("which", "applied")], factory: factory).record(applied ?? 0)
    }

    public func manifestReload(valid: Bool) {
        manifestReloads[valid ? "applied" : "invalid"]?.increment()
    }

    /// The source revision in force (`ballast_source_info{revision}` = 1), replacing `previous`.
    public func source(revision: String?, previous: String?) {
        guard revision != previous else { return }
        if let previous { Gauge(label: "ballast_source_info", dimensions: [("revision", previous)], factory: factory).destroy() }
        if let revision { Gauge(label: "ballast_source_info", dimensions: [("revision", revision)], factory: factory).record(1) }
    }

    /// Whether syncing is suspended (`ballast_source_suspended`, 1 or 0).
    public func suspended(_ suspended: Bool) {
        Gauge(label: "ballast_source_suspended", dimensions: [], factory: factory).record(suspended ? 1 : 0)
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : scaled + attoseconds / 1_000_000_000
    }
}
