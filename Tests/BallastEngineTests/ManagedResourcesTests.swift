import BallastCore
@testable import BallastEngine
import BallastTesting
import Testing

/// The daemon's managed ids are a flag per declared resource plus the undeclared ids: it must
/// answer exactly as a set of every managed id would, through every change of the desired state.
@Suite("managed resources")
struct ManagedResourcesTests {
    private func id(_ number: Int, site: String = "s") -> ResourceID {
        ResourceID(kind: "Bucket", name: "b\(number)", site: site)
    }

    private func declaring(_ numbers: [Int]) -> ResourcesByID {
        ResourcesByID(numbers.map { DesiredResource(id: id($0, site: "s\($0 % 3)")) })
    }

    @Test func idsManagedBeforeTheFirstLoadAreSplitWhenItComes() {
        var managed = ManagedResources()
        managed.reset(to: [1, 2, 7].map { id($0, site: "s\($0 % 3)") })
        #expect(managed.undeclared.count == 3)
        managed.declare(declaring([1, 2, 3]))
        #expect(managed.undeclared == [id(7, site: "s1")])
        #expect(managed.contains(id(1, site: "s1")) && managed.contains(id(2, site: "s2")) && managed.contains(id(7, site: "s1")))
        #expect(!managed.contains(id(3, site: "s0")))
    }

    @Test func aManagedResourceTheManifestsDropBecomesAPruneCandidateAndComesBack() {
        var managed = ManagedResources()
        managed.declare(declaring([1, 2, 3]))
        managed.reset(to: [1, 2, 3].map { id($0, site: "s\($0 % 3)") })
        #expect(managed.undeclared.isEmpty)
        managed.declare(declaring([1, 3]))
        #expect(managed.undeclared == [id(2, site: "s2")])
        managed.declare(declaring([3, 2, 1, 4]))
        #expect(managed.undeclared.isEmpty)
        #expect([1, 2, 3].allSatisfy { managed.contains(id($0, site: "s\($0 % 3)")) })
        #expect(!managed.contains(id(4, site: "s1")))
    }

    @Test func sitesWithManagedResources() {
        var managed = ManagedResources()
        managed.declare(declaring([1, 2, 3]))
        managed.insert(id(3, site: "s0"))
        managed.insert(id(9, site: "gone"))
        #expect(managed.any(on: "s0") && managed.any(on: "gone"))
        #expect(!managed.any(on: "s1") && !managed.any(on: "s2"))
        managed.remove(id(9, site: "gone"))
        #expect(!managed.any(on: "gone"))
    }

    /// Random resets, inserts, removals and new desired states, against a plain set.
    @Test(arguments: [1, 2, 3, 4, 5])
    func answersAsASetOfEveryManagedIDWould(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var managed = ManagedResources()
        var model = Set<ResourceID>()
        var declared: [Int] = []
        let universe = (0..<40).map { id($0, site: "s\($0 % 3)") }
        for _ in 0..<400 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0:
                declared = (0..<40).filter { _ in Bool.random(using: &random) }.shuffled(using: &random)
                managed.declare(declaring(declared))
            case 1:
                model = Set(universe.filter { _ in Int.random(in: 0..<3, using: &random) == 0 })
                managed.reset(to: model.shuffled(using: &random))
            case 2...5:
                let chosen = universe.randomElement(using: &random)!
                model.insert(chosen)
                managed.insert(chosen)
            default:
                let chosen = universe.randomElement(using: &random)!
                model.remove(chosen)
                managed.remove(chosen)
            }
            for candidate in universe { #expect(managed.contains(candidate) == model.contains(candidate)) }
            let declaredIDs = Set(declared.map { id($0, site: "s\($0 % 3)") })
            #expect(managed.undeclared == model.subtracting(declaredIDs))
            for site in ["s0", "s1", "s2"] { #expect(managed.any(on: site) == model.contains { $0.site == site }) }
        }
    }
}
