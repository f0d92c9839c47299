import BallastCore
import BallastState
import BallastEngine
import Foundation

/// The daemon's JSON documents: resource and site statuses and the manifest report. Keys are
/// sorted, lists are sorted by id or name, times are RFC 3339.
public enum StatusJSON {
    /// A resource's status (``ResourceStatus/json``).
    public static func resource(_ status: ResourceStatus) -> Value { status.json }

    public static func resources(_ statuses: [ResourceStatus]) -> Value {
        .map(Fields(["formatVersion": .int(1), "resources": .list(statuses.map(resource))]))
    }

    /// `revision`: the source revision in force (git), shown with each site.
    public static func sites(_ sites: [SiteStatus], revision: String? = nil) -> Value {
        .map(Fields(["formatVersion": .int(1), "sites": .list(sites.map { site($0, revision: revision) })]))
    }

    /// One site, as `/v1/sites` lists it.
    public static func site(_ site: SiteStatus, revision: String? = nil) -> Value {
        var fields = Fields([
            "name": .string(site.name),
            "class": .string(site.siteClass),
            "provider": .string(site.provider),
            "up": .bool(site.up),
            "reason": site.reason.map(Value.string) ?? .null,
            "since": .string(Timestamp.string(site.since)),
            "resources": .int(site.resources),
        ])
        if let agent = site.agent { fields["agent"] = Self.agent(agent) }
        fields["mode"] = .string(site.agent == nil ? "push" : "pull")
        if let revision { fields["revision"] = .string(revision) }
        return .map(fields)
    }

    /// A site read back from ``site(_:revision:)`` (another replica's answer); nil when it is not one.
    public static func decodeSite(_ value: Value) -> SiteStatus? {
        guard case .map(let fields) = value, let name = fields["name"]?.stringValue, let siteClass = fields["class"]?.stringValue,
              let provider = fields["provider"]?.stringValue, let since = fields["since"]?.stringValue.flatMap(Timestamp.parse) else { return nil }
        var site = SiteStatus(
            name: name, siteClass: siteClass, provider: provider, up: fields["up"]?.boolValue ?? true, reason: fields["reason"]?.stringValue, since: since,
            resources: fields["resources"]?.intValue ?? 0)
        if case .map(let agent)? = fields["agent"] {
            var waiting: [String] = []
            if case .list(let items)? = agent["waiting"] { waiting = items.compactMap(\.stringValue) }
            site.agent = SiteStatus.AgentSite(
                lastSeen: agent["lastSeen"]?.stringValue.flatMap(Timestamp.parse), stale: agent["stale"]?.boolValue ?? false,
                desiredGeneration: agent["desiredGeneration"]?.intValue.map(Int64.init), appliedGeneration: agent["appliedGeneration"]?.intValue.map(Int64.init),
                error: agent["error"]?.stringValue, waiting: waiting)
        }
        return site
    }

    /// A pull site's agent as the hub knows it: when it last reported and how long ago, whether
    /// it is stale, the generation published and the one applied.
    public static func agent(_ agent: SiteStatus.AgentSite, now: Date = Date()) -> Value {
        .map(Fields([
            "lastSeen": agent.lastSeen.map { .string(Timestamp.string($0, fractionalSeconds: true)) } ?? .null,
            "ageSeconds": agent.lastSeen.map { .number((now.timeIntervalSince($0) * 10).rounded() / 10) } ?? .null,
            "stale": .bool(agent.stale),
            "desiredGeneration": agent.desiredGeneration.map { .int(Int($0)) } ?? .null,
            "appliedGeneration": agent.appliedGeneration.map { .int(Int($0)) } ?? .null,
            "error": agent.error.map(Value.string) ?? .null,
            "waiting": .list(agent.waiting.map(Value.string)),
        ]))
    }

    /// The last manifest load, the deletions held, and where the manifests come from.
    public static func manifests(_ report: ManifestReport?, held: MassDeletion? = nil, source: SourceStatus? = nil, suspension: SyncSuspension? = nil) -> Value {
        guard let report else { return .map(Fields(["valid": .null])) }
        var fields = Fields([
            "valid": .bool(report.valid),
            "at": .string(Timestamp.string(report.at)),
            "inputDigest": .string(report.inputDigest),
            "diagnostics": .list(report.diagnostics.map(Value.string)),
            "resources": .int(report.resources),
            "heldDeletions": held.map(heldDeletions) ?? .null,
            "suspended": .bool(suspension != nil),
        ])
        if let suspension {
            fields["suspendedBy"] = .string(suspension.by)
            fields["suspendedAt"] = .string(Timestamp.string(suspension.at))
        }
        if let source { fields["source"] = Self.source(source) }
        if let revision = report.revision { fields["revision"] = Self.revision(revision) }
        if let held = report.heldRevision { fields["heldRevision"] = Self.revision(held) }
        return .map(fields)
    }

    public static func source(_ source: SourceStatus) -> Value {
        .map(Fields([
            "kind": .string(source.kind.rawValue),
            "location": .string(source.location),
            "ref": source.ref.map(Value.string) ?? .null,
            "paths": .list(source.paths.map(Value.string)),
            "latest": source.latest.map(revision) ?? .null,
            "checkedAt": source.checkedAt.map { .string(Timestamp.string($0)) } ?? .null,
            "error": source.error.map(Value.string) ?? .null,
            "notice": source.notice.map(Value.string) ?? .null,
        ]))
    }

    public static func revision(_ revision: SourceRevision) -> Value {
        .map(Fields([
            "commit": .string(revision.commit),
            "committedAt": revision.committedAt.map { .string(Timestamp.string($0)) } ?? .null,
            "subject": revision.subject.map(Value.string) ?? .null,
        ]))
    }

    /// Deletions over the budget, waiting for `POST /v1/reconcile {"approveDeletions": digest}`.
    public static func heldDeletions(_ mass: MassDeletion) -> Value {
        .map(Fields([
            "digest": .string(mass.digest),
            "ids": .list(mass.ids.map { .string($0.description) }),
            "limit": .int(mass.limit),
            "managed": .int(mass.managed),
            "recent": .int(mass.recent),
            "message": .string(mass.message),
        ]))
    }

}
