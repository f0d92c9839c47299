/// A place resources live, as declared by a `kind: Site` manifest.
public struct Site: Sendable, Hashable {
    public enum SiteClass: String, Sendable, Hashable, CaseIterable, Codable {
        case cloud
        case datacenter
        case edge
    }

    public var name: String
    public var siteClass: SiteClass
    public var provider: String
    public var labels: StringMap
    public var config: Fields
    public var location: SourceLocation?

    public init(name: String, siteClass: SiteClass, provider: String, labels: StringMap = [:], config: Fields = Fields(), location: SourceLocation? = nil) {
        self.name = name
        self.siteClass = siteClass
        self.provider = provider
        self.labels = labels
        self.config = config
        self.location = location
    }
}
