/// The outbox of events for the event sinks (`--events-sink`), kept in the state store so that
/// an event is written in the same transaction as what it reports and survives any crash.
///
/// One ordered log of events, and per sink a cursor: the last event it acknowledged. Delivery
/// is at-least-once: a deliverer reads a batch after the cursor, posts it in order, and only
/// then advances the cursor; a crash in between posts the batch again, with the same ids.
/// Outbox writes are not fenced by the lease: they report what happened, and do not change
/// what Ballast manages.
public protocol EventOutbox: Sendable {
    /// Appends `events` in order, in one transaction. Their sequence numbers are higher than
    /// those of every event committed before, and a reader never sees a later event without
    /// the earlier ones (the order of sequence numbers is the order of commits).
    func enqueueEvents(_ events: [OutboxEvent]) async throws

    /// Up to `limit` events after `sink`'s cursor, oldest first. A sink seen for the first
    /// time starts before the oldest event still kept.
    func outbox(sink: String, limit: Int) async throws -> OutboxBatch

    /// Moves `sink`'s cursor from `from` to `through` (a later sequence number) after the
    /// sink took the events in between; does nothing when the cursor is no longer at `from`
    /// (another deliverer moved it), so a cursor never goes back.
    func acknowledge(sink: String, from: Int64, through: Int64) async throws

    /// Keeps the outbox bounded: deletes the events every one of `sinks` has acknowledged,
    /// then the oldest events beyond the newest `keeping`. Returns, per sink in `sinks`, how
    /// many events it had not received were dropped (its cursor moves past them); a sink that
    /// lost none may be absent.
    func trimOutbox(keeping: Int, sinks: [String]) async throws -> [String: Int]
}
