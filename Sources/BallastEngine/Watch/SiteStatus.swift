import Foundation

/// Whether a site answers, as its circuit breaker sees it.
public struct SiteStatus: Sendable, Hashable {
    public var name: String
    public var siteClass: String
    public var provider: String
    public var up: Bool
    /// Why it is down (the last error), or nil.
    public var reason: String?
    /// When `up` last changed.
    public var since: Date
    /// How many resources the manifests place on it.
    public var resources: Int

    public init(name: String, siteClass: String, provider: String, up: Bool = true, reason: String? = nil, since: Date, resources: Int = 0) {
        self.name = name
        self.siteClass = siteClass
        self.provider = provider
        self.up = up
        self.reason = reason
        self.since = since
        self.resources = resources
    }
}
