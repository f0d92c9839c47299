/// Per-key exponential backoff: `base × 2^(failures-1)`, capped; zero after no failures.
/// Defaults: 50 ms doubling up to 5 minutes.
public struct ExponentialBackoff: Sendable, Hashable {
    public var base: Duration
    public var cap: Duration

    public init(base: Duration = .milliseconds(50), cap: Duration = .seconds(300)) {
        self.base = base
        self.cap = cap
    }

    /// The wait before retrying after `failures` consecutive failures.
    public func delay(afterFailures failures: Int) -> Duration {
        guard failures > 0 else { return .zero }
        let exponent = min(failures - 1, 40)
        // Double until the cap, without overflowing.
        var delay = base
        for _ in 0..<exponent {
            delay = delay * 2
            if delay >= cap { return cap }
        }
        return min(delay, cap)
    }
}
