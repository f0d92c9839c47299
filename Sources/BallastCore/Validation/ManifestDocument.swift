import Synchronization

/// A decoded manifest document, before cross-document checks (phase one of validation).
public enum ManifestDocument: Sendable {
    /// Boxed: sites are few, and unboxed they would make every array of documents as wide
    /// as a site manifest.
    indirect case site(SiteManifest)
    case resource(ResourceManifest)
    /// At most one per estate.
    indirect case estate(EstateManifest)
    /// Prices and power for the kinds on the sites it covers.
    indirect case priceBook(PriceBook)
    /// A monthly limit on cost or carbon.
    indirect case budget(Budget)
}

/// A `kind: Estate` document: settings for the whole estate, such as its default policy.
public struct EstateManifest: Sendable {
    public var name: Located<String>
    public var location: SourceLocation
    public var policyDefaults: PolicyDefaults
    /// Where `spec.policy.preventDestroy` is written, for the errors a default causes.
    public var preventDestroyAt: SourceLocation?
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
    public var mode: Site.Mode = .push
    public var carbon: SiteCarbon?
}

/// A resource document. A class, so that the hundreds of thousands a large estate holds are
/// passed around as one reference each, never copied field by field.
///
/// Stored compactly (148 bytes where plain properties took 250): the three positions kept
/// share one file index, and `dependsOn`, `placement` and a non-default `policy`, which few
/// manifests have, live in a box of their own that most manifests go without.
public final class ResourceManifest: Sendable {
    private struct Mark: Sendable {
        var line: UInt32
        var column: UInt32

        init(_ location: SourceLocation) {
            line = location.line
            column = location.column
        }
    }

    private final class Extras: Sendable {
        let dependsOn: [Located<String>]
        let placement: PlacementSpec?
        let policy: Policy
        let policyWritten: PolicyDefaults.Settings
        let preventDestroyAt: SourceLocation?

        init(dependsOn: [Located<String>], placement: PlacementSpec?, policy: Policy, policyWritten: PolicyDefaults.Settings, preventDestroyAt: SourceLocation?) {
            self.dependsOn = dependsOn
            self.placement = placement
            self.policy = policy
            self.policyWritten = policyWritten
            self.preventDestroyAt = preventDestroyAt
        }
    }

    private let kindText: String
    private let nameText: String
    private let siteText: String?
    public let labels: StringMap
    public let annotations: StringMap
    public let spec: SpecSource
    private let extras: Extras?
    private let file: UInt32
    private let documentMark: Mark
    private let nameMark: Mark
    private let siteMark: Mark

    /// The kind (where it was written is only needed while decoding).
    public var kind: String { kindText }
    public var name: Located<String> { Located(nameText, at: at(nameMark)) }
    /// Where the document starts.
    public var location: SourceLocation { at(documentMark) }
    public var site: Located<String>? { siteText.map { Located($0, at: at(siteMark)) } }
    public var dependsOn: [Located<String>] { extras?.dependsOn ?? [] }
    public var placement: PlacementSpec? { extras?.placement }
    /// The policy as written: settings left out have their built-in values (see ``policyWritten``).
    public var policy: Policy { extras?.policy ?? Policy() }
    /// Which policy settings the manifest wrote; the others take the estate's defaults.
    public var policyWritten: PolicyDefaults.Settings { extras?.policyWritten ?? [] }
    /// Where `policy.preventDestroy` is written, for the errors it causes.
    public var preventDestroyLocation: SourceLocation? { extras?.preventDestroyAt }
    public var unplacedID: String { "\(kindText)/\(nameText)" }

    /// An empty manifest that takes the place of one released once validation is done with it.
    static let released = ResourceManifest(
        kind: "", name: Located("", at: SourceLocation(file: 0, line: 0, column: 0)),
        location: SourceLocation(file: 0, line: 0, column: 0), site: nil, labels: [:], annotations: [:], dependsOn: [],
        placement: nil, spec: .raw(RawSpec(nil)), policy: Policy())

