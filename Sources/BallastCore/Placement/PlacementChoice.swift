/// The choices of every count-placed manifest, gathered and applied to the desired state
/// (``PlacementChooser``).
struct PlacementChoice {
    private var dropped = Set<ResourceID>()
    private var notes: [ResourceID: String] = [:]
    private var standsInFor: [ResourceID: String] = [:]
    private var retired: [ResourceID: String] = [:]
    private var movedTo: [ResourceID: ResourceID] = [:]
    private var report = FailoverReport()

    mutating func merge(_ slots: FailoverSlots, instances: [DesiredResource]) {
        let chosen = Set(slots.chosen)
        for resource in instances where !chosen.contains(resource.id) { dropped.insert(resource.id) }
        notes.merge(slots.notes) { first, _ in first }
        standsInFor.merge(slots.standsInFor) { first, _ in first }
        retired.merge(slots.retired) { first, _ in first }
        movedTo.merge(slots.movedTo) { first, _ in first }
        report.moves += slots.report.moves
        report.impossible.merge(slots.report.impossible) { first, _ in first }
        if let after = slots.report.recheckAfter { report.recheck(after: after) }
    }

    /// `desired` with only the chosen instances; references to an instance that failed over
    /// follow its replacement; errors for references to an instance not chosen.
    func apply(to desired: DesiredState) -> (desired: DesiredState, diagnostics: [Diagnostic]) {
        var resources = desired.resources.filter { !dropped.contains($0.id) }
        for index in resources.indices {
            if let site = standsInFor[resources[index].id] { resources[index].standsInFor = site }
        }
        if !movedTo.isEmpty, let followed = Self.follow(resources, movedTo: movedTo) { resources = followed }
        var diagnostics: [Diagnostic] = []
        for resource in resources {
            for dependency in resource.dependencies where dropped.contains(dependency) {
                let reference = resource.referenceTargets.filter { $0.value == dependency }.keys.min() ?? dependency.description
                diagnostics.append(.error("\(resource.id) refers to \(reference) on site '\(dependency.site)', but placement did not choose that site for \(dependency.kind)/\(dependency.name); refer to it by its site (\(dependency.kind)/\(dependency.name)@SITE) on one that is chosen", at: resource.location))
            }
        }
        var result = desired
        result.resources = resources
        result.placementNotes = notes
        result.retiredInstances = retired
        result.failover = report
        return (result, diagnostics)
    }

    /// The resources with their references (and dependencies) to a moved instance pointing at
    /// the instance that now serves, in a new (layer, id) order; nil when that would make a
    /// cycle, and references then stay where they were.
    static func follow(_ resources: [DesiredResource], movedTo: [ResourceID: ResourceID]) -> [DesiredResource]? {
        var result = resources
        var changed = false
        for index in result.indices where result[index].dependencies.contains(where: { movedTo[$0] != nil }) {
            let own = "\(result[index].id.kind)/\(result[index].id.name)"
            // An instance of the moved manifest itself never follows its own kind's moves.
            result[index].dependencies = Array(Set(result[index].dependencies.map { dependency in
                "\(dependency.kind)/\(dependency.name)" == own ? dependency : movedTo[dependency] ?? dependency
            })).sorted()
            result[index].referenceTargets = result[index].referenceTargets.mapValues { movedTo[$0] ?? $0 }
            changed = true
        }
        guard changed else { return resources }
        let position = Dictionary(uniqueKeysWithValues: result.enumerated().map { ($1.id, $0) })
        let ids = result.map(\.id)
        var graph = GraphBuilder(count: result.count) { ids[$0] }
        for (index, resource) in result.enumerated() {
            for dependency in resource.dependencies {
                if let target = position[dependency] { graph.addEdge(from: index, to: target, at: nil) }
            }
        }
        var problems: [Diagnostic] = []
        guard let layers = graph.layers(diagnostics: &problems) else { return nil }
        for index in result.indices { result[index].layer = layers[index] }
        result.sort { ($0.layer, $0.id) < ($1.layer, $1.id) }
        return result
    }
}
