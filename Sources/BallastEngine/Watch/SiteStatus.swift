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
    /// For a pull site: what is known of its agent. Nil for a site the hub calls itself.
    public var agent: AgentSite?

    /// A pull site's agent, as the hub knows it.
    public struct AgentSite: Sendable, Hashable {
        /// When its last report arrived (the hub's clock); nil when none has since the hub started.
        public var lastSeen: Date?
        /// No report for three heartbeats (``AgentHub/Configuration/staleAfter``): what the hub
        /// shows of the site may be out of date.
        public var stale: Bool
        /// The generation the hub published last, and the one the agent says it applied.
        public var desiredGeneration: Int64?
        public var appliedGeneration: Int64?
        /// What the agent reported went wrong.
        public var error: String?
        /// Why the hub holds the site's next desired state back.
        public var waiting: [String]

        public init(lastSeen: Date?, stale: Bool, desiredGeneration: Int64?, appliedGeneration: Int64?, error: String?, waiting: [String]) {
            self.lastSeen = lastSeen
            self.stale = stale
            self.desiredGeneration = desiredGeneration
            self.appliedGeneration = appliedGeneration
            self.error = error
            self.waiting = waiting
        }
    }

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
