import Testing
@testable import BallastCore

/// The structures that keep 100k manifests small: interned strings and index tables.
@Suite("Interned strings and index tables")
struct SharedStorageTests {
    private func intern(_ text: String, into interner: inout StringInterner) -> String {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBufferPointer { interner.string(UnsafeBufferPointer($0)) }
    }

    private func storage(_ text: String) -> UnsafeRawPointer? {
        var copy = text
        return copy.withUTF8 { UnsafeRawPointer($0.baseAddress) }
    }

    @Test func repeatedLongStringsShareOneCopy() {
        var interner = StringInterner()
        let first = intern("search@example.com", into: &interner)
        let again = intern("search@example.com", into: &interner)
        let other = intern("search@example.org", into: &interner)
        #expect(first == "search@example.com" && again == first && other == "search@example.org")
        #expect(storage(first) == storage(again))
        #expect(storage(first) != storage(other))
    }

    @Test func everyStringComesBackIntactWhileTheTableGrows() {
        var interner = StringInterner()
        let texts = (0..<5_000).map { "registry.example.com/service-\($0 % 1_700):1.\($0 % 1_700 % 7).0" }
        let first = texts.map { intern($0, into: &interner) }
        let second = texts.map { intern($0, into: &interner) }
        #expect(first == texts)
        #expect(second == texts)
        #expect(zip(first, second).allSatisfy { storage($0) == storage($1) })
        // Equal texts met first at different times are one copy as well.
        #expect(storage(first[0]) == storage(first[1_700]))
    }

    @Test func shortAndOverlongStringsAreDecodedAsGiven() {
        var interner = StringInterner()
        let long = String(repeating: "x", count: StringInterner.maximumLength + 1)
        #expect(intern("", into: &interner) == "")
        #expect(intern("fifteen-bytes!!", into: &interner) == "fifteen-bytes!!")
        #expect(intern("ünïcödé-välüé-ïs-lönger", into: &interner) == "ünïcödé-välüé-ïs-lönger")
        #expect(intern(long, into: &interner) == long)
        let once = intern(long, into: &interner)
        let twice = intern(long, into: &interner)
        #expect(storage(once) != storage(twice))
    }

    @Test func aFullInternerStillDecodesNewStrings() {
        var interner = StringInterner()
        let count = StringInterner.maximumEntries + 10
        let texts = (0..<count).map { "unique-value-number-\($0)" }
        #expect(texts.map { intern($0, into: &interner) } == texts)
        #expect(intern(texts[count - 1], into: &interner) == texts[count - 1])
    }

    @Test func indexTableFindsPositionsByKeyAndMissesOthers() {
        let keys = (0..<3_000).map { "Network/net-\($0 % 2_000)" }
        var table = IndexTable(capacity: keys.count)
        var firsts: [Int] = []
        for (position, key) in keys.enumerated() {
            if let first = table.first(hash: key.hashValue, where: { keys[$0] == key }) {
                firsts.append(first)
            } else {
                table.add(position, hash: key.hashValue)
            }
        }
        // Positions 2000..<3000 repeat the keys of 0..<1000 and find those.
        #expect(firsts == Array(0..<1_000))
        #expect(table.first(hash: "Network/net-1999".hashValue) { keys[$0] == "Network/net-1999" } == 1_999)
        #expect(table.first(hash: "Network/other".hashValue) { keys[$0] == "Network/other" } == nil)
        // Every key hashed to one slot still finds its own position.
        var crowded = IndexTable(capacity: 50)
        for position in 0..<50 { crowded.add(position, hash: 7) }
        #expect((0..<50).allSatisfy { position in crowded.first(hash: 7) { $0 == position } == position })
    }
}
