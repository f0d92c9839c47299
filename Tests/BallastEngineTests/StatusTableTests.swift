import BallastCore
@testable import BallastEngine
import Foundation
import Testing

/// The status table keeps its statuses densely and moves the last one into a removed one's
/// place: every id must still find its own status, in any order of updates and removals.
@Suite("status table")
struct StatusTableTests {
    private let now = Date(timeIntervalSince1970: 1_000)

    private func id(_ number: Int, site: String = "s") -> ResourceID {
        ResourceID(kind: "Bucket", name: "b\(number)", site: site)
    }

    @Test func removalsAnywhereKeepEveryOtherStatusFindable() {
        var table = StatusTable()
        var expected: [ResourceID: Bool] = [:]
        var random = SystemRandomNumberGenerator()
        for step in 0..<2_000 {
            let target = id(Int.random(in: 0..<200, using: &random), site: step.isMultiple(of: 3) ? "t" : "s")
            if Bool.random(using: &random) || expected[target] == nil {
                let ready = Bool.random(using: &random)
                table.update(target, at: now) { $0.set(.ready, ready, reason: .created, at: now) }
                expected[target] = ready
            } else {
                table.remove(target)
                expected[target] = nil
            }
        }
        #expect(table.count == expected.count)
        for (target, ready) in expected {
            #expect(table[target]?.id == target)
            #expect(table[target]?.holds(.ready) == ready)
        }
        #expect(table.counts[.ready] == expected.values.filter { $0 }.count)
        #expect(table.sites["t"]?.resources == expected.keys.filter { $0.site == "t" }.count)
        #expect(table.ids() == expected.keys.sorted())
        #expect(table.all.map(\.id) == expected.keys.sorted())
        table.remove(id(999))
        #expect(table.count == expected.count, "removing an unknown id changes nothing")
    }

    @Test func retainDropsWhatIsNeitherDeclaredNorManaged() {
        var table = StatusTable()
        for number in 0..<10 { table.update(id(number), at: now) { $0.set(.ready, true, reason: .created, at: now) } }
        _ = table.ids()
        table.retain(declared: { [id(1), id(5)].contains($0) }, managed: { [id(2), id(9)].contains($0) })
        #expect(table.ids() == [id(1), id(2), id(5), id(9)])
        #expect(table.all.map(\.declared) == [true, false, true, false])
        #expect(table.counts[.ready] == 4)
        #expect(table[id(0)] == nil)
    }
}
