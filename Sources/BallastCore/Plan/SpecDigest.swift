import Crypto

/// Canonical, deterministic encodings and digests of values.
public enum SpecDigest {
    /// SHA-256 of the canonical encoding of a spec, in hex.
    public static func digest(_ fields: Fields) -> String {
        hex(SHA256.hash(data: Array(canonical(.map(fields)).utf8)))
    }

    public static func digest(_ text: String) -> String {
        hex(SHA256.hash(data: Array(text.utf8)))
    }

    /// Bytes (a digest, a MAC, a key) as lowercase hexadecimal: the one encoding Ballast writes.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The bytes of lowercase or uppercase hexadecimal; nil when `text` is not an even run of
    /// hex digits.
    public static func bytes(hex text: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(text.utf8.count / 2)
        var iterator = text.utf8.makeIterator()
        while let high = iterator.next() {
            guard let low = iterator.next(), let h = nibble(high), let l = nibble(low) else { return nil }
            result.append(h << 4 | l)
        }
        return result
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A canonical text form: maps sorted by key (``Fields`` already are), numbers normalised.
    public static func canonical(_ value: Value) -> String {
        var out = ""
        JSONText.write(value, into: &out)
        return out
    }
}
