import BallastCore
import Testing

/// `memberRanges` finds an object's members without building their values: each range must hold
/// exactly the member's value, whatever it contains, and a malformed object must be refused.
@Suite("JSON member ranges")
struct JSONMemberRangesTests {
    private func members(_ text: String) throws -> [(key: String, text: String)] {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            try JSONValueParser.memberRanges(buffer).map { ($0.key, String(decoding: bytes[$0.range], as: UTF8.self)) }
        }
    }

    @Test func eachRangeHoldsItsValueExactly() throws {
        let text = #"""
         { "a" : {"x":[1,2,{"y":"}"}],"z":null} , "b\"q":"va\"l\\ue}]" ,"c":-12.5e3,"d":true,"e":[],"f":{} }
        """#
        let found = try members(text)
        #expect(found.map(\.key) == ["a", "b\"q", "c", "d", "e", "f"])
        #expect(found.map(\.text) == [#"{"x":[1,2,{"y":"}"}],"z":null}"#, #""va\"l\\ue}]""#, "-12.5e3", "true", "[]", "{}"])
        for member in found {
            #expect((try? JSONValueParser.parse(member.text)) != nil, "\(member.key) parses on its own")
        }
    }

    @Test func anEmptyObjectHasNoMembers() throws {
        #expect(try members(" {} ").isEmpty)
    }

    @Test(arguments: [
        "", "[]", "\"x\"", "{", "{\"a\":1", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":[1,2}", "{\"a\":\"open}", "{\"a\":1} x", "{a:1}",
        "{\"a\":tru}", "{\"a\":{\"b\":1]}",
    ])
    func malformedObjectsAreRefused(_ text: String) {
        #expect(throws: JSONValueParser.Failure.self) { try members(text) }
    }

    @Test func deepNestingIsRefusedAsTheParserRefusesIt() {
        let deep = "{\"a\":" + String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "}"
        #expect(throws: JSONValueParser.Failure.self) { try members(deep) }
        #expect(throws: JSONValueParser.Failure.self) { try JSONValueParser.parse(deep) }
    }
}
