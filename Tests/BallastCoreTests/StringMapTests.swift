import Testing
@testable import BallastCore

@Suite("String maps and sorted fields")
struct StringMapTests {
    @Test func keepsPairsSortedAndTheLaterOfEqualKeys() {
        let map = StringMap([("tier", "gold"), ("app", "web"), ("tier", "silver")])
        #expect(map.keys == ["app", "tier"])
        #expect(map["tier"] == "silver")
        #expect(map["missing"] == nil)
        #expect(map.count == 2)
        #expect(Array(map).map { "\($0.key)=\($0.value)" } == ["app=web", "tier=silver"])
    }

    @Test func equalityIgnoresTheOrderPairsWereGivenIn() {
        #expect(StringMap([("b", "2"), ("a", "1")]) == ["a": "1", "b": "2"])
        #expect(StringMap(["b": "2", "a": "1"]) == StringMap([("a", "1"), ("b", "2")]))
        #expect(StringMap([("a", "1")]) != StringMap([("a", "2")]))
    }

    @Test func subscriptInsertsReplacesAndRemoves() {
        var map: StringMap = ["m": "1"]
        map["a"] = "0"
        map["z"] = "2"
        map["m"] = "one"
        #expect(map.keys == ["a", "m", "z"])
        #expect(map["m"] == "one")
        map["a"] = nil
        map["absent"] = nil
        #expect(map.dictionary == ["m": "one", "z": "2"])
    }

    /// Packed as lengths and bytes: lengths of one, two and three bytes, empty strings, text
    /// beyond ASCII, and separators that a delimited format would trip on all come back whole.
    @Test func anyStringsComeBackWhole() {
        let long = String(repeating: "d", count: 127) + "é" + String(repeating: "x", count: 20_000)
        let pairs = [("", "empty key"), ("annotations.description", long), ("k\u{0}", "v\u{0}\n:,"), ("ключ", "значение 🚀"), ("v", "")]
        let map = StringMap(pairs)
        #expect(map.count == pairs.count)
        #expect(Array(map).map(\.key) == pairs.map(\.0).sorted())
        for (key, value) in pairs { #expect(map[key] == value) }
        #expect(map["annotations"] == nil && map["zzz"] == nil)
        #expect(StringMap().isEmpty && StringMap().count == 0 && Array(StringMap()).isEmpty)
    }

    /// Equal as `String` compares (canonical equivalence), whatever the bytes: "é" written
    /// precomposed or as "e" and a combining accent is one label value.
    @Test func equalityAndHashingAreTheStrings() {
        let precomposed = StringMap([("café", "é")])
        let decomposed = StringMap([("cafe\u{301}", "e\u{301}")])
        #expect(precomposed == decomposed)
        #expect(precomposed.hashValue == decomposed.hashValue)
        #expect(decomposed["café"] == "e\u{301}")
        #expect(Set([precomposed, decomposed]).count == 1)
        // The Kelvin sign is canonically the letter K: a lookup finds it either way round.
        #expect(StringMap([("\u{212A}ey", "1")])["Key"] == "1")
        #expect(StringMap([("Key", "1")])["\u{212A}ey"] == "1")
    }

    /// Lookups compare ASCII keys as bytes and pass over values unread: every key is found, and
    /// every key that is not there (before, between and after them) is not, with or without
    /// keys beyond ASCII beside them.
    @Test func lookupsFindEveryKeyAndNothingElse() {
        let keys = ["", "a", "app", "app.kubernetes.io/name", "b", "zz", "ä", "ключ", "🚀"]
        let map = StringMap(keys.map { ($0, "value of \($0) " + String(repeating: "x", count: 200)) })
        for key in keys { #expect(map[key] == "value of \(key) " + String(repeating: "x", count: 200)) }
        for absent in ["0", "aa", "ap", "appz", "app.kubernetes.io", "c", "zzz", "~", "ö", "ключи", "\u{10FFFF}"] { #expect(map[absent] == nil) }
        #expect(map.count == keys.count)
    }

    @Test(arguments: [0, 1, 5, 16, 17, 40])
    func fieldsFromUniqueKeysAreSorted(count: Int) {
        // A fixed permutation (7 is coprime to every count here), far from sorted.
        let keys = (0..<count).map { "key-\(($0 * 7) % count)" }
        let fields = Fields(uniqueKeyEntries: keys.map { Fields.Entry(key: $0, value: .string($0)) })
        #expect(fields.keys == keys.sorted())
        #expect(fields.keys.allSatisfy { fields[$0] == .string($0) })
    }
}
