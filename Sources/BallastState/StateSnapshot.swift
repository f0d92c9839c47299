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
    /// Events not yet trimmed from the outbox, by sequence, and each sink's cursor: a copy
    /// delivers what the old state had not, and nothing twice beyond at-least-once.
    public var outbox: [StoredOutboxEvent]
    public var outboxCursors: [String: Int64]

    /// The sequence new events must follow: past every event and cursor copied, or a sink whose
    /// cursor is ahead would never receive them.
    public var outboxSequenceFloor: Int64 {
        max(outbox.last?.sequence ?? 0, outboxCursors.values.max() ?? 0)
    }

    public init(
        inventory: [InventoryEntry] = [], intents: [JournalIntentRecord] = [], outcomes: [JournalOutcome] = [], tokens: [APIToken] = [], planKey: [UInt8]? = nil,
        siteRevisions: [SiteRevision] = [], agentReports: [AgentReport] = [], outbox: [StoredOutboxEvent] = [], outboxCursors: [String: Int64] = [:]
    ) {
        self.outbox = outbox.sorted { $0.sequence < $1.sequence }
        self.outboxCursors = outboxCursors
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
         ("agent reports", agentReports.count), ("outbox events", outbox.count), ("event sink cursors", outboxCursors.count)]
    }

    /// Whether there is nothing in it that a copy could overwrite or mix with.
    public var isEmpty: Bool {
        inventory.isEmpty && intents.isEmpty && outcomes.isEmpty && tokens.isEmpty && siteRevisions.isEmpty
    }
}
