/// How the watch-mode controller runs.
public struct WatchConfiguration: Sendable {
    /// Reconciles running at once (`--workers`).
    public var workers: Int = 4
    /// Every resource is reconciled at least this often (`--resync`).
    public var resync: Duration = .seconds(600)
    /// How often the manifest files are checked for changes.
    public var manifestPollInterval: Duration = .seconds(1)
    /// How long a changed manifest must stay unchanged before it is loaded.
    public var manifestSettle: Duration = .milliseconds(250)
    /// The global rate limit on reconciles: per second, and the burst it allows.
    public var rateLimit: Double = 100
    public var rateBurst: Int = 500
    /// Per-id backoff after failures.
    public var backoff = ExponentialBackoff()
    /// Consecutive site failures that open a site's circuit, and how long it stays open before
    /// a half-open probe.
    public var breakerThreshold: Int = 3
    public var breakerCooldown: Duration = .seconds(5)

    public init() {}
}
