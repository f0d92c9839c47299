/// A decoded manifest document, before cross-document checks (phase one of validation).
public enum ManifestDocument: Sendable {
    case site(SiteManifest)
    case resource(ResourceManifest)
}

/// A name as written, with where it was written.
public struct Located<Wrapped: Sendable & Hashable>: Sendable, Hashable {
    public var value: Wrapped
    public var location: SourceLocation

    public init(_ value: Wrapped, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// A `kind: Site` document.
public struct SiteManifest: Sendable {
    public var name: Located<String>
    public var location: SourceLocation
    public var siteClass: Site.SiteClass
    public var provider: Located<String>
    public var labels: [String: String]
    public var config: YAMLNode?
}

/// A resource document. A class, so that the hundreds of thousands a large estate holds are
/// passed around as one reference each, never copied field by field.
public final class ResourceManifest: Sendable {
    public let kind: Located<String>
    public let name: Located<String>
    public let location: SourceLocation
    public let site: Located<String>?
    public let labels: [String: String]
    public let annotations: [String: String]
    public let dependsOn: [Located<String>]
    public let placement: PlacementSpec?
    public let spec: SpecSource
    public let policy: Policy
    public var unplacedID: String { "\(kind.value)/\(name.value)" }

    public init(
        kind: Located<String>, name: Located<String>, location: SourceLocation, site: Located<String>?,
        labels: [String: String], annotations: [String: String], dependsOn: [Located<String>],
        placement: PlacementSpec?, spec: SpecSource, policy: Policy
    ) {
        self.kind = kind
        self.name = name
        self.location = location
        self.site = site
        self.labels = labels
        self.annotations = annotations
        self.dependsOn = dependsOn
        self.placement = placement
        self.spec = spec
        self.policy = policy
    }
}

/// `spec.placement`: which sites one manifest expands onto.
public struct PlacementSpec: Sendable {
    public var location: SourceLocation
    public var sites: [Located<String>]?
    public var matchLabels: [String: String]?
    public var failover: Bool
}

/// A resource's spec: validated in phase one when only one provider serves the kind,
/// otherwise kept as YAML until the site (and so the provider) is known.
public enum SpecSource: Sendable {
    case validated(provider: String, ValidatedSpec)
    case raw(YAMLNode?)
}

/// A spec checked against a kind's schema.
public struct ValidatedSpec: Sendable {
    public var fields: Fields
    public var sensitivePaths: Set<String>
    /// Every `${…}` reference, with the spec path and position it was written at.
    public var references: [LocatedReference]
    public var templatePaths: [String]
}

public struct LocatedReference: Sendable, Hashable {
    public var expression: ReferenceExpression
    public var path: String
    public var location: SourceLocation
}
