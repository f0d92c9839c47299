/// Bounds that keep hostile YAML from exhausting memory or the stack.
public struct YAMLLimits: Sendable, Hashable {
    /// The deepest nesting of collections in one document.
    public var maxDepth: Int
    /// The most nodes aliases may add to one document by expansion (billion-laughs guard).
    public var maxAliasExpansion: Int
    /// The largest input accepted, in bytes.
    public var maxInputBytes: Int

    public init(maxDepth: Int = 64, maxAliasExpansion: Int = 10_000, maxInputBytes: Int = 1 << 31) {
        self.maxDepth = maxDepth
        self.maxAliasExpansion = maxAliasExpansion
        self.maxInputBytes = maxInputBytes
    }

    public static let `default` = YAMLLimits()
}
