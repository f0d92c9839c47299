/// A place resources live, as declared by a `kind: Site` manifest.
public struct Site: Sendable, Hashable {
    public enum SiteClass: String, Sendable, Hashable, CaseIterable, Codable {
        case cloud
        case datacenter
        case edge
    }

    /// Who calls the site's provider.
    public enum Mode: String, Sendable, Hashable, CaseIterable, Codable {
        /// The hub (or the one process running a command) calls it: the default.
        case push
        /// The site's agent (`ballast agent`) calls it, on its own machine, from the desired
        /// state it pulls from the hub. The hub never observes, changes or deletes anything there.
        case pull

        /// The providers that only pull sites use, from each site's provider and mode: a hub
        /// may lack them (their agents have them).
        public static func providersOnlyPullSitesUse(_ sites: some Sequence<(provider: String, mode: Mode)>) -> Set<String> {
            var pulled = Set<String>()
            var pushed = Set<String>()
            for site in sites {
                if site.mode == .pull { pulled.insert(site.provider) } else { pushed.insert(site.provider) }
            }
            return pulled.subtracting(pushed)
        }
    }

    public var name: String
    public var siteClass: SiteClass
    public var provider: String
    public var labels: StringMap
    public var config: Fields
    public var mode: Mode
    /// The grid intensity and PUE that turn its resources' energy into carbon; nil when the
    /// site declares none (its resources' carbon is then unknown).
    public var carbon: SiteCarbon?
    public var location: SourceLocation?

    public init(name: String, siteClass: SiteClass, provider: String, labels: StringMap = [:], config: Fields = Fields(), mode: Mode = .push, carbon: SiteCarbon? = nil, location: SourceLocation? = nil) {
        self.carbon = carbon
        self.name = name
        self.mode = mode
        self.siteClass = siteClass
        self.provider = provider
        self.labels = labels
        self.config = config
        self.location = location
    }

    /// Whether its agent, not the hub, acts on it (``Mode/pull``).
    public var isPull: Bool { mode == .pull }
}
