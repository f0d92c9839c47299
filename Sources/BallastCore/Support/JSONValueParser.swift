/// Parses JSON text into a ``Value``; numbers without a fraction or exponent become ints.
public struct JSONValueParser {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Valid only during one `parse` call, which owns the bytes for its duration.
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> Value {
        try bytes.withUnsafeBufferPointer { buffer throws(Failure) in try parse(buffer) }
    }

    /// Parses bytes in place (a line of a larger buffer, without copying it out).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> Value {
        var parser = JSONValueParser(bytes: bytes)
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
        return value
    }

    public static func parse(_ text: String) throws(Failure) -> Value {
        var text = text
        let result = text.withUTF8 { buffer in Result { () throws(Failure) in try parse(buffer) } }
        return try result.get()
    }

    /// Whether `bytes` hold exactly one well-formed JSON object, checked without building it.
    public static func isObject(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var parser = JSONValueParser(bytes: bytes)
        parser.skipWhitespace()
        guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "{"), (try? parser.skipValue()) != nil else { return false }
        parser.skipWhitespace()
        return parser.index == bytes.count
    }

    /// The members of the JSON object in `bytes`, each as its key and the byte range of its
    /// value, without building the values: a caller parses only the members it needs, in place,
    /// or copies their text as it is. The whole object is checked for well-formed structure.
    public static func memberRanges(_ bytes: UnsafeBufferPointer<UInt8>) throws(Failure) -> [(key: String, range: Range<Int>)] {
        var parser = JSONValueParser(bytes: bytes)
        parser.skipWhitespace()
        guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "{") else { throw parser.failure("expected an object") }
        parser.index += 1
        var members: [(key: String, range: Range<Int>)] = []
        parser.skipWhitespace()
        if parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "}") {
            parser.index += 1
        } else {
            while true {
                parser.skipWhitespace()
                let key = try parser.string()
                parser.skipWhitespace()
                try parser.expect(":")
                parser.skipWhitespace()
                let start = parser.index
                try parser.skipValue()
                members.append((key, start..<parser.index))
                parser.skipWhitespace()
                guard parser.index < bytes.count else { throw parser.failure("unterminated object") }
                if bytes[parser.index] == UInt8(ascii: ",") { parser.index += 1; continue }
                if bytes[parser.index] == UInt8(ascii: "}") { parser.index += 1; break }
                throw parser.failure("expected ',' or '}'")
            }
        }
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected text after the JSON value") }
        return members
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    private func failure(_ message: String) -> Failure {
        Failure(description: "invalid JSON at byte \(index): \(message)")
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ word: String) throws(Failure) {
        for byte in word.utf8 {
            guard index < bytes.count, bytes[index] == byte else { throw failure("expected '\(word)'") }
            index += 1
        }
    }

    private mutating func value() throws(Failure) -> Value {
        guard index < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            depth += 1
            guard depth < 200 else { throw failure("nested too deeply") }
            defer { depth -= 1 }
            index += 1
            var entries: [Fields.Entry] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .map(Fields())
            }
            while true {
                skipWhitespace()
                let key = try string()
                skipWhitespace()
                try expect(":")
                skipWhitespace()
                entries.append(Fields.Entry(key: key, value: try value()))
                skipWhitespace()
                guard index < bytes.count else { throw failure("unterminated object") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; break }
                throw failure("expected ',' or '}'")
            }
            // Ballast writes keys sorted; anything else (or a repeated key) takes the general path.
            if entries.indices.dropFirst().allSatisfy({ entries[$0 - 1].key < entries[$0].key }) {
                return .map(Fields(sortedEntries: entries))
            }
            return .map(Fields(entries.map { ($0.key, $0.value) }))
        case UInt8(ascii: "["):
            depth += 1
            guard depth < 200 else { throw failure("nested too deeply") }
            defer { depth -= 1 }
            index += 1
            var items: [Value] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .list([])
            }
            while true {
                skipWhitespace()
                items.append(try value())
                skipWhitespace()
                guard index < bytes.count else { throw failure("unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; break }
                throw failure("expected ',' or ']'")
            }
            return .list(items)
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        default:
            return try number()
        }
    }

    /// Moves past one value, checking its structure, without building it.
    private mutating func skipValue() throws(Failure) {
        guard index < bytes.count else { throw failure("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = bytes[index] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let isObject = close == UInt8(ascii: "}")
            depth += 1
            guard depth < 200 else { throw failure("nested too deeply") }
            defer { depth -= 1 }
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                return
            }
            while true {
                skipWhitespace()
                if isObject {
                    try skipString()
                    skipWhitespace()
                    try expect(":")
                    skipWhitespace()
                }
                try skipValue()
                skipWhitespace()
                guard index < bytes.count else { throw failure(isObject ? "unterminated object" : "unterminated array") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == close { index += 1; return }
                throw failure(isObject ? "expected ',' or '}'" : "expected ',' or ']'")
            }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"):
            try expect("true")
        case UInt8(ascii: "f"):
            try expect("false")
        case UInt8(ascii: "n"):
            try expect("null")
        default:
            _ = try number()
        }
    }

    /// Moves past one string (escapes included) without decoding it.
    private mutating func skipString() throws(Failure) {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a string") }
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                index += 2
            default:
                index += 1
            }
        }
        throw failure("unterminated string")
    }

    private mutating func number() throws(Failure) -> Value {
        let start = index
        var isInteger = true
        while index < bytes.count {
            let byte = bytes[index]
            if (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") {
                index += 1
            } else if byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                isInteger = false
                index += 1
            } else {
                break
            }
        }
        if isInteger, index - start <= 18, let int = Self.integer(bytes[start..<index]) { return .int(int) }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if isInteger, let int = Int(text) { return .int(int) }
        guard !text.isEmpty, let double = Double(text) else { throw failure("unexpected character") }
        return .number(double)
    }

    private mutating func string() throws(Failure) -> String {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw failure("expected a string") }
        index += 1
        var runStart = index
        var result = ""
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                result += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<index]), as: UTF8.self)
                index += 1
                return result
            }
            if byte == UInt8(ascii: "\\") {
                result += String(decoding: UnsafeBufferPointer(rebasing: bytes[runStart..<index]), as: UTF8.self)
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "n"): result += "\n"
                case UInt8(ascii: "t"): result += "\t"
                case UInt8(ascii: "r"): result += "\r"
                case UInt8(ascii: "b"): result += "\u{08}"
                case UInt8(ascii: "f"): result += "\u{0C}"
                case UInt8(ascii: "u"):
                    guard index + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else {
                        throw failure("bad \\u escape")
                    }
                    index += 4
                    var scalarValue = code
                    if (0xD800..<0xDC00).contains(code), index + 6 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u"),
                       let low = UInt32(String(decoding: bytes[index + 2..<index + 6], as: UTF8.self), radix: 16), (0xDC00..<0xE000).contains(low) {
                        scalarValue = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        index += 6
                    }
                    result.unicodeScalars.append(Unicode.Scalar(scalarValue) ?? "\u{FFFD}")
                default: result.unicodeScalars.append(Unicode.Scalar(escape))
                }
                runStart = index
                continue
            }
            index += 1
        }
        throw failure("unterminated string")
    }

    /// A short decimal integer read straight from the bytes (at most 18 digits cannot
    /// overflow); nil when it is not one, for the general path to judge.
    private static func integer(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
        var rest = digits[...]
        let negative = rest.first == UInt8(ascii: "-")
        if negative { rest = rest.dropFirst() }
        guard let first = rest.first, first >= UInt8(ascii: "0"), first <= UInt8(ascii: "9") else { return nil }
        var value = 0
        for byte in rest {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return negative ? -value : value
    }
}
