/// An event in the state's outbox, waiting to be delivered to the event sinks: a CloudEvent
/// already encoded, written in the same transaction as what it reports.
public struct OutboxEvent: Sendable, Hashable {
    /// The CloudEvents `id`: the same on every delivery, so that sinks can deduplicate.
    public var id: String
    /// What the event is about (a resource id, `site/NAME`, `source/KEY`).
    public var subject: String
    /// The event in CloudEvents structured mode: one JSON object.
    public var body: String

    public init(id: String, subject: String, body: String) {
        self.id = id
        self.subject = subject
        self.body = body
    }
}

/// An event as stored: its place in the outbox, which is the order of delivery.
public struct StoredOutboxEvent: Sendable, Hashable {
    public var sequence: Int64
    public var event: OutboxEvent

    public init(sequence: Int64, event: OutboxEvent) {
        self.sequence = sequence
        self.event = event
    }
}

/// What one sink has still to receive.
public struct OutboxBatch: Sendable, Hashable {
    /// The sequence number of the last event the sink acknowledged (or that was dropped for it).
    public var cursor: Int64
    /// The events after the cursor, oldest first.
    public var events: [StoredOutboxEvent]

    public init(cursor: Int64, events: [StoredOutboxEvent]) {
        self.cursor = cursor
        self.events = events
    }
}
