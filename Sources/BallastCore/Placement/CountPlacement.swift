/// A manifest placed with `spec.placement.count`: N of its matching sites, chosen by
/// ``PlacementChooser``.
public struct CountPlacement: Sendable, Hashable {
    /// How new instances pick among the matching sites. Existing instances never move for it.
    public enum Preference: String, Sendable, Hashable, CaseIterable {
        /// The lowest monthly price by the price books (priced sites first).
        case cheapest
        /// The lowest monthly carbon by the price books and the sites' carbon data.
        case greenest
        /// The sites holding the fewest resources of the estate.
        case spread
    }

    /// `failover: true`: an instance whose site stays unavailable moves to another candidate.
    public struct Failover: Sendable, Hashable {
        /// Whether an instance that stood in for a site moves back once that site is healthy.
        public enum Failback: String, Sendable, Hashable, CaseIterable {
            /// Back to its site once the site has been healthy for `after`.
            case auto
            /// It stays where it moved; the returning site's instance is deleted.
            case manual
        }

        /// How long a site stays unavailable before its instance moves (`failoverAfter`), and
        /// how long a returning site stays healthy before an instance moves back.
        public var after: Duration
        public var failback: Failback

        public static let defaultAfter = Duration.seconds(60)

        public init(after: Duration = Self.defaultAfter, failback: Failback = .auto) {
            self.after = after
            self.failback = failback
        }
    }

    public var count: Int
    public var prefer: Preference?
    /// The matching sites, sorted: the candidates.
    public var candidates: [String]
    /// Nil when the manifest does not fail over.
    public var failover: Failover?

    public init(count: Int, prefer: Preference?, candidates: [String], failover: Failover? = nil) {
        self.count = count
        self.prefer = prefer
        self.candidates = candidates
        self.failover = failover
    }
}
