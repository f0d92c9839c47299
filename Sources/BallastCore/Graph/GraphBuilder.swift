/// Builds the dependency DAG, reporting cycles with their full path.
///
/// Nodes are numbered as they are added and edges kept in arrays, so building the graph of
/// 100k resources never hashes a ``ResourceID`` twice.
public struct GraphBuilder: Sendable {
    /// The ids of nodes added by id; empty when the ids are looked up through `externalID`.
    private var nodes: [ResourceID] = []
    private var indexByID: [ResourceID: Int] = [:]
    /// The ids of nodes the caller numbered and keeps (see ``init(count:id:)``).
    private let externalID: (@Sendable (Int) -> ResourceID)?
    /// edges[from] = the nodes `from` depends on (unique).
    private var edges: [[Int]] = []
    /// Where each edge was first written, keyed by `from << 32 | to`.
    private var edgeLocations: [Int: SourceLocation] = [:]

    public init() {
        externalID = nil
    }

    /// A graph of the nodes `0..<count`, whose ids the caller already holds: they are looked
    /// up through `id` only to report cycles, never copied. Edges are added by index.
    public init(count: Int, id: @escaping @Sendable (Int) -> ResourceID) {
        externalID = id
        edges = Array(repeating: [], count: count)
    }

    public var count: Int { edges.count }

    private func id(_ node: Int) -> ResourceID {
        externalID?(node) ?? nodes[node]
    }

    /// Adds a node and returns its index (an id added twice keeps its first index).
    @discardableResult
    public mutating func add(_ node: ResourceID) -> Int {
        precondition(externalID == nil, "a graph of caller-numbered nodes takes edges by index")
        if let index = indexByID[node] { return index }
        nodes.append(node)
        edges.append([])
        indexByID[node] = nodes.count - 1
        return nodes.count - 1
    }

    /// Adds `from` depends on `to`, by index, remembering the first place it was written.
    public mutating func addEdge(from: Int, to: Int, at location: SourceLocation?) {
        if !edges[from].contains(to) { edges[from].append(to) }
        let key = from << 32 | to
        if let location, edgeLocations[key] == nil { edgeLocations[key] = location }
    }

    /// Adds `from` depends on `to`, by id (both are added if new).
    public mutating func addEdge(from: ResourceID, to: ResourceID, at location: SourceLocation?) {
        let fromIndex = add(from)
        let toIndex = add(to)
        addEdge(from: fromIndex, to: toIndex, at: location)
    }

    /// The topological layer of every node (by index), or nil with one diagnostic per cycle.
    public func layers(diagnostics: inout [Diagnostic]) -> [Int]? {
        // Kahn's algorithm: a node's layer is one more than its deepest dependency's.
        var remaining = edges.map(\.count)
        var dependents = Array(repeating: [Int](), count: count)
        for (from, targets) in edges.enumerated() {
            for target in targets { dependents[target].append(from) }
        }
        var layers = Array(repeating: -1, count: count)
        var ready: [Int] = []
        for index in edges.indices where remaining[index] == 0 {
            layers[index] = 0
            ready.append(index)
        }
        var done = 0
        while let node = ready.popLast() {
            done += 1
            for dependent in dependents[node] {
                layers[dependent] = max(layers[dependent], layers[node] + 1)
                remaining[dependent] -= 1
                if remaining[dependent] == 0 { ready.append(dependent) }
            }
        }
        if done < count {
            reportCycles(among: edges.indices.filter { remaining[$0] > 0 }, diagnostics: &diagnostics)
            return nil
        }
        return layers
    }

    /// The whole graph, or nil with diagnostics when there are cycles.
    public func build(diagnostics: inout [Diagnostic]) -> ResourceGraph? {
        guard let layers = layers(diagnostics: &diagnostics) else { return nil }
        var dependencies: [ResourceID: [ResourceID]] = [:]
        var layerByID: [ResourceID: Int] = [:]
        for index in edges.indices {
            let node = id(index)
            layerByID[node] = layers[index]
            dependencies[node] = edges[index].map { id($0) }.sorted()
        }
        let order = edges.indices.sorted { (layers[$0], id($0)) < (layers[$1], id($1)) }.map { id($0) }
        return ResourceGraph(order: order, layers: layerByID, dependencies: dependencies)
    }

    /// Reports one cycle per group of nodes stuck on each other.
    private func reportCycles(among stuck: [Int], diagnostics: inout [Diagnostic]) {
        let stuckSet = Set(stuck)
        var reported = Set<Int>()
        var reportedPaths = Set<[String]>()
        for start in stuck.sorted(by: { id($0) < id($1) }) where !reported.contains(start) {
            guard let path = shortestCycle(from: start, within: stuckSet) else { continue }
            path.forEach { reported.insert($0) }
            let ids = path.map { id($0) }
            // The same cycle placed on several sites is one problem: report it by unplaced names.
            let names = ids.map(\.unplaced)
            guard reportedPaths.insert(Self.canonicalRotation(names)).inserted else { continue }
            let distinct = names.count == Set(names).count
            let cycleText = (ids + [ids[0]]).map { distinct ? $0.unplaced : $0.description }.joined(separator: " → ")
            var notes: [Diagnostic.Note] = []
            for (offset, node) in path.enumerated() {
                let next = path[(offset + 1) % path.count]
                notes.append(.init("\(id(node).unplaced) depends on \(id(next).unplaced) here", at: edgeLocations[node << 32 | next]))
            }
            let first = edgeLocations[path[0] << 32 | path[1 % path.count]]
            diagnostics.append(.error("dependency cycle: \(cycleText)", at: first, notes: notes))
        }
    }

    /// The shortest path start → … → start through stuck nodes (breadth-first).
    private func shortestCycle(from start: Int, within stuck: Set<Int>) -> [Int]? {
        var previous: [Int: Int] = [:]
        var queue = [start]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for next in edges[node].sorted(by: { id($0) < id($1) }) where stuck.contains(next) {
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
