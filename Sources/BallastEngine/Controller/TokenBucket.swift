/// A global rate limit: `rate` tokens per second, holding at most `burst`.
///
/// A pure state machine: callers pass the current instant, so tests need no clock.
public struct TokenBucket: Sendable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var updated: ContinuousClock.Instant

    public init(rate: Double, burst: Int, now: ContinuousClock.Instant) {
        precondition(rate > 0 && burst > 0)
        self.rate = rate
        self.burst = Double(burst)
        tokens = Double(burst)
        updated = now
    }

    /// Takes one token and returns how long to wait before using it (zero when one was
    /// available). Waiting callers queue: each reservation pushes the next one back.
    public mutating func reserve(at now: ContinuousClock.Instant) -> Duration {
        if now > updated {
            let elapsed = now - updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            tokens = min(burst, tokens + seconds * rate)
            updated = now
        }
        tokens -= 1
        guard tokens < 0 else { return .zero }
        return .nanoseconds(Int64((-tokens / rate) * 1e9))
    }
}
