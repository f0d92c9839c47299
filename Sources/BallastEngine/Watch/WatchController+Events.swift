import BallastCore
import BallastState
import Foundation

extension WatchController {
    /// Writes one event that no journal outcome carries (drift reported, a site down or up, a
    /// revision applied or held, deletions held) to the outbox, when event sinks are
    /// configured. A failure to write it is logged: an event reports, it never decides.
    func announce(_ make: (EventAnnouncer) -> OutboxEvent) async {
        guard let announcer = applier.executor.announcer else { return }
        let event = make(announcer)
        do {
            try await applier.store.enqueueEvents([event])
            announcer.written()
        } catch {
            logger.warning("could not write an event to the outbox", metadata: ["subject": "\(event.subject)", "error": "\(error)"])
        }
    }

    /// Announces each blocking budget whose held resources changed since last announced: what
    /// it holds now, or that it holds nothing any more.
    func announceBudgetHolds(_ held: [ResourceID: Reconciler.HeldOverBudget]) {
        var now: [String: Set<ResourceID>] = [:]
        var messages: [String: String] = [:]
        for (id, hold) in held {
            now[hold.hold.budget, default: []].insert(id)
            messages[hold.hold.budget] = messages[hold.hold.budget] ?? hold.hold.message
        }
        let changed = Set(now.keys).union(announcedBudgetHolds.keys).filter { now[$0] != announcedBudgetHolds[$0] }.sorted()
        announcedBudgetHolds = now
        guard !changed.isEmpty else { return }
        let at = Date()
        Task {
            for budget in changed {
                await announce { $0.budgetHeld(budget, ids: Array(now[budget] ?? []), message: messages[budget], at: at) }
            }
        }
    }
}
