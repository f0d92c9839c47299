/// Exponential backoff with full jitter for retryable provider errors.
///
/// Attempt `n` (1-based) that fails retryably waits a uniformly random time in
/// `0 ..< min(cap, base × 2^(n-1))` before attempt `n + 1`, up to `maxAttempts` in all.
/// Defaults: 8 attempts, 50 ms base, 2 s cap — at most about 7.1 s of waiting per action.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var base: Duration
    public var cap: Duration

    public init(maxAttempts: Int = 8, base: Duration = .milliseconds(50), cap: Duration = .seconds(2)) {
        self.maxAttempts = max(1, maxAttempts)
        self.base = base
        self.cap = cap
    }

    /// The wait after a failed attempt, given a uniform number in 0..<1.
    public func delay(afterAttempt attempt: Int, unit: Double) -> Duration {
        let exponent = min(attempt - 1, 30)
        let ceiling = min(cap, base * (1 << exponent))
        return ceiling * unit
    }
}
