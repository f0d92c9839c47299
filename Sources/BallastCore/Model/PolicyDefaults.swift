/// An estate's default policy (`kind: Estate`, `spec.policy`): each setting a resource's own
/// `policy` block leaves out takes the estate's value, then the built-in one. `ignoreChanges`
/// names a kind's fields, so it has no estate default.
public struct PolicyDefaults: Sendable, Hashable {
    /// The policy settings a default can be given for, and that a manifest may write.
    public struct Settings: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        public static let preventDestroy = Settings(rawValue: 1 << 0)
        public static let deletion = Settings(rawValue: 1 << 1)
        public static let management = Settings(rawValue: 1 << 2)
        public static let selfHeal = Settings(rawValue: 1 << 3)
        public static let prune = Settings(rawValue: 1 << 4)
    }

    /// The values, of which only those in ``given`` count.
    public var values: Policy
    public var given: Settings

    public init(values: Policy = Policy(), given: Settings = []) {
        self.values = values
        self.given = given
    }

    /// `policy` as written in a manifest that wrote the settings in `written`, with every other
    /// setting taken from these defaults.
    public func applied(to policy: Policy, written: Settings) -> Policy {
        let taken = given.subtracting(written)
        guard !taken.isEmpty else { return policy }
        var effective = policy
        if taken.contains(.preventDestroy) { effective.preventDestroy = values.preventDestroy }
        if taken.contains(.deletion) { effective.deletion = values.deletion }
        if taken.contains(.management) { effective.management = values.management }
        if taken.contains(.selfHeal) { effective.selfHeal = values.selfHeal }
        if taken.contains(.prune) { effective.prune = values.prune }
        return effective
    }
}
