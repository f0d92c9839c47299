/// Renders the dependency graph as text, Graphviz DOT or JSON; always in (layer, id) order.
public enum GraphRenderer {
    public static func text(_ state: DesiredState) -> String {
        var out = ""
        let graph = state.graph
        var currentLayer = -1
        for id in graph.order {
            let layer = graph.layers[id] ?? 0
            if layer != currentLayer {
                out += "layer \(layer):\n"
                currentLayer = layer
            }
            let dependencies = graph.dependencies[id] ?? []
            out += "  \(id)" + (dependencies.isEmpty ? "" : " ← " + dependencies.map(\.description).joined(separator: ", ")) + "\n"
        }
        return out
    }

    public static func dot(_ state: DesiredState) -> String {
        let graph = state.graph
        var out = "digraph ballast {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n"
        for (site, resources) in Dictionary(grouping: graph.order, by: \.site).sorted(by: { $0.key < $1.key }) {
            let label = state.sites[site].map { "\(site) (\($0.siteClass.rawValue))" } ?? site
            out += "  subgraph \(JSONText.quote("cluster_" + site)) {\n    label=\(JSONText.quote(label));\n"
            for id in resources { out += "    \(JSONText.quote(id.description));\n" }
            out += "  }\n"
        }
        for id in graph.order {
            for dependency in graph.dependencies[id] ?? [] {
                out += "  \(JSONText.quote(id.description)) -> \(JSONText.quote(dependency.description));\n"
            }
        }
        out += "}\n"
        return out
    }

    public static func json(_ state: DesiredState) -> Value {
        let graph = state.graph
        return .map(Fields([
            "formatVersion": .int(1),
            "nodes": .list(graph.order.map { id in
                .map(Fields([
                    "id": .string(id.description),
                    "layer": .int(graph.layers[id] ?? 0),
                    "dependsOn": .list((graph.dependencies[id] ?? []).map { .string($0.description) }),
                ]))
            }),
        ]))
    }
}
