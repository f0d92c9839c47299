/// Builds a ``ResourceGraph`` from edges, reporting dependency cycles with their full path.
public struct GraphBuilder: Sendable {
    public struct Edge: Sendable, Hashable {
        public var from: ResourceID
        public var to: ResourceID

        public init(from: ResourceID, to: ResourceID) {
            self.from = from
            self.to = to
        }
    }

    private var nodes: Set<ResourceID> = []
    private var edges: [ResourceID: Set<ResourceID>] = [:]
    /// Where each edge was written (the dependsOn entry or the reference).
    private var edgeLocations: [Edge: SourceLocation] = [:]

    public init() {}

    public mutating func add(_ node: ResourceID) {
        nodes.insert(node)
    }

    /// Adds `from` depends on `to`, remembering the first place it was written.
    public mutating func addEdge(from: ResourceID, to: ResourceID, at location: SourceLocation?) {
        edges[from, default: []].insert(to)
        let edge = Edge(from: from, to: to)
        if let location, edgeLocations[edge] == nil { edgeLocations[edge] = location }
    }

    /// The graph, or nil with diagnostics when there are cycles (each reported once).
    public func build(diagnostics: inout [Diagnostic]) -> ResourceGraph? {
        // Kahn's algorithm: layer = 1 + the deepest dependency's layer.
        var remaining: [ResourceID: Int] = [:]
        var dependents: [ResourceID: [ResourceID]] = [:]
        for node in nodes { remaining[node] = 0 }
        for (from, targets) in edges {
            remaining[from] = targets.count
            for target in targets { dependents[target, default: []].append(from) }
        }
        var layers: [ResourceID: Int] = [:]
        var ready = nodes.filter { remaining[$0] == 0 }.map { ($0, 0) }
        while let (node, layer) = ready.popLast() {
            layers[node] = layer
            for dependent in dependents[node] ?? [] {
                remaining[dependent]! -= 1
                if remaining[dependent] == 0 {
                    let depth = (edges[dependent] ?? []).map { layers[$0] ?? 0 }.max() ?? 0
                    ready.append((dependent, depth + 1))
                }
            }
        }
        if layers.count < nodes.count {
            reportCycles(among: nodes.filter { layers[$0] == nil }, diagnostics: &diagnostics)
            return nil
        }
        let order = nodes.sorted { (layers[$0]!, $0) < (layers[$1]!, $1) }
        return ResourceGraph(order: order, layers: layers, dependencies: edges.mapValues { $0.sorted() })
    }

    /// Reports one cycle per strongly connected group among the unsorted nodes.
    private func reportCycles(among stuck: [ResourceID], diagnostics: inout [Diagnostic]) {
        let stuckSet = Set(stuck)
        var reported = Set<ResourceID>()
        var reportedPaths = Set<[String]>()
        for start in stuck.sorted() where !reported.contains(start) {
            guard let path = shortestCycle(from: start, within: stuckSet) else { continue }
            path.forEach { reported.insert($0) }
            // The same cycle placed on several sites is one problem: report it by unplaced names.
            let names = path.map(\.unplaced)
            let canonical = Self.canonicalRotation(names)
            guard reportedPaths.insert(canonical).inserted else { continue }
            let cycleText = (path + [path[0]]).map { names.count == Set(names).count ? $0.unplaced : $0.description }.joined(separator: " → ")
            var notes: [Diagnostic.Note] = []
            for (index, node) in path.enumerated() {
                let next = path[(index + 1) % path.count]
                notes.append(.init("\(node.unplaced) depends on \(next.unplaced) here", at: edgeLocations[Edge(from: node, to: next)]))
            }
            let first = edgeLocations[Edge(from: path[0], to: path[1 % path.count])]
            diagnostics.append(.error("dependency cycle: \(cycleText)", at: first, notes: notes))
        }
    }

    /// The shortest path start → … → start through stuck nodes (breadth-first).
    private func shortestCycle(from start: ResourceID, within stuck: Set<ResourceID>) -> [ResourceID]? {
        var previous: [ResourceID: ResourceID] = [:]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in (edges[node] ?? []).sorted() where stuck.contains(next) {
                if next == start {
                    var path = [node]
                    var current = node
                    while current != start, let before = previous[current] {
                        path.append(before)
                        current = before
                    }
                    return Array(path.reversed())
                }
                if previous[next] == nil {
                    previous[next] = node
                    queue.append(next)
                }
            }
        }
        return nil
    }

    private static func canonicalRotation(_ names: [String]) -> [String] {
        guard let smallest = names.indices.min(by: { names[$0] < names[$1] }) else { return names }
        return Array(names[smallest...] + names[..<smallest])
    }
}
