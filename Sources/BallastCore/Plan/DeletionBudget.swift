/// How many resources may be pruned (deleted because they are no longer declared) without an
/// explicit approval: `max(minimum, fraction × managed)` within one sliding `window`.
///
/// A manifest directory that lost most of its files, a bad merge or a half-finished checkout
/// looks exactly like a deliberate mass removal; the budget makes the difference explicit.
/// Deletions that `destroy` was asked for are not counted: the user named them.
public struct DeletionBudget: Sendable, Hashable {
    public var minimum: Int
    public var fraction: Double
    /// Watch mode counts the deletions of this many seconds together.
    public var window: Duration

    public static let standard = DeletionBudget(minimum: 10, fraction: 0.2, window: .seconds(600))

    public init(minimum: Int, fraction: Double, window: Duration) {
        self.minimum = max(0, minimum)
        self.fraction = min(1, max(0, fraction))
        self.window = window
    }

    /// The most deletions allowed for an estate of `managed` resources.
    public func limit(managed: Int) -> Int {
        max(minimum, Int((Double(managed) * fraction).rounded(.up)))
    }

    /// `the larger of 10 and 20% of`, for messages.
    public var rule: String {
        let percent = (fraction * 100).rounded() == fraction * 100 ? String(Int(fraction * 100)) : String(fraction * 100)
        return "the larger of \(minimum) and \(percent)% of"
    }

    /// The verdict on deleting `ids` now, after `recent` deletions already made in the window.
    public func check(_ ids: [ResourceID], recent: Int = 0, managed: Int) -> MassDeletion? {
        let limit = limit(managed: managed)
        guard recent + ids.count > limit else { return nil }
        return MassDeletion(ids: ids.sorted(), recent: recent, limit: limit, managed: managed, rule: rule)
    }
}

/// Deletions held back because they exceed the ``DeletionBudget``; they go ahead only with an
/// approval that names this exact set (its ``digest``).
public struct MassDeletion: Sendable, Hashable {
    /// The resources that would be deleted, sorted.
    public var ids: [ResourceID]
    /// Deletions already made within the window.
    public var recent: Int
    public var limit: Int
    public var managed: Int
    /// How the limit was derived, for messages (`the larger of 10 and 20% of`).
    public var rule: String

    public init(ids: [ResourceID], recent: Int, limit: Int, managed: Int, rule: String) {
        self.ids = ids
        self.recent = recent
        self.limit = limit
        self.managed = managed
        self.rule = rule
    }

    /// Identifies this set of deletions: an approval of another set does not carry over.
    public var digest: String {
        "sha256:" + SpecDigest.digest(ids.map(\.description).joined(separator: "\n"))
    }

    public var message: String {
        let recentText = recent > 0 ? " (after \(recent) already deleted in the window)" : ""
        return "deleting \(ids.count) resource\(ids.count == 1 ? "" : "s") no longer declared\(recentText) exceeds the deletion budget of \(limit) (\(rule) \(managed) managed)"
    }
}
