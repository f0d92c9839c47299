import BallastState
import Foundation
import PostgresNIO

/// Pull sites' published desired states and their agents' reports (see ``AgentStore``).
extension PostgresStateStore {
    /// One transaction per site: each is fenced by the lease on its own site.
    public func publishSiteRevisions(_ publications: [SitePublication], at: Date) async throws -> [SiteRevision] {
        var revisions: [SiteRevision] = []
        for publication in publications {
            revisions.append(try await publish(
                site: publication.site, digest: publication.digest, payload: publication.payload, sourceRevision: publication.sourceRevision, at: at))
        }
        return revisions
    }

    private func publish(site: String, digest: String, payload: String, sourceRevision: String?, at: Date) async throws -> SiteRevision {
        let table = schema.table("site_revision")
        // Fenced by the lease on the site: only the replica that owns it publishes.
        return try await write(site: site) { connection in
            // The row is locked for the rest of the transaction: two publishers take turns.
            var latest: SiteRevision?
            let rows = try await connection.query(
                "SELECT generation, digest, payload, source_revision, published_at FROM \(unescaped: table) WHERE site = \(site) FOR UPDATE", logger: self.logger)
            for try await row in rows.decode((Int64, String, String, String?, Double).self) {
                latest = SiteRevision(site: site, generation: row.0, digest: row.1, payload: row.2, sourceRevision: row.3, publishedAt: Date(timeIntervalSince1970: row.4))
            }
            if let latest, latest.digest == digest { return latest }
            let revision = SiteRevision(
                site: site, generation: (latest?.generation ?? 0) + 1, digest: digest, payload: payload, sourceRevision: sourceRevision, publishedAt: at)
            // A first publication racing another: ON CONFLICT keeps the generation rising.
            try await connection.query("""
                INSERT INTO \(unescaped: table) (site, generation, digest, payload, source_revision, published_at)
                VALUES (\(site), \(revision.generation), \(digest), \(payload), \(sourceRevision), \(at.timeIntervalSince1970))
                ON CONFLICT (site) DO UPDATE SET generation = \(unescaped: table).generation + 1, digest = excluded.digest, payload = excluded.payload,
                    source_revision = excluded.source_revision, published_at = excluded.published_at
                """, logger: self.logger)
            var generation = revision.generation
            for try await value in try await connection.query("SELECT generation FROM \(unescaped: table) WHERE site = \(site)", logger: self.logger).decode(Int64.self) {
                generation = value
            }
            var published = revision
            published.generation = generation
            return published
        }
    }

    public func siteRevision(_ site: String) async throws -> SiteRevision? {
        try await guarded { [self] in
            var latest: SiteRevision?
            let rows = try await client.query(
                "SELECT generation, digest, payload, source_revision, published_at FROM \(unescaped: schema.table("site_revision")) WHERE site = \(site)", logger: logger)
            for try await row in rows.decode((Int64, String, String, String?, Double).self) {
                latest = SiteRevision(site: site, generation: row.0, digest: row.1, payload: row.2, sourceRevision: row.3, publishedAt: Date(timeIntervalSince1970: row.4))
            }
            return latest
        }
    }

    public func siteRevisions() async throws -> [SiteRevision] {
        try await guarded { [self] in
            var revisions: [SiteRevision] = []
            let rows = try await client.query(
                "SELECT site, generation, digest, payload, source_revision, published_at FROM \(unescaped: schema.table("site_revision")) ORDER BY site", logger: logger)
            for try await row in rows.decode((String, Int64, String, String, String?, Double).self) {
                revisions.append(SiteRevision(site: row.0, generation: row.1, digest: row.2, payload: row.3, sourceRevision: row.4, publishedAt: Date(timeIntervalSince1970: row.5)))
            }
            return revisions
        }
    }

    /// Writes copied revisions and reports as they are (``StateStore/restore(_:)``).
    func restoreAgents(_ snapshot: StateSnapshot, _ connection: PostgresConnection) async throws {
        for revision in snapshot.siteRevisions {
            try await connection.query("""
                INSERT INTO \(unescaped: schema.table("site_revision")) (site, generation, digest, payload, source_revision, published_at)
                VALUES (\(revision.site), \(revision.generation), \(revision.digest), \(revision.payload), \(revision.sourceRevision), \(revision.publishedAt.timeIntervalSince1970))
                """, logger: logger)
        }
        for report in snapshot.agentReports {
            try await connection.query("""
                INSERT INTO \(unescaped: schema.table("agent_report")) (site, received_at, body)
                VALUES (\(report.site), \(report.receivedAt.timeIntervalSince1970), \(report.body))
                """, logger: logger)
        }
    }

    public func saveAgentReport(_ report: AgentReport) async throws {
        try await guarded { [self] in
            try await client.query("""
                INSERT INTO \(unescaped: schema.table("agent_report")) (site, received_at, body)
                VALUES (\(report.site), \(report.receivedAt.timeIntervalSince1970), \(report.body))
                ON CONFLICT (site) DO UPDATE SET received_at = excluded.received_at, body = excluded.body
                """, logger: logger)
        }
    }

    public func agentReports() async throws -> [AgentReport] {
        try await guarded { [self] in
            var reports: [AgentReport] = []
            let rows = try await client.query(
                "SELECT site, received_at, body FROM \(unescaped: schema.table("agent_report")) ORDER BY site", logger: logger)
            for try await row in rows.decode((String, Double, String).self) {
                reports.append(AgentReport(site: row.0, receivedAt: Date(timeIntervalSince1970: row.1), body: row.2))
            }
            return reports
        }
    }
}
