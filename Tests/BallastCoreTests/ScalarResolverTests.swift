import Testing
@testable import BallastCore

@Suite("YAML 1.2 core schema scalar resolution")
struct ScalarResolverTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var expected: YAMLValue.Scalar
        var reason: String
        var testDescription: String { "'\(text)': \(reason)" }
    }

    static let cases: [Case] = [
        Case(text: "", expected: .null, reason: "empty is null"),
        Case(text: "~", expected: .null, reason: "tilde is null"),
        Case(text: "null", expected: .null, reason: "null"),
        Case(text: "NULL", expected: .null, reason: "upper-case null"),
        Case(text: "nul", expected: .string("nul"), reason: "not quite null"),
        Case(text: "true", expected: .bool(true), reason: "true"),
        Case(text: "False", expected: .bool(false), reason: "capitalised false"),
        Case(text: "yes", expected: .string("yes"), reason: "YAML 1.1 bool stays a string"),
        Case(text: "no", expected: .string("no"), reason: "the Norway problem does not happen"),
        Case(text: "on", expected: .string("on"), reason: "YAML 1.1 bool stays a string"),
        Case(text: "off", expected: .string("off"), reason: "YAML 1.1 bool stays a string"),
        Case(text: "42", expected: .int(42), reason: "decimal int"),
        Case(text: "-17", expected: .int(-17), reason: "negative int"),
        Case(text: "+5", expected: .int(5), reason: "explicit plus"),
        Case(text: "0x1F", expected: .int(31), reason: "hex int"),
        Case(text: "0o17", expected: .int(15), reason: "octal int"),
        Case(text: "017", expected: .int(17), reason: "leading zero is still decimal in 1.2"),
        Case(text: "0b101", expected: .string("0b101"), reason: "binary is not core schema"),
        Case(text: "1_000", expected: .string("1_000"), reason: "underscores are not core schema"),
        Case(text: "1.5", expected: .double(1.5), reason: "float"),
        Case(text: "-.5", expected: .double(-0.5), reason: "float without leading digit"),
        Case(text: "1e3", expected: .double(1000), reason: "exponent"),
        Case(text: "2.5E-2", expected: .double(0.025), reason: "upper-case exponent"),
        Case(text: ".inf", expected: .double(.infinity), reason: "infinity"),
        Case(text: "-.Inf", expected: .double(-.infinity), reason: "negative infinity"),
        Case(text: ".NaN", expected: .double(.nan), reason: "not a number"),
        Case(text: "1.2.3", expected: .string("1.2.3"), reason: "version strings stay strings"),
        Case(text: "10.0.0.0/16", expected: .string("10.0.0.0/16"), reason: "CIDR stays a string"),
        Case(text: "-", expected: .string("-"), reason: "lone sign"),
        Case(text: ".", expected: .string("."), reason: "lone dot"),
        Case(text: "1e", expected: .string("1e"), reason: "exponent without digits"),
        Case(text: "0x", expected: .string("0x"), reason: "hex prefix alone"),
        Case(text: "0xZZ", expected: .string("0xZZ"), reason: "bad hex digits"),
    ]

    @Test(arguments: cases)
    func resolves(_ testCase: Case) {
        #expect(ScalarResolver.resolve(testCase.text) == .value(testCase.expected))
    }

    @Test func integerOverflowIsReported() {
        #expect(ScalarResolver.resolve("99999999999999999999") == .intOutOfRange)
        #expect(ScalarResolver.resolve("0xFFFFFFFFFFFFFFFFFF") == .intOutOfRange)
        #expect(ScalarResolver.resolve("-9223372036854775808") == .value(.int(Int.min)))
    }
}
