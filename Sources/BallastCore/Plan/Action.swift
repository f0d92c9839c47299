/// What a plan does to one resource.
public enum Action: String, Sendable, Hashable, Codable, CaseIterable {
    case create
    case update
    case replace
    case delete
    case noop

    /// The symbol users know from Terraform.
    public var symbol: String {
        switch self {
        case .create: "+"
        case .update: "~"
        case .replace: "-/+"
        case .delete: "-"
        case .noop: " "
        }
    }

    public var changesSomething: Bool { self != .noop }
}

/// Why an action was chosen. For people only: apply never looks at it.
public enum ActionReason: String, Sendable, Hashable, Codable {
    case new
    /// In the inventory, but gone from the world.
    case vanished
    case changed
    /// The spec as written is unchanged, but a secret it uses has another value: a change of
    /// input, not drift.
    case secretChanged = "secret-changed"
    case drifted
    /// Only values that come from a dependency being created or replaced change.
    case dependencyChanged = "dependency-changed"
    case immutableFieldChanged = "immutable-field-changed"
    case notDeclared = "not-declared"
    /// `ballast destroy` asked for it.
    case destroyRequested = "destroy"
    /// No longer declared, `deletion: orphan`: forgotten, not deleted.
    case orphaned
    case upToDate = "up-to-date"
    /// Created on another site because its own site failed (`placement.failover`).
    case failover
    /// Retired by placement: a failback, or beyond a smaller `count`.
    case relocated

    /// Whether the action puts back what the world changed (drift, a vanished resource) rather
    /// than carrying out a change of the manifests: self-healing, which `selfHeal: false`
    /// suspends and no budget blocks.
    public var undoesDrift: Bool { self == .drifted || self == .vanished }

    /// Whether budgets let the action through whatever it costs: healing drift, and failover
    /// (a replacement for an instance whose site failed).
    public var passesBudgets: Bool { undoesDrift || self == .failover }

    public var text: String {
        switch self {
        case .new: "new"
        case .vanished: "vanished; will be recreated"
        case .changed: "manifest changed"
        case .secretChanged: "a secret it uses changed"
        case .drifted: "drifted"
        case .dependencyChanged: "a dependency is created or replaced; new values known after apply"
        case .immutableFieldChanged: "immutable field changed"
        case .notDeclared: "no longer declared"
        case .destroyRequested: "destroy"
        case .orphaned: "no longer declared; deletion: orphan (forgotten, not deleted)"
        case .upToDate: "up to date"
        case .failover: "failover"
        case .relocated: "retired by placement"
        }
    }
}
