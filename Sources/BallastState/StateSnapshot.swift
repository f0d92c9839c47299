import BallastCore

/// Everything a state holds except its lease: what `ballast state migrate` copies from one
/// backend to another. Sorted (inventory by id, journal by sequence, tokens by name), so two
/// snapshots of the same state are equal.
///
/// When a later change adds a table, it adds a field here, and every backend's
/// ``StateStore/snapshot()`` and ``StateStore/restore(_:)`` with it; `state migrate` then
/// verifies it like the rest.
public struct StateSnapshot: Sendable, Hashable {
    public var inventory: [InventoryEntry]
    public var intents: [JournalIntentRecord]
    public var outcomes: [JournalOutcome]
    public var tokens: [APIToken]
    public var planKey: [UInt8]?
    /// Pull sites' published desired states, by site: their generations carry on after a copy
    /// (an agent refuses a generation lower than the one it holds).
    public var siteRevisions: [SiteRevision]
    /// Pull sites' last reports, by site.
    public var agentReports: [AgentReport]

    public init(
        inventory: [InventoryEntry] = [], intents: [JournalIntentRecord] = [], outcomes: [JournalOutcome] = [], tokens: [APIToken] = [], planKey: [UInt8]? = nil,
        siteRevisions: [SiteRevision] = [], agentReports: [AgentReport] = []
    ) {
        self.inventory = inventory.sorted { $0.id < $1.id }
        self.intents = intents.sorted { $0.sequence < $1.sequence }
        self.outcomes = outcomes.sorted { $0.intentSequence < $1.intentSequence }
        self.tokens = tokens.sorted { $0.name < $1.name }
        self.planKey = planKey
        self.siteRevisions = siteRevisions.sorted { $0.site < $1.site }
        self.agentReports = agentReports.sorted { $0.site < $1.site }
    }

    /// Rows per table, for the report and the check after a copy.
    public var counts: [(table: String, rows: Int)] {
        [("inventory", inventory.count), ("journal intents", intents.count), ("journal outcomes", outcomes.count),
         ("API tokens", tokens.count), ("plan key", planKey == nil ? 0 : 1), ("pull sites' desired states", siteRevisions.count),
         ("agent reports", agentReports.count)]
    }

    /// Whether there is nothing in it that a copy could overwrite or mix with.
    public var isEmpty: Bool {
        inventory.isEmpty && intents.isEmpty && outcomes.isEmpty && tokens.isEmpty && siteRevisions.isEmpty
    }
}
