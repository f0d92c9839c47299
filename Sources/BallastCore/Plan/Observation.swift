/// What observing the sites found: the resources that exist, and the sites that could not
/// be observed (with why).
public struct Observation: Sendable {
    public var resources: ResourceTable<Observed>
    public var unavailableSites: [String: String]
    /// Pull sites, never observed by this process: their agents act on them. Each with what is
    /// known of its agent (its last report and how old it is).
    public var agentSites: [String: String] = [:]
    /// What pull sites' agents last reported of each resource (`Ready`, or why not), as of the
    /// report ``agentSites`` describes.
    public var agentReported: [ResourceID: String] = [:]
    /// The outputs pull sites' agents last reported, one entry per resource an agent has applied
    /// (empty when it has none): they fill references from resources on other sites. A resource
    /// on a pull site with no entry has not been reported yet.
    public var reportedOutputs: [ResourceID: Fields] = [:]

    public init(resources: ResourceTable<Observed> = [:], unavailableSites: [String: String] = [:]) {
        self.resources = resources
        self.unavailableSites = unavailableSites
    }
}
