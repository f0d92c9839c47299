import BallastCore
import Testing

/// Fields kept as JSON text must behave as the fields they hold: equal, hashed and read alike.
@Suite("encoded fields")
struct EncodedFieldsTests {
    private let fields = Fields(["b": .list([.int(1), .string("x\"y")]), "a": .map(Fields(["n": .null, "d": .number(1.5)]))])

    @Test func textAndParsedFieldsAreTheSame() throws {
        let parsed = EncodedFields(fields)
        let text = try #require(EncodedFields(json: parsed.json))
        let spaced = try #require(EncodedFields(json: #" { "a" : {"d":1.5, "n":null}, "b":[ 1, "x\"y" ] } "#))
        #expect(text.fields == fields)
        #expect(text == parsed)
        #expect(spaced == text, "the same fields written differently")
        #expect(Set([parsed, text, spaced]).count == 1, "equal values hash alike")
        #expect(text.json == parsed.json)
        #expect(spaced.json.hasPrefix(" {"), "text is kept as it was read")
        #expect(EncodedFields(json: #"{"a":2}"#) != text)
    }

    @Test(arguments: ["", "[]", "1", "\"{}\"", "{", "{\"a\":}", "{} {}", "{\"a\":1,}"])
    func onlyOneWellFormedObjectIsKept(_ json: String) {
        #expect(EncodedFields(json: json) == nil)
    }
}
