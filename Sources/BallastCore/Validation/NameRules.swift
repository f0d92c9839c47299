/// Naming rules: resource and site names are lowercase DNS-1123 labels.
public enum NameRules {
    public static let maxNameLength = 63

    /// Whether a name is a DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
    public static func isValidName(_ name: String) -> Bool {
        let bytes = name.utf8
        guard let first = bytes.first, let last = bytes.last, bytes.count <= maxNameLength,
              isLowerAlphanumeric(first), isLowerAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    static func checkName(_ name: Located<String>, diagnostics: inout [Diagnostic]) {
        guard !isValidName(name.value) else { return }
        let shown = name.value.count > 80 ? String(name.value.prefix(80)) + "…" : name.value
        var reason = "names must be lowercase letters, digits and '-', start and end with a letter or digit"
        if name.value.utf8.count > maxNameLength { reason = "names are at most \(maxNameLength) characters" }
        diagnostics.append(.error("invalid name '\(shown)': \(reason) (DNS-1123 label)", at: name.location))
    }

    /// `Kind/name` or `Kind/name@site`.
    static func isReferenceTarget(_ text: String) -> Bool {
        guard let slash = text.firstIndex(of: "/") else { return false }
        let kind = text[..<slash]
        let rest = text[text.index(after: slash)...]
        let parts = rest.split(separator: "@", omittingEmptySubsequences: false)
        return !kind.isEmpty && (parts.count == 1 || parts.count == 2) && parts.allSatisfy { !$0.isEmpty }
    }

    /// A label key: an optional DNS-subdomain prefix and `/`, then a name of at most 63
    /// characters: alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
    public static func isValidLabelKey(_ key: String) -> Bool {
        key.utf8.withContiguousStorageIfAvailable { isValidLabelKey($0) } ?? isValidLabelKey(Array(key.utf8))
    }

    private static func isValidLabelKey<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bool where Bytes.SubSequence: BidirectionalCollection<UInt8> {
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")) else { return !bytes.isEmpty && isLabelValue(bytes[...]) }
        let prefix = bytes[..<slash]
        let name = bytes[bytes.index(after: slash)...]
        guard !prefix.isEmpty, prefix.count <= 253, !name.contains(UInt8(ascii: "/")),
              prefix.allSatisfy({ isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }) else { return false }
        return !name.isEmpty && isLabelValue(name)
    }

    /// A label value: empty, or at most 63 alphanumerics, `-`, `_`, `.`, starting and ending
    /// alphanumeric.
    public static func isLabelValue(_ value: Substring) -> Bool {
        value.utf8.withContiguousStorageIfAvailable { isLabelValue($0) } ?? isLabelValue(value.utf8)
    }

    private static func isLabelValue<Bytes: BidirectionalCollection<UInt8>>(_ bytes: Bytes) -> Bool {
        guard let first = bytes.first, let last = bytes.last else { return true }
        guard bytes.count <= maxNameLength, isAlphanumeric(first), isAlphanumeric(last) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }
}
