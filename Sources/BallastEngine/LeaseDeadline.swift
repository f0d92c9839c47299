import Synchronization

/// Until when, on this process's monotonic clock, its lease on the state is sure to hold: the
/// start of the last successful grant or renewal plus the ttl. Shared by the ``HeldLease``
/// that renews it and the ``Executor`` that checks it before every provider call.
///
/// Epochs fence writes to the state, not calls to providers. So that a process paused past its
/// expiry does not go on calling providers either, the executor starts a call only while at
/// least ``margin`` of the lease remains (at most a third of a short ttl). What remains is a call already under way when the
/// pause began: the window is one provider call.
public final class LeaseDeadline: Sendable {
    /// The last instant a call may start; nil without a lease.
    private let lastStart = Mutex<ContinuousClock.Instant?>(nil)
    /// How much of the lease must remain to start a provider call.
    public let margin: Duration

    public init(margin: Duration = .seconds(5)) {
        self.margin = margin
    }

    /// Records a grant or renewal that was asked for at `askedAt` (before the request, so the
    /// deadline errs early) and lasts `ttl`.
    public func renewed(askedAt: ContinuousClock.Instant, ttl: Duration) {
        let reserve = min(margin, ttl / 3)
        lastStart.withLock { $0 = askedAt + ttl - reserve }
    }

    /// No lease is held (released, or never taken): calls are not limited by one.
    public func released() {
        lastStart.withLock { $0 = nil }
    }

    /// Whether a provider call may start now.
    public func allowsCall(at now: ContinuousClock.Instant = .now) -> Bool {
        guard let last = lastStart.withLock({ $0 }) else { return true }
        return now < last
    }
}
