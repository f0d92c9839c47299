/// How Ballast retries: exponential backoff, optionally with full jitter. The one shape for
/// provider calls, observation, watch mode's per-resource backoff and plugin restarts; each use
/// names its configuration below.
///
/// After failed attempt `n` (1-based) the wait is `min(cap, base × 2^(n-1))`, or with full
/// jitter a uniformly random time below it; at most `maxAttempts` attempts in all.
public struct RetryPolicy: Sendable, Hashable {
    public enum Jitter: Sendable, Hashable {
        /// A uniform random wait below the ceiling (spreads many clients apart).
        case full
        /// Exactly the ceiling (a per-key backoff whose timing tests and people can predict).
        case none
    }

    public var maxAttempts: Int
    public var base: Duration
    public var cap: Duration
    public var jitter: Jitter

    public init(maxAttempts: Int = 8, base: Duration = .milliseconds(50), cap: Duration = .seconds(2), jitter: Jitter = .full) {
        self.maxAttempts = max(1, maxAttempts)
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// Create, update and delete calls: 8 attempts, 50 ms doubling to 2 s, full jitter (at most
    /// about 7.1 s of waiting per action).
    public static let providerCalls = RetryPolicy()
    /// Observing a site that is throttled or busy: 3 attempts, 200 ms doubling, full jitter.
    public static let observation = RetryPolicy(maxAttempts: 3, base: .milliseconds(200), cap: .seconds(1))
    /// Watch mode's per-resource backoff after a failed reconcile: 50 ms doubling to 5 minutes,
    /// never giving up (the queue retries until the resource converges).
    public static let reconcile = RetryPolicy(maxAttempts: .max, base: .milliseconds(50), cap: .seconds(300), jitter: .none)
    /// Delivering events to a sink that failed: 500 ms doubling to 30 s, never giving up (the
    /// events wait in the outbox until the sink takes them or the outbox drops them).
    public static let eventDelivery = RetryPolicy(maxAttempts: .max, base: .milliseconds(500), cap: .seconds(30), jitter: .none)
    /// Restarting a plugin that exited: 100 ms doubling to 10 s.
    public static let pluginRestart = RetryPolicy(maxAttempts: .max, base: .milliseconds(100), cap: .seconds(10), jitter: .none)

    /// The wait after failed attempt `attempt` (zero before any failure); `unit` is a uniform
    /// number in 0..<1, used only with full jitter.
    public func delay(afterAttempt attempt: Int, unit: Double = 1) -> Duration {
        guard attempt > 0 else { return .zero }
        // Double until the cap, without overflowing.
        var ceiling = base
        for _ in 0..<min(attempt - 1, 62) {
            ceiling = ceiling * 2
            if ceiling >= cap { break }
        }
        ceiling = min(ceiling, cap)
        switch jitter {
        case .full: return ceiling * unit
        case .none: return ceiling
        }
    }

    /// Runs `body` until it succeeds, fails with an error `retryable` rejects, or runs out of
    /// attempts; waits per ``delay(afterAttempt:unit:)`` in between. Returns the attempts made.
    public func run<T: Sendable>(
        retryable: (ProviderError) -> Bool = \.isRetryable,
        sleep: (Duration) async throws -> Void,
        random: () -> Double,
        _ body: () async throws(ProviderError) -> T
    ) async -> (result: Result<T, ProviderError>, attempts: Int) {
        var attempt = 0
        while true {
            attempt += 1
            do throws(ProviderError) {
                return (.success(try await body()), attempt)
            } catch {
                let providerError = error
                guard retryable(providerError), attempt < maxAttempts else {
                    var final = providerError
                    if retryable(providerError) && attempt > 1 { final.message += " (gave up after \(attempt) attempts)" }
                    return (.failure(final), attempt)
                }
                try? await sleep(delay(afterAttempt: attempt, unit: random()))
            }
        }
    }
}
