import BallastCore
import BallastEngine
import Foundation

/// The daemon's JSON documents: resource and site statuses and the manifest report. Keys are
/// sorted, lists are sorted by id or name, times are RFC 3339.
public enum StatusJSON {
    public static func resource(_ status: ResourceStatus) -> Value {
        var fields = Fields([
            "id": .string(status.id.description),
            "kind": .string(status.id.kind),
            "name": .string(status.id.name),
            "site": .string(status.id.site),
            "declared": .bool(status.declared),
            "lastReconciled": status.lastReconciled.map { .string(Timestamp.string($0, fractionalSeconds: true)) } ?? .null,
            "conditions": .list(ResourceCondition.Kind.allCases.map { kind in
                let condition = status[kind]
                return .map(Fields([
                    "type": .string(kind.rawValue),
                    "status": .string(condition.statusText),
                    "reason": .string(condition.reason.rawValue),
                    "message": .string(condition.message),
                    "lastTransitionTime": .string(Timestamp.string(condition.lastTransitionTime, fractionalSeconds: true)),
                ]))
            }),
        ])
        if let revision = status.revision { fields["revision"] = .string(revision) }
        return .map(fields)
    }

    public static func resources(_ statuses: [ResourceStatus]) -> Value {
        .map(Fields(["formatVersion": .int(1), "resources": .list(statuses.map(resource))]))
    }

    /// `revision`: the source revision in force (git), shown with each site.
    public static func sites(_ sites: [SiteStatus], revision: String? = nil) -> Value {
        .map(Fields([
            "formatVersion": .int(1),
            "sites": .list(sites.map { site in
                var fields = Fields([
                    "name": .string(site.name),
                    "class": .string(site.siteClass),
                    "provider": .string(site.provider),
                    "up": .bool(site.up),
                    "reason": site.reason.map(Value.string) ?? .null,
                    "since": .string(Timestamp.string(site.since)),
                    "resources": .int(site.resources),
                ])
                if let revision { fields["revision"] = .string(revision) }
                return .map(fields)
            }),
        ]))
    }

    /// The last manifest load, the deletions held, and where the manifests come from.
    public static func manifests(_ report: ManifestReport?, held: MassDeletion? = nil, source: SourceStatus? = nil, suspended: Bool = false) -> Value {
        guard let report else { return .map(Fields(["valid": .null])) }
        var fields = Fields([
            "valid": .bool(report.valid),
            "at": .string(Timestamp.string(report.at)),
            "inputDigest": .string(report.inputDigest),
            "diagnostics": .list(report.diagnostics.map(Value.string)),
            "resources": .int(report.resources),
            "heldDeletions": held.map(heldDeletions) ?? .null,
            "suspended": .bool(suspended),
        ])
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
