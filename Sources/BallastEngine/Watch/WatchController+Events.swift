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
}
