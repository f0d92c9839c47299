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

    public var count: Int
    public var prefer: Preference?
    /// The matching sites, sorted: the candidates.
    public var candidates: [String]

    public init(count: Int, prefer: Preference?, candidates: [String]) {
        self.count = count
        self.prefer = prefer
        self.candidates = candidates
    }
}
