import BallastCore
import Foundation

/// One site as watch mode sees it: its circuit breaker, its reported status, and the ids held
/// back while its circuit is open (they go back to the queue when it closes).
struct SiteHealth: Sendable {
    var breaker: CircuitBreaker
    var status: SiteStatus
    var parked: Set<ResourceID> = []

    init(site: Site, threshold: Int, cooldown: Duration, resources: Int, at now: Date) {
        breaker = CircuitBreaker(threshold: threshold, cooldown: cooldown)
        status = SiteStatus(name: site.name, siteClass: site.siteClass.rawValue, provider: site.provider, since: now, resources: resources)
    }

    /// Follows the breaker: returns true when `up` changed.
    mutating func refresh(reason: String?, at now: Date) -> Bool {
        let up = breaker.isClosed
        guard up != status.up else {
            if !up, let reason { status.reason = reason }
            return false
        }
        status.up = up
        status.reason = up ? nil : reason
        status.since = now
        return true
    }

    /// Lets the next call through as a half-open probe now, instead of after the cooldown
    /// (the provider pushed a change, so the site may be back).
    mutating func expedite(at now: ContinuousClock.Instant) {
        if case .open = breaker.state { breaker.reopen(until: now) }
    }
}
