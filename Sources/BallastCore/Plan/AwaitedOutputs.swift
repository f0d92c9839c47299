/// Which resources must wait for outputs that pull sites' agents have not reported: the one
/// rule `plan`, `apply` and watch mode follow.
///
/// A resource waits when it depends on a resource on a pull site whose agent has not reported
/// it yet, or on a resource that waits itself and does not exist yet. It is then neither
/// planned nor applied (nothing of it changes) until the report arrives.
public enum AwaitedOutputs {
    /// The dependency `resource` waits for, if any. `waiting` holds the resources already
    /// found waiting (in earlier dependency layers).
    public static func awaited(by resource: DesiredResource, observation: Observation, waiting: Set<ResourceID> = []) -> ResourceID? {
        for dependency in resource.dependencies {
            if observation.agentSites[dependency.site] != nil, observation.reportedOutputs[dependency] == nil { return dependency }
            if waiting.contains(dependency), observation.resources[dependency] == nil { return dependency }
        }
        return nil
    }

    /// Why a resource waits for `dependency`, as `plan`, `apply` and the status say it.
    public static func reason(_ dependency: ResourceID, observation: Observation) -> String {
        if observation.agentSites[dependency.site] != nil {
            return "waits for the outputs of \(dependency), which the agent of pull site '\(dependency.site)' has not reported"
        }
        return "waits for \(dependency), which waits for a pull site's agent"
    }
}
