import BallastCore
import Foundation

/// Every site's circuit breaker, reported status and parked ids, as a value: what watch mode
/// decides about sites, without timers, queues or logs (the controller acts on the answers).
///
/// A site whose observations keep failing opens its circuit: its ids are parked instead of
/// tried, one half-open probe goes through after the cooldown, and when an id on it succeeds
/// the circuit closes and everything parked is handed back.
struct SiteBreakers: Sendable {
    private(set) var sites: [String: SiteHealth] = [:]
    let threshold: Int
    let cooldown: Duration

    init(threshold: Int, cooldown: Duration) {
        self.threshold = threshold
        self.cooldown = cooldown
    }

    /// Whether `id` may be reconciled now; false parks it until its site's circuit lets it by.
    mutating func admit(_ id: ResourceID, at instant: ContinuousClock.Instant) -> Bool {
        guard var health = sites[id.site] else { return true }
        defer { sites[id.site] = health }
        guard health.breaker.allow(at: instant) else {
            health.parked.insert(id)
            return false
        }
        return true
    }

    /// What a failed observation of a site means.
    struct Failure: Equatable {
        /// The site's circuit just opened (report it down).
        var wentDown: Bool
        /// The circuit is still closed: retry the id after its own backoff.
        var retryAfterBackoff: Bool
        /// The circuit is open: when the next half-open probe may go.
        var probeAt: ContinuousClock.Instant?
    }

    mutating func recordFailure(_ id: ResourceID, reason: String, at instant: ContinuousClock.Instant, date: Date) -> Failure? {
        guard var health = sites[id.site] else { return nil }
        defer { sites[id.site] = health }
        health.breaker.recordFailure(at: instant)
        let wentDown = health.refresh(reason: reason, at: date)
        if health.breaker.isClosed {
            return Failure(wentDown: wentDown, retryAfterBackoff: true, probeAt: nil)
        }
        health.parked.insert(id)
        return Failure(wentDown: wentDown, retryAfterBackoff: false, probeAt: health.breaker.opensProbeAt)
    }

    /// A success on the site. When its circuit just closed, returns the ids parked meanwhile
    /// (the whole site is resynced); nil otherwise.
    mutating func recordSuccess(site name: String, date: Date) -> [ResourceID]? {
        guard var health = sites[name] else { return nil }
        defer { sites[name] = health }
        health.breaker.recordSuccess()
        guard health.refresh(reason: nil, at: date) else { return nil }
        let parked = health.parked.sorted()
        health.parked.removeAll()
        return parked
    }

    /// The id to send through as a half-open probe: a parked one, else `fallback`; nil when the
    /// circuit closed meanwhile.
    mutating func probeCandidate(site name: String, fallback: ResourceID?) -> ResourceID? {
        guard var health = sites[name], !health.breaker.isClosed else { return nil }
        defer { sites[name] = health }
        guard let id = health.parked.min() ?? fallback else { return nil }
        health.parked.remove(id)
        return id
    }

    /// The provider pushed a change for `id`: its site may be back, so a probe may go now.
    mutating func expedite(_ id: ResourceID, at instant: ContinuousClock.Instant) {
        guard var health = sites[id.site], !health.breaker.isClosed else { return }
        health.expedite(at: instant)
        health.parked.remove(id)
        sites[id.site] = health
    }

    /// Follows the declared sites: new ones start closed, declarations refresh the status, and
    /// sites neither declared nor holding managed resources (`keep` says) are dropped. Returns
    /// the names added and dropped.
    mutating func adopt(_ declared: [String: Site], resources counts: [String: Int], keep: (String) -> Bool, date: Date) -> (added: [String], dropped: [String]) {
        var added: [String] = []
        for (name, site) in declared {
            if var health = sites[name] {
                health.status.siteClass = site.siteClass.rawValue
                health.status.provider = site.provider
                health.status.resources = counts[name] ?? 0
                sites[name] = health
            } else {
                sites[name] = SiteHealth(site: site, threshold: threshold, cooldown: cooldown, resources: counts[name] ?? 0, at: date)
                added.append(name)
            }
        }
        let dropped = sites.keys.filter { declared[$0] == nil && !keep($0) }
        for name in dropped { sites[name] = nil }
        return (added.sorted(), dropped.sorted())
    }

    /// Every site's status, sorted by name.
    var statuses: [SiteStatus] {
        sites.keys.sorted().map { sites[$0]!.status }
    }
}
