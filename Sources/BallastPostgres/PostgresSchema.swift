/// The PostgreSQL state's tables, created and upgraded by numbered migrations that each run in
/// a transaction with the schema's migration lock held, so that two processes starting at once
/// never apply one twice and a database left half-migrated cannot exist.
///
/// Tables live in the URL's schema (`?schema=NAME`), so estates can share a database. Times
/// that are only recorded are seconds since 1970 (as in SQLite, so `state migrate` copies them
/// as they are); a lease's expiry is a `timestamptz` set and judged by the database's `now()`.
struct PostgresSchema: Sendable {
    let schema: String

    init(_ schema: String) { self.schema = schema }

    /// A table's qualified name.
    func table(_ name: String) -> String { "\"\(schema)\".\(name)" }

    struct Migration: Sendable {
        var version: Int
        var name: String
        var statements: [String]
    }

    /// Every migration, oldest first. Append; never edit one that has shipped.
    var migrations: [Migration] {
        [
            Migration(version: 1, name: "inventory, journal, lease, API tokens, plan key", statements: [
                """
                CREATE TABLE \(table("inventory")) (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    name TEXT NOT NULL,
                    site TEXT NOT NULL,
                    spec TEXT NOT NULL,
                    spec_digest TEXT NOT NULL,
                    outputs TEXT NOT NULL,
                    status TEXT NOT NULL,
                    last_error TEXT,
                    generation BIGINT NOT NULL,
                    dependencies TEXT NOT NULL,
                    prevent_destroy BOOLEAN NOT NULL,
                    deletion TEXT NOT NULL,
                    prune BOOLEAN NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL,
                    updated_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE \(table("journal_intent")) (
                    seq BIGSERIAL PRIMARY KEY,
                    run_id TEXT NOT NULL,
                    resource_id TEXT NOT NULL,
                    action TEXT NOT NULL,
                    spec TEXT NOT NULL,
                    spec_digest TEXT NOT NULL,
                    at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE INDEX journal_intent_at ON \(table("journal_intent")) (at)",
                """
                CREATE TABLE \(table("journal_outcome")) (
                    intent_seq BIGINT PRIMARY KEY REFERENCES \(table("journal_intent")) (seq),
                    status TEXT NOT NULL,
                    attempts BIGINT NOT NULL,
                    error TEXT,
                    outputs TEXT,
                    at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE \(table("lease")) (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    owner TEXT NOT NULL,
                    pid BIGINT NOT NULL,
                    host TEXT NOT NULL,
                    boot_id TEXT NOT NULL,
                    start_time BIGINT NOT NULL,
                    command TEXT NOT NULL,
                    since DOUBLE PRECISION NOT NULL,
                    epoch BIGINT NOT NULL,
                    ttl_ms BIGINT NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL
                )
                """,
                // One row, locked FOR UPDATE by whoever grants the lease: grants are serialised, and
                // each raises the epoch.
                "CREATE TABLE \(table("lease_epoch")) (id INTEGER PRIMARY KEY CHECK (id = 1), epoch BIGINT NOT NULL)",
                "INSERT INTO \(table("lease_epoch")) (id, epoch) VALUES (1, 0)",
                """
                CREATE TABLE \(table("api_token")) (
                    name TEXT PRIMARY KEY,
                    digest TEXT NOT NULL UNIQUE,
                    role TEXT NOT NULL,
                    created_at DOUBLE PRECISION NOT NULL
                )
                """,
                "CREATE TABLE \(table("plan_key")) (id INTEGER PRIMARY KEY CHECK (id = 1), key TEXT NOT NULL)",
            ]),
            Migration(version: 2, name: "watch replicas: heartbeats, site leases, prune admissions", statements: [
                // Heartbeats and leases are judged by the database's now(), never a host's clock.
                """
                CREATE TABLE \(table("replica")) (
                    id TEXT PRIMARY KEY,
                    host TEXT NOT NULL,
                    pid BIGINT NOT NULL,
                    listen TEXT NOT NULL,
                    manifest_digest TEXT NOT NULL,
                    started_at DOUBLE PRECISION NOT NULL,
                    last_seen TIMESTAMPTZ NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL
                )
                """,
                // One row per site (and one for the leadership, key '*leader'); every grant takes
                // a new epoch from the sequence, so epochs only grow.
                """
                CREATE TABLE \(table("site_lease")) (
                    key TEXT PRIMARY KEY,
                    owner TEXT NOT NULL,
                    epoch BIGINT NOT NULL,
                    acquired_at TIMESTAMPTZ NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL
                )
                """,
                "CREATE INDEX site_lease_owner ON \(table("site_lease")) (owner)",
                "CREATE SEQUENCE \(table("site_lease_epoch"))",
                """
                CREATE TABLE \(table("prune_admission")) (
                    resource_id TEXT PRIMARY KEY,
                    manifest_digest TEXT NOT NULL,
                    admitted_at DOUBLE PRECISION NOT NULL
                )
                """,
            ]),
            Migration(version: 3, name: "the source revision of each journal intent", statements: [
                "ALTER TABLE \(table("journal_intent")) ADD COLUMN revision TEXT",
            ]),
            Migration(version: 4, name: "the outbox of events for the event sinks", statements: [
                """
                CREATE TABLE \(table("outbox_event")) (
                    seq BIGSERIAL PRIMARY KEY,
                    event_id TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    body TEXT NOT NULL
                )
                """,
                "CREATE TABLE \(table("outbox_cursor")) (sink TEXT PRIMARY KEY, delivered_through BIGINT NOT NULL)",
            ]),
            Migration(version: 5, name: "the journal by resource", statements: [
                "CREATE INDEX journal_intent_resource ON \(table("journal_intent")) (resource_id, seq)",
            ]),
            Migration(version: 6, name: "pull sites' published desired states and their agents' reports", statements: [
                """
                CREATE TABLE \(table("site_revision")) (
                    site TEXT PRIMARY KEY,
                    generation BIGINT NOT NULL,
                    digest TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    source_revision TEXT,
                    published_at DOUBLE PRECISION NOT NULL
                )
                """,
                """
                CREATE TABLE \(table("agent_report")) (
                    site TEXT PRIMARY KEY,
                    received_at DOUBLE PRECISION NOT NULL,
                    body TEXT NOT NULL
                )
                """,
            ]),
            Migration(version: 7, name: "the approval a journal intent was made under", statements: [
                "ALTER TABLE \(table("journal_intent")) ADD COLUMN approval TEXT",
            ]),
            Migration(version: 8, name: "the site a failed-over instance stands in for", statements: [
                "ALTER TABLE \(table("inventory")) ADD COLUMN stands_in_for TEXT",
            ]),
            Migration(version: 9, name: "the health of the sites each replica owns", statements: [
                "ALTER TABLE \(table("replica")) ADD COLUMN site_health TEXT NOT NULL DEFAULT ''",
            ]),
            Migration(version: 10, name: "the labels of each managed resource", statements: [
                "ALTER TABLE \(table("inventory")) ADD COLUMN labels TEXT NOT NULL DEFAULT '{}'",
            ]),
            Migration(version: 11, name: "syncing suspended, for every replica of the state", statements: [
                "CREATE TABLE \(table("sync_suspension")) (id INTEGER PRIMARY KEY CHECK (id = 1), suspended_by TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)",
            ]),
            Migration(version: 12, name: "each resource's drift history", statements: [
                """
                CREATE TABLE \(table("drift")) (
                    seq BIGSERIAL PRIMARY KEY, resource_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
                    fields TEXT NOT NULL, missing BOOLEAN NOT NULL, outcome TEXT NOT NULL)
                """,
                "CREATE INDEX drift_by_resource ON \(table("drift")) (resource_id, seq)",
            ]),
            Migration(version: 13, name: "the manifest each resource was last applied from", statements: [
                "ALTER TABLE \(table("inventory")) ADD COLUMN manifest TEXT",
            ]),
        ]
    }

    var latestVersion: Int { migrations.last?.version ?? 0 }
}
