import BallastCore
import BallastState

extension StateStore {
    /// Journals an outcome with its inventory change and the events that report it (none
    /// without an announcer), in one transaction; then wakes the delivery.
    func recordOutcome(_ outcome: JournalOutcome, of intent: JournalIntent, planned: PlannedAction?, change: InventoryChange, announcer: EventAnnouncer?) async throws {
        let events = announcer?.outcome(intent, sequence: outcome.intentSequence, outcome: outcome, planned: planned) ?? []
        try await recordOutcome(outcome, change: change, events: events)
        if !events.isEmpty { announcer?.written() }
    }
}
