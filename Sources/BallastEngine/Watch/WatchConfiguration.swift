import BallastCore
import BallastProviders

/// How the watch-mode controller runs.
public struct WatchConfiguration: Sendable {
    /// Reconciles running at once (`--workers`).
    public var workers: Int = 4
    /// Every resource is reconciled at least this often (`--resync`).
    public var resync: Duration = .seconds(600)
    /// Whether changes to manifest directories are noticed through inotify (then the files are
    /// compared only when something changed there, and every `manifestVerifyInterval`).
    public var manifestNotify = true
    /// How often the manifest files are compared without inotify.
    public var manifestPollInterval: Duration = .seconds(1)
    /// How often they are compared anyway with inotify, in case a change went unreported.
    public var manifestVerifyInterval: Duration = .seconds(30)
    /// How long a changed manifest must stay unchanged before it is loaded.
    public var manifestSettle: Duration = .milliseconds(250)
    /// The global rate limit on reconciles: per second, and the burst it allows.
    public var rateLimit: Double = 100
    public var rateBurst: Int = 500
    /// Per-id backoff after failures.
    public var backoff: RetryPolicy = .reconcile
    /// Consecutive site failures that open a site's circuit, and how long it stays open before
    /// a half-open probe.
    public var breakerThreshold: Int = 3
    public var breakerCooldown: Duration = .seconds(5)
    /// A reload that removes resources prunes them only once the manifests have been unchanged
    /// this long (`--prune-delay`); creates and updates go ahead after `manifestSettle`.
    public var pruneDelay: Duration = .seconds(10)
    /// How many prune deletions may happen within a window without an approval.
    public var deletionBudget: DeletionBudget = .standard
    /// The digest of held deletions approved in advance (`--approve-deletions`).
    public var approvedDeletions: String?
    /// Pull sites' agents: their heartbeat, and when a site is stale.
    public var agents = AgentHub.Configuration()
    /// Called, off the controller's actor, after start-up and after each manifest reload: both
    /// load and plan the whole estate, a high point whose freed memory the process may give
    /// back (the CLI passes `malloc_trim`). It must not touch the controller.
    public var releaseMemory: @Sendable () -> Void = {}

    public init() {}
}