    /// Every location must be in the same file (they are all in one document). Where the kind
    /// was written is only needed while decoding, so it is not taken.
    public init(
        kind: String, name: Located<String>, location: SourceLocation, site: Located<String>?,
        labels: StringMap, annotations: StringMap, dependsOn: [Located<String>],
        placement: PlacementSpec?, spec: SpecSource, policy: Policy, policyWritten: PolicyDefaults.Settings = [], preventDestroyAt: SourceLocation? = nil
    ) {
        precondition(name.location.file == location.file && (site?.location.file ?? location.file) == location.file,
                     "a manifest's positions are all in its own file")
        kindText = kind
        nameText = name.value
        siteText = site?.value
        self.labels = labels
        self.annotations = annotations
        self.spec = spec
        extras = dependsOn.isEmpty && placement == nil && policy == Policy() && policyWritten.isEmpty
            ? nil : Extras(dependsOn: dependsOn, placement: placement, policy: policy, policyWritten: policyWritten, preventDestroyAt: preventDestroyAt)
        file = location.file
        documentMark = Mark(location)
        nameMark = Mark(name.location)
        siteMark = Mark(site?.location ?? location)
    }

    private func at(_ mark: Mark) -> SourceLocation {
        SourceLocation(file: file, line: mark.line, column: mark.column)
    }
}

/// `spec.placement`: which sites one manifest expands onto.
public struct PlacementSpec: Sendable {
    public var location: SourceLocation
    public var sites: [Located<String>]?
    public var matchLabels: StringMap?
    public var failover: Bool
    /// Where `failover` is written, for the error on a kind that cannot move.
    public var failoverAt: SourceLocation?
    /// `count: N`: N of the matching sites, not all of them (``PlacementChooser``).
    public var count: Located<Int>?
    public var prefer: CountPlacement.Preference?
    /// `failoverAfter` and `failback`, defaulted when not written.
    public var failoverAfter = CountPlacement.Failover.defaultAfter
    public var failback = CountPlacement.Failover.Failback.auto
}

/// A resource's spec: validated in phase one when only one provider serves the kind,
/// otherwise kept as YAML until the site (and so the provider) is known.
public enum SpecSource: Sendable {
    /// Checked against the schema of the one provider that serves the kind: any site the
    /// resource can be placed on has that provider.
    case validated(ValidatedSpec)
    case raw(RawSpec)
}

/// The YAML of a spec whose provider is known only once the manifest is placed.
///
/// Validation reads it for each of the manifest's sites and then releases it: kept, the
/// trees of every manifest of a kind that several providers serve would stay in memory next
/// to their validated specs. A manifest's documents are validated once.
public final class RawSpec: Sendable {
    private enum State {
        case kept(YAMLNode?)
        case released
    }

    private let state: Mutex<State>

    public init(_ node: YAMLNode?) {
        state = Mutex(.kept(node))
    }

    /// The spec as written (nil when the manifest has none).
    public var node: YAMLNode? {
        state.withLock { state -> YAMLNode? in
            guard case .kept(let node) = state else { preconditionFailure("a manifest's raw spec was read after validation released it; decode the documents again to validate them again") }
            return node
        }
    }

    /// Frees the YAML once every site's provider has validated it.
    func release() {
        state.withLock { $0 = .released }
    }
}

/// A spec checked against a kind's schema.
public struct ValidatedSpec: Sendable {
    public var fields: Fields
    public var sensitivePaths: Set<String>
    /// Every `${…}` reference, with the spec path and position it was written at.
    public var references: [LocatedReference]
    public var templatePaths: [String]
    /// Where fields that load a file (a host File's `source`) are written, so that an error
    /// about the file points at the field.
    public var fileFieldLocations: [String: SourceLocation] = [:]
}

public struct LocatedReference: Sendable, Hashable {
    public var expression: ReferenceExpression
    public var path: String
    public var location: SourceLocation
}
