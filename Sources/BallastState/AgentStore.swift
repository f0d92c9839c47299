import Foundation

/// One published desired state of a pull site, as the hub keeps it for the site's agent.
public struct SiteRevision: Sendable, Hashable {
    public var site: String
    /// Rises by one each time the site's desired state changes (its ``digest``), never else.
    public var generation: Int64
    /// The SHA-256 of the site's desired state, secrets included (keyed), in hexadecimal.
    public var digest: String
    /// The desired state as JSON text, with secret references left as written: the hub that
    /// serves it fills them in for the agent, so no secret value is ever stored.
    public var payload: String
    /// The manifests' source revision (a git commit) it was made from, if any.
    public var sourceRevision: String?
    public var publishedAt: Date

    public init(site: String, generation: Int64, digest: String, payload: String, sourceRevision: String?, publishedAt: Date) {
        self.site = site
        self.generation = generation
        self.digest = digest
        self.payload = payload
        self.sourceRevision = sourceRevision
        self.publishedAt = publishedAt
    }
}

/// A desired state to publish for a pull site (``AgentStore/publishSiteRevisions(_:at:)``).
public struct SitePublication: Sendable, Hashable {
    public var site: String
    public var digest: String
    public var payload: String
    public var sourceRevision: String?

    public init(site: String, digest: String, payload: String, sourceRevision: String?) {
        self.site = site
        self.digest = digest
        self.payload = payload
        self.sourceRevision = sourceRevision
    }
}

/// The last report of a pull site's agent, as the hub received it.
public struct AgentReport: Sendable, Hashable {
    public var site: String
    /// When the hub received it (the hub's clock: an agent's clock is never trusted for age).
    public var receivedAt: Date
    /// The report as JSON text, checked by the hub before it was kept.
    public var body: String

    public init(site: String, receivedAt: Date, body: String) {
        self.site = site
        self.receivedAt = receivedAt
        self.body = body
    }
}

/// What the hub keeps for pull sites and their agents: each site's published desired state
/// with its generation, and each agent's last report. Kept in the state store, so that a
/// restarted hub, or another replica, continues the generations and knows what was reported.
public protocol AgentStore: Sendable {
    /// Publishes each payload as its site's desired state when its digest differs from the
    /// latest published one, under a generation one higher (the first is 1); returns the latest
    /// revision of each, new or not, in order. Atomic per site: two publishers never take the
    /// same generation, and a generation never goes down. Fenced like inventory writes (a paused
    /// hub that lost its lease publishes nothing). A store may write them all in one transaction.
    func publishSiteRevisions(_ publications: [SitePublication], at: Date) async throws -> [SiteRevision]

    /// The latest published revision of `site`, or nil before the first.
    func siteRevision(_ site: String) async throws -> SiteRevision?

    /// The latest published revision of every pull site, sorted by site.
    func siteRevisions() async throws -> [SiteRevision]

    /// Keeps `report` as its site's last report, replacing the one before. Not fenced: any
    /// replica takes an agent's reports.
    func saveAgentReport(_ report: AgentReport) async throws

    /// The last report of every site that has one, sorted by site.
    func agentReports() async throws -> [AgentReport]
}

extension AgentStore {
    /// Publishes one site's desired state (``publishSiteRevisions(_:at:)``).
    public func publishSiteRevision(site: String, digest: String, payload: String, sourceRevision: String?, at: Date) async throws -> SiteRevision {
        try await publishSiteRevisions([SitePublication(site: site, digest: digest, payload: payload, sourceRevision: sourceRevision)], at: at)[0]
    }
}
