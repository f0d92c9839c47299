/// The identity of one placed resource: `Kind/name@site`.
public struct ResourceID: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public var kind: String
    public var name: String
    public var site: String

    public init(kind: String, name: String, site: String) {
        self.kind = kind
        self.name = name
        self.site = site
    }

    public var description: String { "\(kind)/\(name)@\(site)" }

    /// The identity without the site: `Kind/name`.
    public var unplaced: String { "\(kind)/\(name)" }

    /// Parses `Kind/name@site`; nil when any part is missing.
    public init?(parsing text: String) {
        // Byte offsets, not Character indices: ids are read by the hundred thousand.
        let bytes = text.utf8
        guard let slash = bytes.firstIndex(of: UInt8(ascii: "/")), let at = bytes.lastIndex(of: UInt8(ascii: "@")), slash < at else { return nil }
        let kind = String(Substring(bytes[..<slash]))
        let name = String(Substring(bytes[bytes.index(after: slash)..<at]))
        let site = String(Substring(bytes[bytes.index(after: at)...]))
        guard !kind.isEmpty, !name.isEmpty, !site.isEmpty else { return nil }
        self.init(kind: kind, name: name, site: site)
    }

    public static func < (lhs: ResourceID, rhs: ResourceID) -> Bool {
        if lhs.kind != rhs.kind { return lhs.kind < rhs.kind }
        if lhs.name != rhs.name { return lhs.name < rhs.name }
        return lhs.site < rhs.site
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = ResourceID(parsing: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not Kind/name@site"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
