import Synchronization

/// Until when, on this process's monotonic clock, its leases are sure to hold: the start of the
/// last successful grant or renewal plus the ttl. Shared by what renews them (``HeldLease``, or
/// a watch replica's ``ReplicaMembership``) and by what must not act without them: the
/// ``Executor`` before every provider call, and a replica's controller before every reconcile.
///
/// Epochs fence writes to the state, not calls to providers. So that a process paused past its
/// expiry does not go on calling providers either, a call starts only while at least ``margin``
/// of the lease remains (at most a third of a short ttl). What remains is a call already under
/// way when the pause began: the window is one provider call.
///
/// A run holds one lease on the whole state. A watch replica holds one per site instead
/// (``scopeBySite()``): then a call on a site starts only under that site's lease.
public final class LeaseDeadline: Sendable {
    private struct Deadlines {
        /// The last instant a call may start under the state's lease; nil without one.
        var state: ContinuousClock.Instant?
        /// Per site (and the leadership's key), for a watch replica; nil when not scoped.
        var keys: [String: ContinuousClock.Instant]?
    }

    private let deadlines = Mutex(Deadlines())
    /// How much of the lease must remain to start a provider call.
    public let margin: Duration

    public init(margin: Duration = .seconds(5)) {
        self.margin = margin
    }

    /// Records a grant or renewal of the state's lease that was asked for at `askedAt` (before
    /// the request, so the deadline errs early) and lasts `ttl`.
    public func renewed(askedAt: ContinuousClock.Instant, ttl: Duration) {
        let last = lastStart(askedAt: askedAt, ttl: ttl)
        deadlines.withLock { $0.state = last }
    }

    /// No lease on the state is held (released, or never taken): calls are not limited by one.
    public func released() {
        deadlines.withLock { $0.state = nil }
    }

    /// From now on, a call on a site needs a lease on that site; none is held yet.
    public func scopeBySite() {
        deadlines.withLock { $0.keys = $0.keys ?? [:] }
    }

    /// Records a grant or renewal of the lease on `key` (a site, or the leadership).
    public func renewed(key: String, askedAt: ContinuousClock.Instant, ttl: Duration) {
        let last = lastStart(askedAt: askedAt, ttl: ttl)
        deadlines.withLock { $0.keys?[key] = last }
    }

    /// The lease on `key` was given up or lost.
    public func dropped(key: String) {
        deadlines.withLock { _ = $0.keys?.removeValue(forKey: key) }
    }

    /// Whether a provider call may start now (on any site, for a run holding the state's lease).
    public func allowsCall(at now: ContinuousClock.Instant = .now) -> Bool {
        guard let last = deadlines.withLock({ $0.state }) else { return true }
        return now < last
    }

    /// Whether a call on `site` may start now: under the state's lease, and under the site's own
    /// lease when scoped by site.
    public func allowsCall(site: String, at now: ContinuousClock.Instant = .now) -> Bool {
        let (state, key) = deadlines.withLock { ($0.state, $0.keys.map { $0[site] }) }
        if let state, now >= state { return false }
        guard let key else { return true }
        guard let key else { return false }
        return now < key
    }

    /// The keys whose leases still allow calls, sorted; empty when not scoped by site.
    public func heldKeys(at now: ContinuousClock.Instant = .now) -> [String] {
        deadlines.withLock { $0.keys?.filter { now < $0.value }.map(\.key).sorted() ?? [] }
    }

    private func lastStart(askedAt: ContinuousClock.Instant, ttl: Duration) -> ContinuousClock.Instant {
        askedAt + ttl - min(margin, ttl / 3)
    }
}
