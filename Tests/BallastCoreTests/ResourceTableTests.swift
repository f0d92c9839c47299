import BallastCore
import Testing

/// A resource table must answer as a dictionary of the same entries does, whatever order its
/// O(1) removals leave the entries in.
@Suite("resource table")
struct ResourceTableTests {
    private func id(_ number: Int) -> ResourceID {
        ResourceID(kind: "Bucket", name: "b\(number)", site: number.isMultiple(of: 3) ? "east" : "west")
    }

    /// Random puts, overwrites and removals, each checked against a dictionary given the same.
    @Test func answersAsADictionaryThroughPutsAndRemovals() {
        var table = ResourceTable<Int>()
        var dictionary: [ResourceID: Int] = [:]
        var random = SystemRandomNumberGenerator()
        for step in 0..<5_000 {
            let key = id(Int.random(in: 0..<400, using: &random))
            switch Int.random(in: 0..<3, using: &random) {
            case 0:
                #expect(table.removeValue(forKey: key) == dictionary.removeValue(forKey: key))
            case 1:
                table[key] = nil
                dictionary[key] = nil
            default:
                table[key] = step
                dictionary[key] = step
            }
            #expect(table.count == dictionary.count)
            #expect(table[key] == dictionary[key])
            #expect(table.contains(key) == (dictionary[key] != nil))
        }
        #expect(Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0.value) }) == dictionary)
        #expect(Set(table.keys) == Set(dictionary.keys))
        #expect(table.values.sorted() == dictionary.values.sorted())
        #expect(Array(table.keys).count == table.values.count)
        for (key, value) in zip(table.keys, table.values) { #expect(dictionary[key] == value) }
    }

    @Test func removingFromTheMiddleKeepsEveryOtherEntry() {
        var table = ResourceTable<String>(minimumCapacity: 10)
        for number in 0..<10 { table[id(number)] = "v\(number)" }
        #expect(table.removeValue(forKey: id(3)) == "v3")
        #expect(table.removeValue(forKey: id(3)) == nil)
        table[id(0)] = nil
        #expect(table.count == 8)
        for number in [1, 2, 4, 5, 6, 7, 8, 9] { #expect(table[id(number)] == "v\(number)") }
        #expect(table[id(0)] == nil && table[id(3)] == nil)
    }

    @Test func equalityAndHashingIgnoreTheOrderOfEntries() {
        var forward = ResourceTable<Int>()
        var backward = ResourceTable<Int>()
        for number in 0..<20 { forward[id(number)] = number }
        for number in (0..<20).reversed() { backward[id(number)] = number }
        #expect(forward == backward)
        #expect(forward.hashValue == backward.hashValue)
        backward[id(7)] = 70
        #expect(forward != backward)
        backward[id(7)] = 7
        backward[id(20)] = 20
        #expect(forward != backward)
        #expect(ResourceTable<Int>() == ResourceTable<Int>())
    }

    @Test func updateEachChangesEveryValueInPlace() {
        var table = ResourceTable<Int>()
        for number in 0..<30 { table[id(number)] = number }
        table.removeValue(forKey: id(4))
        table.updateEach { key, value in value = key.site == "east" ? -value : value }
        for number in 0..<30 where number != 4 {
            #expect(table[id(number)] == (number.isMultiple(of: 3) ? -number : number))
        }
        #expect(table.count == 29)
    }

    @Test func mergingKeepsTheValuesAlreadyHereAndAddsTheRest() {
        var table: ResourceTable<String> = [id(1): "here", id(2): "here"]
        table.mergeKeepingExisting([id(2): "other", id(3): "other"])
        #expect(table == ResourceTable(uniqueKeysWithValues: [(id(1), "here"), (id(2), "here"), (id(3), "other")]))
        #expect(table.mapValues { $0.count } == [id(1): 4, id(2): 4, id(3): 5])
    }
}
