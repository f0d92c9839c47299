/// Resolves plain scalars by the YAML 1.2 core schema.
///
/// `true`/`false`, `null`/`~`/empty, decimal, `0o` and `0x` integers, floats, `.inf` and
/// `.nan`. Everything else, including YAML 1.1's `yes`, `no`, `on` and `off`, is a string.
public enum ScalarResolver {
    /// The outcome of resolving one plain scalar.
    public enum Resolution: Equatable, Sendable {
        case value(YAMLValue.Scalar)
        /// Looks like an int but does not fit in 64 bits.
        case intOutOfRange
    }

    /// Resolves the UTF-8 bytes of a plain scalar.
    public static func resolve(_ bytes: UnsafeBufferPointer<UInt8>) -> Resolution {
        var strings = StringInterner()
        return resolve(bytes, strings: &strings)
    }

    /// Resolves the UTF-8 bytes of a plain scalar; a string result comes from `strings`.
    static func resolve(_ bytes: UnsafeBufferPointer<UInt8>, strings: inout StringInterner) -> Resolution {
        let count = bytes.count
        if count == 0 { return .value(.null) }
        let first = bytes[0]
        switch first {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            return resolveNumber(bytes, strings: &strings)
        case UInt8(ascii: "~"):
            return count == 1 ? .value(.null) : .value(.string(strings.string(bytes)))
        case UInt8(ascii: "n"), UInt8(ascii: "N"):
            if matches(bytes, "null") || matches(bytes, "Null") || matches(bytes, "NULL") { return .value(.null) }
        case UInt8(ascii: "t"), UInt8(ascii: "T"):
            if matches(bytes, "true") || matches(bytes, "True") || matches(bytes, "TRUE") { return .value(.bool(true)) }
        case UInt8(ascii: "f"), UInt8(ascii: "F"):
            if matches(bytes, "false") || matches(bytes, "False") || matches(bytes, "FALSE") { return .value(.bool(false)) }
        default:
            break
        }
        return .value(.string(strings.string(bytes)))
    }

    /// Convenience for tests and tags: resolves a Swift string.
    public static func resolve(_ text: String) -> Resolution {
        var text = text
        return text.withUTF8 { resolve($0) }
    }

    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ word: StaticString) -> Bool {
        guard bytes.count == word.utf8CodeUnitCount else { return false }
        let other = word.utf8Start
        for index in 0..<bytes.count where bytes[index] != other[index] {
            return false
        }
        return true
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func resolveNumber(_ bytes: UnsafeBufferPointer<UInt8>, strings: inout StringInterner) -> Resolution {
        let count = bytes.count
        var index = 0
        var negative = false
        let hasSign = bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+")
        if hasSign {
            negative = bytes[0] == UInt8(ascii: "-")
            index = 1
        }
        // .inf, .nan
        if index < count, bytes[index] == UInt8(ascii: ".") {
            let rest = UnsafeBufferPointer(rebasing: bytes[(index + 1)...])
            if matches(rest, "inf") || matches(rest, "Inf") || matches(rest, "INF") {
                return .value(.double(negative ? -Double.infinity : Double.infinity))
            }
            if !hasSign, matches(rest, "nan") || matches(rest, "NaN") || matches(rest, "NAN") {
                return .value(.double(Double.nan))
            }
        }
        // 0x and 0o, unsigned only in the core schema.
        if !hasSign, count > 2, bytes[0] == UInt8(ascii: "0") {
            let marker = bytes[1]
            if marker == UInt8(ascii: "x") || marker == UInt8(ascii: "o") {
                let radix = marker == UInt8(ascii: "x") ? 16 : 8
                let digits = string(UnsafeBufferPointer(rebasing: bytes[2...]))
                if digits.allSatisfy({ $0.isHexDigit && (radix == 16 || ("0"..."7").contains($0)) }) {
                    if let value = Int(digits, radix: radix) { return .value(.int(value)) }
                    return .intOutOfRange
                }
                return .value(.string(strings.string(bytes)))
            }
        }
        // Decimal int: [-+]?[0-9]+
        var digitsStart = index
        var value = 0
        var overflow = false
        while index < count, isDigit(bytes[index]) {
            if !overflow {
                let digit = Int(bytes[index] &- UInt8(ascii: "0"))
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (plus, o2) = negative ? times.subtractingReportingOverflow(digit) : times.addingReportingOverflow(digit)
                if o1 || o2 { overflow = true } else { value = plus }
            }
            index += 1
        }
        let sawIntDigits = index > digitsStart
        if index == count {
            if !sawIntDigits { return .value(.string(strings.string(bytes))) }
            return overflow ? .intOutOfRange : .value(.int(value))
        }
        // Float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
        var sawFraction = false
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            digitsStart = index
            while index < count, isDigit(bytes[index]) { index += 1 }
            sawFraction = index > digitsStart
            if !sawIntDigits && !sawFraction { return .value(.string(strings.string(bytes))) }
        } else if !sawIntDigits {
            return .value(.string(strings.string(bytes)))
        }
        if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") { index += 1 }
            digitsStart = index
            while index < count, isDigit(bytes[index]) { index += 1 }
            if index == digitsStart { return .value(.string(strings.string(bytes))) }
        }
        guard index == count else { return .value(.string(strings.string(bytes))) }
        let text = strings.string(bytes)
        guard let double = Double(text) else { return .value(.string(text)) }
        return .value(.double(double))
    }
}

extension YAMLValue {
    /// The scalar subset of ``YAMLValue``, as the resolver produces it.
    public enum Scalar: Equatable, Sendable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)

        public static func == (lhs: Scalar, rhs: Scalar) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): true
            case let (.bool(a), .bool(b)): a == b
            case let (.int(a), .int(b)): a == b
            case let (.double(a), .double(b)): a == b || (a.isNaN && b.isNaN)
            case let (.string(a), .string(b)): a == b
            default: false
            }
        }

        var value: YAMLValue {
            switch self {
            case .null: .null
            case .bool(let bool): .bool(bool)
            case .int(let int): .int(int)
            case .double(let double): .double(double)
            case .string(let string): .string(string)
            }
        }
    }
}
