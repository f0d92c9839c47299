import BallastCore

/// Watch mode's hold on pruning, as a value: a reload that removes resources waits until the
/// manifests have been unchanged for the prune delay (a half-written file, an editor's save in
/// steps, a `git checkout` of a large tree), and the deletions it makes count against the
/// ``DeletionBudget`` over a sliding window, so that a string of small reloads cannot pass one
/// by one. A set over the budget is held until an approval names its digest.
public struct PruneGate: Sendable {
    public var budget: DeletionBudget
    public var pruneDelay: Duration
    /// Approved before it was seen (`watch --approve-deletions DIGEST`).
    public var preApproved: String?
    /// When the manifests last changed; nil before the first change after start.
    private(set) var changedAt: ContinuousClock.Instant?
    /// Prune deletions made within the window, oldest first.
    private(set) var deletions: [ContinuousClock.Instant] = []
    /// Deletions held for an approval.
    public private(set) var held: MassDeletion?
    /// Resources whose deletion was approved explicitly and that are still to be deleted: a
    /// later reload does not hold them again.
    private(set) var approved = Set<ResourceID>()

    public init(budget: DeletionBudget = .standard, pruneDelay: Duration = .seconds(10), preApproved: String? = nil) {
        self.budget = budget
        self.pruneDelay = pruneDelay
        self.preApproved = preApproved
    }

    public enum Admission: Sendable, Hashable {
        /// These may be pruned now.
        case admit([ResourceID])
        /// The manifests changed too recently: ask again after this long.
        case wait(Duration)
        /// Over the budget: held until ``approve(_:at:)`` names its digest.
        case hold(MassDeletion)
    }

    /// The manifests moved on disk (not yet reloaded, or reloaded): the delay starts again, and
    /// a set held before is no longer what would be deleted, so it is no longer held (the next
    /// check weighs what is undeclared then, and holds it again if it is still over the budget).
    public mutating func manifestsChanged(at now: ContinuousClock.Instant) {
        changedAt = now
        held = nil
    }

    /// The manifests were reloaded and `undeclared` is what they no longer declare. As for any
    /// change, nothing stays held; and an approval keeps only the resources still undeclared,
    /// so a resource declared again and later removed again is weighed against the budget anew.
    public mutating func reloaded(undeclared: Set<ResourceID>, at now: ContinuousClock.Instant) {
        manifestsChanged(at: now)
        approved.formIntersection(undeclared)
    }

    /// Records prune deletions made before this process started (from the journal), so that
    /// a restart does not reset the window.
    public mutating func seed(deletionsAgo ages: [Duration], at now: ContinuousClock.Instant) {
        deletions = ages.filter { $0 < budget.window }.map { now - $0 }.sorted()
    }

    public mutating func recordDeletion(at now: ContinuousClock.Instant) {
        deletions.append(now)
    }

    /// Prune deletions made within the window ending now.
    public mutating func recent(at now: ContinuousClock.Instant) -> Int {
        deletions.removeAll { now - $0 >= budget.window }
        return deletions.count
    }

    /// Whether the resources in `deleting` (the ones that would really be deleted, not merely
    /// forgotten) may be pruned now, out of `managed` managed resources.
    public mutating func admit(_ deleting: [ResourceID], managed: Int, at now: ContinuousClock.Instant) -> Admission {
        if let changedAt, now - changedAt < pruneDelay { return .wait(pruneDelay - (now - changedAt)) }
        // An approval lasts while its resources stay undeclared; one declared again drops out.
        approved.formIntersection(deleting)
        let unapproved = deleting.filter { !approved.contains($0) }
        guard let mass = budget.check(unapproved, recent: recent(at: now), managed: managed) else {
            held = nil
            return .admit(deleting)
        }
        if preApproved == mass.digest {
            preApproved = nil
            approved.formUnion(mass.ids)
            held = nil
            return .admit(deleting)
        }
        held = mass
        return .hold(mass)
    }

    public enum ApprovalError: Error, Sendable, Hashable, CustomStringConvertible {
        case nothingHeld
        case otherDeletions(held: String)
        /// The manifests on disk moved after the set was held: what was held may be declared
        /// again. Nothing is approved; the set is weighed again once the manifests settle.
        case manifestsChanged
        /// Watch replicas share one budget, kept by their leader: approvals go to it.
        case notLeader(leader: String?)

        public var description: String {
            switch self {
            case .nothingHeld: "no deletions are held for approval"
            case .notLeader(let leader):
                "this replica does not decide deletions; send the approval to the leader\(leader.map { " at \($0)" } ?? " (none right now; retry in a few seconds)")"
            case .manifestsChanged:
                "the manifests changed after these deletions were held, so nothing was approved; once they settle (the prune delay), what they no longer declare is weighed again and held again if it is still over the budget"
            case .otherDeletions(let digest): "the held deletions have another digest (\(digest)); approve exactly what is held, as reported by /v1/manifests"
            }
        }
    }

    /// Approves the held set when `digest` names it; returns its ids.
    public mutating func approve(_ digest: String) throws(ApprovalError) -> [ResourceID] {
        guard let held else { throw .nothingHeld }
        guard held.digest == digest else { throw .otherDeletions(held: held.digest) }
        self.held = nil
        approved.formUnion(held.ids)
        return held.ids
    }
}
