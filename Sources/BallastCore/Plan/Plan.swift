/// A plan: the ordered actions that turn the observed world into the desired one.
///
/// A plan is a value: it never changes after it is made, holds no secret values, and can be
/// saved and applied exactly later (apply checks the plan's seal, `inputDigest`,
/// `secretsDigest` and each action's `observedRevision` first, and that every action is still
/// what planning now would choose).
public struct Plan: Sendable, Hashable {
    public static let formatVersion = 3
    /// The oldest saved-plan format this Ballast still reads: version 2 lacks only costs.
    public static let oldestReadableFormatVersion = 2

    public var inputs: [String]
    public var inputDigest: String
    /// A one-way digest of the resolved `${env:…}` / `${file:…}` values.
    public var secretsDigest: String
    /// Sorted by (layer, id).
    public var actions: [PlannedAction]
    /// Observe-only resources that differ from their manifests: reported, never acted on.
    public var drift: [DriftReport]
    /// Resources on sites that could not be observed.
    public var unknown: [UnknownResource]
    /// Resources on pull sites: their agents plan and apply them, never this run (each with
    /// what is known of its agent). Not an error, unlike ``unknown``.
    public var agentManaged: [UnknownResource] = []
    /// Resources that wait for outputs pull sites' agents have not reported
    /// (``AwaitedOutputs``): neither planned nor applied. Applying leaves them for the hub
    /// daemon, which applies them when the reports arrive. Sorted.
    public var waiting: [UnknownResource] = []
    public var warnings: [String]
    /// Resources that need no action but whose policy (`preventDestroy`, `deletion`, `prune`)
    /// changed: applying records it. Sorted.
    public var policyChanges: [ResourceID] = []
    /// Set when the deletions that pruning makes exceed the deletion budget: applying the plan
    /// then needs an explicit approval.
    public var massDeletion: MassDeletion?
    /// Each declared `Budget`'s use before and after the plan, sorted by name.
    public var budgets: [BudgetUse] = []

    /// The blocking budgets the plan takes over their limits: applying needs
    /// `--allow-over-budget`.
    public var blockingBudgets: [BudgetUse] { budgets.filter(\.blocks) }

    public init(inputs: [String], inputDigest: String, secretsDigest: String, actions: [PlannedAction], drift: [DriftReport] = [], unknown: [UnknownResource] = [], warnings: [String] = []) {
        self.inputs = inputs
        self.inputDigest = inputDigest
        self.secretsDigest = secretsDigest
        self.actions = actions
        self.drift = drift
        self.unknown = unknown
        self.warnings = warnings
    }

    /// The monthly cost and carbon before and after the plan, when price books are declared.
    public var costTotals: CostTotals? {
        guard actions.contains(where: { $0.cost != nil }) else { return nil }
        return CostTotals(actions.lazy.compactMap(\.cost))
    }

    /// Whether applying would change anything: an action, or a recorded policy.
    public var hasChanges: Bool { !policyChanges.isEmpty || actions.contains { $0.action.changesSomething } }

    public func count(_ action: Action) -> Int {
        actions.count { $0.action == action }
    }

    /// `Plan: 3 to add, 1 to change, 1 to replace, 2 to destroy.`
    public var summaryLine: String {
        let policies = policyChanges.isEmpty ? "" : " \(policyChanges.count) polic\(policyChanges.count == 1 ? "y" : "ies") to record."
        return "Plan: \(count(.create)) to add, \(count(.update)) to change, \(count(.replace)) to replace, \(count(.delete)) to destroy." + policies
    }
}

/// The action planned for one resource.
public struct PlannedAction: Sendable, Hashable {
    public var id: ResourceID
    public var action: Action
    public var reason: ActionReason
    public var changes: [FieldChange]
    public var layer: Int
    /// The revision observed when planning; nil when the resource did not exist.
    public var observedRevision: String?
    /// For replace: the immutable fields that force it.
    public var forcedBy: [String]
    /// What the resource costs a month before and after the action; nil when no price book
    /// covers any site (the plan then shows no costs). Boxed: a million actions without
    /// prices pay 8 bytes each for it, not 128.
    public var cost: CostChange? {
        get { extras?.cost }
        set { extras = ActionExtras(cost: newValue, placement: placement) }
    }
    /// For an instance of a `count` placement: why it is on this site (``PlacementChooser``).
    public var placement: String? {
        get { extras?.placement }
        set { extras = ActionExtras(cost: cost, placement: newValue) }
    }
    private var extras: ActionExtras?

    public init(id: ResourceID, action: Action, reason: ActionReason, changes: [FieldChange] = [], layer: Int, observedRevision: String?, forcedBy: [String] = []) {
        self.id = id
        self.action = action
        self.reason = reason
        self.changes = changes
        self.layer = layer
        self.observedRevision = observedRevision
        self.forcedBy = forcedBy
    }
}

/// What few actions carry, behind one reference; compared and hashed by value.
private final class ActionExtras: Sendable, Hashable {
    let cost: CostChange?
    let placement: String?

    /// Nil when there is nothing to keep.
    init?(cost: CostChange?, placement: String?) {
        guard cost != nil || placement != nil else { return nil }
        self.cost = cost
        self.placement = placement
    }

    static func == (left: ActionExtras, right: ActionExtras) -> Bool { (left.cost, left.placement) == (right.cost, right.placement) }
    func hash(into hasher: inout Hasher) {
        hasher.combine(cost)
        hasher.combine(placement)
    }
}

/// Drift on an observe-only resource.
public struct DriftReport: Sendable, Hashable {
    public var id: ResourceID
    /// True when the resource does not exist at all.
    public var missing: Bool
    public var changes: [FieldChange]

    public init(id: ResourceID, missing: Bool, changes: [FieldChange]) {
        self.id = id
        self.missing = missing
        self.changes = changes
    }
}

/// A resource whose state is unknown because its site could not be observed.
public struct UnknownResource: Sendable, Hashable {
    public var id: ResourceID
    public var reason: String

    public init(id: ResourceID, reason: String) {
        self.id = id
        self.reason = reason
    }
}
