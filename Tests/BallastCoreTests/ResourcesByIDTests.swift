import BallastCore
import Testing

/// Looking resources up by their position in the state's array must answer exactly as a
/// dictionary of them did: every id finds its own resource, and no other id finds one.
@Suite("resources by id")
struct ResourcesByIDTests {
    private func resource(_ number: Int, site: String) -> DesiredResource {
        DesiredResource(id: ResourceID(kind: "Bucket", name: "b\(number)", site: site), labels: ["n": "\(number)"], layer: number % 3)
    }

    @Test func everyIDFindsItsOwnResourceAndIterationKeepsTheArraysOrder() {
        let resources = (0..<500).map { resource($0, site: $0.isMultiple(of: 2) ? "east" : "west") }
        let byID = ResourcesByID(resources)
        #expect(byID.count == 500)
        for resource in resources {
            #expect(byID[resource.id] == resource)
            #expect(byID.contains(resource.id))
        }
        #expect(byID[ResourceID(kind: "Bucket", name: "b0", site: "west")] == nil)
        #expect(!byID.contains(ResourceID(kind: "Bucket", name: "b500", site: "east")))
        #expect(Array(byID.keys) == resources.map(\.id))
        #expect(byID.map(\.key) == resources.map(\.id))
        #expect(byID.map(\.value) == resources)
        #expect(byID.mapValues(\.labels) == Dictionary(uniqueKeysWithValues: resources.map { ($0.id, $0.labels) }))
    }

    @Test func aStatesLookupMatchesADictionaryOfItsResources() {
        let resources = (0..<50).map { resource($0, site: "s") }
        let state = DesiredState(sites: [:], resources: resources)
        let dictionary = Dictionary(uniqueKeysWithValues: resources.map { ($0.id, $0) })
        let byID = state.resourcesByID
        for (id, resource) in dictionary { #expect(byID[id] == resource) }
        #expect(ResourcesByID([]).isEmpty)
        #expect(ResourcesByID([])[resources[0].id] == nil)
    }
}
