/// Per-site circuit breaker: after `threshold` consecutive failures the circuit opens and
/// calls are refused for `cooldown`; then one probe is let through (half-open). A success
/// closes the circuit; a failed probe opens it for another cooldown.
public struct CircuitBreaker: Sendable, Hashable {
    public enum State: Sendable, Hashable {
        case closed(failures: Int)
        case open(until: ContinuousClock.Instant)
        /// One probe is in flight; other calls are refused until it reports.
        case halfOpen
    }

    public let threshold: Int
    public let cooldown: Duration
    public private(set) var state: State = .closed(failures: 0)

    public init(threshold: Int = 3, cooldown: Duration = .seconds(10)) {
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
    }

    /// Whether a call may go ahead now; when the cooldown has passed, the first caller
    /// becomes the half-open probe.
    public mutating func allow(at now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .closed:
            return true
        case .open(let until):
            guard now >= until else { return false }
            state = .halfOpen
            return true
        case .halfOpen:
            return false
        }
    }

    public mutating func recordSuccess() {
        state = .closed(failures: 0)
    }

    public mutating func recordFailure(at now: ContinuousClock.Instant) {
        switch state {
        case .closed(let failures):
            state = failures + 1 >= threshold ? .open(until: now + cooldown) : .closed(failures: failures + 1)
        case .halfOpen, .open:
            state = .open(until: now + cooldown)
        }
    }

    /// Keeps the circuit open, but only until `instant` (a change pushed by the site makes an
    /// early probe worthwhile).
    public mutating func reopen(until instant: ContinuousClock.Instant) {
        if case .open = state { state = .open(until: instant) }
    }

    /// When an open circuit lets its next probe through, or nil when it is not open.
    public var opensProbeAt: ContinuousClock.Instant? {
        if case .open(let until) = state { return until }
        return nil
    }

    /// Whether the site counts as up (closed) for status reporting.
    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }
}
