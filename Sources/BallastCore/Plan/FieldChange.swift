/// One field's change in a plan. Sensitive values are never held: `before`/`after` are nil.
public struct FieldChange: Sendable, Hashable {
    /// The spec path, such as `sizeGb` or `backups.retentionDays`.
    public var path: String
    public var before: Value?
    public var after: Value?
    public var sensitive: Bool
    /// The new value comes from an output not known until apply.
    public var afterUnknown: Bool
    /// A change to an immutable field: the resource must be replaced.
    public var forcesReplacement: Bool

    public init(path: String, before: Value?, after: Value?, sensitive: Bool = false, afterUnknown: Bool = false, forcesReplacement: Bool = false) {
        self.path = path
        self.before = sensitive ? nil : before
        self.after = sensitive || afterUnknown ? nil : after
        self.sensitive = sensitive
        self.afterUnknown = afterUnknown
        self.forcesReplacement = forcesReplacement
    }
}
