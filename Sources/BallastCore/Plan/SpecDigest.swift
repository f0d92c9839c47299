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

    /// A canonical text form: maps sorted by key (``Fields`` already are), numbers normalised.
    public static func canonical(_ value: Value) -> String {
        var out = ""
        JSONText.write(value, into: &out)
        return out
    }
}
