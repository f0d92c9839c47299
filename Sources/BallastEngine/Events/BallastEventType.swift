/// The CloudEvents `type`s Ballast emits to its event sinks (`--events-sink`). Each is
/// documented in docs/events.md; new ones may be added, existing ones keep their meaning.
public enum BallastEventType: String, Sendable, Hashable, CaseIterable {
    /// A resource was created (or, after a crash, found created and adopted).
    case created = "dev.ballast.resource.created"
    case updated = "dev.ballast.resource.updated"
    /// Deleted and created again (an immutable field changed).
    case replaced = "dev.ballast.resource.replaced"
    case deleted = "dev.ballast.resource.deleted"
    /// No longer declared with `deletion: orphan`: forgotten by Ballast, left in the world.
    case forgotten = "dev.ballast.resource.forgotten"
    /// An action failed after its retries; `data.action` says which.
    case failed = "dev.ballast.resource.failed"
    /// Not attempted because an action it depends on failed.
    case skipped = "dev.ballast.resource.skipped"
    /// Found not done after a crash; the next plan decides again.
    case abandoned = "dev.ballast.resource.abandoned"
    /// The world differs from what was applied (or the resource is gone), found by Ballast.
    case drifted = "dev.ballast.resource.drifted"
    /// A site's circuit opened: its provider failed repeatedly.
    case siteDown = "dev.ballast.site.down"
    case siteUp = "dev.ballast.site.up"
    /// A source revision (a commit, or an edit of the manifest files) was put in force.
    case sourceApplied = "dev.ballast.source.applied"
    /// A source revision was not put in force: its manifests do not validate.
    case sourceHeld = "dev.ballast.source.held"
    /// Removals over the deletion budget were held for an approval.
    case deletionsHeld = "dev.ballast.deletions.held"
    /// Failover placed an instance on another site, or retired it when its site came back.
    case placementMoved = "dev.ballast.placement.moved"
    /// A blocking cost or carbon budget holds changes back (watch mode): the resources it holds
    /// changed. An empty `resources` means the budget holds nothing any more.
    case budgetHeld = "dev.ballast.budget.held"
}
