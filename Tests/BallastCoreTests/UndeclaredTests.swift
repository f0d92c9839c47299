import BallastCore
import Foundation
import Testing

/// The managed resources no manifest declares (the prune candidates), counted on every core
/// for large estates: the same answer as a plain set difference, whatever the size.
@Suite("undeclared resources")
struct UndeclaredTests {
    private func id(_ number: Int) -> ResourceID { ResourceID(kind: "Bucket", name: "b\(number)", site: "s\(number % 3)") }

    private func inventory(_ numbers: some Sequence<Int>) -> Inventory {
        Inventory(uniqueKeysWithValues: numbers.map { InventoryEntry(id: id($0), spec: Fields(), specDigest: "", createdAt: Date(), updatedAt: Date()) }.map { ($0.id, $0) })
    }

    @Test(arguments: [10, 20_000], [1, 4])
    func onlyWhatNoManifestDeclaresIsUndeclared(size: Int, parallelism: Int) {
        let declared = (0..<size).map { DesiredResource(id: id($0)) }
        #expect(Planner.undeclared(inventory(0..<size), declared: declared, parallelism: parallelism).isEmpty)
        #expect(Planner.undeclared(Inventory(), declared: declared).isEmpty)
        // Managed and gone from the manifests: the first, the last and one past the end.
        let managed = inventory(Array(0..<size) + [size, size + 7])
        let kept = Array(declared.dropFirst().dropLast())
        let expected = [id(0), id(size - 1), id(size), id(size + 7)].sorted()
        #expect(Planner.undeclared(managed, declared: kept, parallelism: parallelism) == expected)
        // Declared but not managed yet changes nothing.
        #expect(Planner.undeclared(managed, declared: kept + (size + 100..<size + 110).map { DesiredResource(id: id($0)) }, parallelism: parallelism) == expected)
    }
}
