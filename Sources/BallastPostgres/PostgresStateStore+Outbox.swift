import BallastState
import PostgresNIO

/// The outbox of events for the event sinks (see ``EventOutbox``).
///
/// Sequence numbers come from a sequence, which hands them out at insert, not at commit: two
/// transactions could commit out of order, and a deliverer that read the later one first would
/// move its cursor past the earlier one for good. So every insert takes a transaction-level
/// advisory lock first: outbox inserts commit one at a time, in the order of their numbers.
extension PostgresStateStore {
    func insert(_ events: [OutboxEvent], _ connection: PostgresConnection) async throws {
        guard !events.isEmpty else { return }
        try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(schema.schema + ".outbox")))", logger: logger)
        for event in events {
            try await connection.query("""
                INSERT INTO \(unescaped: schema.table("outbox_event")) (event_id, subject, body) VALUES (\(event.id), \(event.subject), \(event.body))
                """, logger: logger)
        }
    }

    public func enqueueEvents(_ events: [OutboxEvent]) async throws {
        guard !events.isEmpty else { return }
        try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in try await self.insert(events, connection) }
        }
    }

    public func outbox(sink: String, limit: Int) async throws -> OutboxBatch {
        try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                let events = schema.table("outbox_event")
                // A new sink starts before the oldest event kept (or after the last ever written).
                // The sequence counts numbers taken by inserts not yet committed: under the
                // inserts' lock, every number it has given is committed, so none is skipped.
                try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(schema.schema + ".outbox")))", logger: logger)
                try await connection.query("""
                    INSERT INTO \(unescaped: schema.table("outbox_cursor")) (sink, delivered_through)
                    VALUES (\(sink), COALESCE((SELECT min(seq) - 1 FROM \(unescaped: events)),
                        (SELECT last_value - CASE WHEN is_called THEN 0 ELSE 1 END FROM \(unescaped: schema.table("outbox_event_seq_seq"))), 0))
                    ON CONFLICT (sink) DO NOTHING
                    """, logger: logger)
                var cursor: Int64 = 0
                for try await value in try await connection.query(
                    "SELECT delivered_through FROM \(unescaped: schema.table("outbox_cursor")) WHERE sink = \(sink)", logger: logger).decode(Int64.self) {
                    cursor = value
                }
                let rows = try await Self.collect(try await connection.query("""
                    SELECT seq, event_id, subject, body FROM \(unescaped: events) WHERE seq > \(cursor) ORDER BY seq LIMIT \(max(0, limit))
                    """, logger: logger).decode((Int64, String, String, String).self))
                return OutboxBatch(cursor: cursor, events: rows.map { StoredOutboxEvent(sequence: $0.0, event: OutboxEvent(id: $0.1, subject: $0.2, body: $0.3)) })
            }
        }
    }

    public func acknowledge(sink: String, from: Int64, through: Int64) async throws {
        guard through > from else { return }
        try await guarded { [self] in
            try await client.query("""
                UPDATE \(unescaped: schema.table("outbox_cursor")) SET delivered_through = \(through) WHERE sink = \(sink) AND delivered_through = \(from)
                """, logger: logger)
        }
    }

    public func trimOutbox(keeping: Int, sinks: [String]) async throws -> [String: Int] {
        try await guarded { [self] in
            try await client.withTransaction(logger: logger) { connection in
                let events = schema.table("outbox_event")
                let cursorTable = schema.table("outbox_cursor")
                var cursors: [String: Int64] = [:]
                for try await (sink, cursor) in try await connection.query(
                    "SELECT sink, delivered_through FROM \(unescaped: cursorTable) WHERE sink = ANY(\(sinks)::text[])", logger: logger).decode((String, Int64).self) {
                    cursors[sink] = cursor
                }
                if !sinks.isEmpty, cursors.count == Set(sinks).count, let delivered = cursors.values.min() {
                    try await connection.query("DELETE FROM \(unescaped: events) WHERE seq <= \(delivered)", logger: logger)
                }
                var count = 0
                for try await value in try await connection.query("SELECT count(*) FROM \(unescaped: events)", logger: logger).decode(Int.self) { count = value }
                let excess = count - max(0, keeping)
                var dropped: [String: Int] = [:]
                guard excess > 0 else { return dropped }
                var droppedThrough: Int64 = 0
                for try await value in try await connection.query(
                    "SELECT seq FROM \(unescaped: events) ORDER BY seq LIMIT 1 OFFSET \(excess - 1)", logger: logger).decode(Int64.self) {
                    droppedThrough = value
                }
                for sink in Set(sinks) {
                    let cursor = cursors[sink] ?? 0
                    var missed = 0
                    for try await value in try await connection.query(
                        "SELECT count(*) FROM \(unescaped: events) WHERE seq > \(cursor) AND seq <= \(droppedThrough)", logger: logger).decode(Int.self) {
                        missed = value
                    }
                    dropped[sink] = missed
                    try await connection.query("""
                        UPDATE \(unescaped: cursorTable) SET delivered_through = \(droppedThrough) WHERE sink = \(sink) AND delivered_through < \(droppedThrough)
                        """, logger: logger)
                }
                try await connection.query("DELETE FROM \(unescaped: events) WHERE seq <= \(droppedThrough)", logger: logger)
                return dropped
            }
        }
    }
}
