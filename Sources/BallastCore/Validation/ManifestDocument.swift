/// A decoded manifest document, before cross-document checks (phase one of validation).
public enum ManifestDocument: Sendable {
    /// Boxed: sites are few, and unboxed they would make every array of documents as wide
    /// as a site manifest.
    indirect case site(SiteManifest)
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
    public var labels: StringMap
    public var config: YAMLNode?
}

/// A resource document. A class, so that the hundreds of thousands a large estate holds are
/// passed around as one reference each, never copied field by field.
public final class ResourceManifest: Sendable {
    public let kind: Located<String>
    public let name: Located<String>
    public let location: SourceLocation
    public let site: Located<String>?
    public let labels: StringMap
    public let annotations: StringMap
    public let dependsOn: [Located<String>]
    public let placement: PlacementSpec?
    public let spec: SpecSource
    public let policy: Policy
    public var unplacedID: String { "\(kind.value)/\(name.value)" }

    /// An empty manifest that takes the place of one released once validation is done with it.
    static let released = ResourceManifest(
        kind: Located("", at: SourceLocation(file: 0, line: 0, column: 0)), name: Located("", at: SourceLocation(file: 0, line: 0, column: 0)),
        location: SourceLocation(file: 0, line: 0, column: 0), site: nil, labels: [:], annotations: [:], dependsOn: [],
        placement: nil, spec: .raw(nil), policy: Policy())

    public init(
        kind: Located<String>, name: Located<String>, location: SourceLocation, site: Located<String>?,
        labels: StringMap, annotations: StringMap, dependsOn: [Located<String>],
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
    public var matchLabels: StringMap?
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
